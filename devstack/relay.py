"""Locally, what Eventarc does in Google Cloud: every new ``mail`` document becomes a CloudEvent
posted to the delivery function.

It listens to the emulator with a real-time query (the Firestore Listen API, which both
emulators serve) and posts each created document, as a protobuf ``DocumentEventData`` in binary
content mode, to the URL the delivery function is mounted at.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from google.cloud import firestore

from buurtwhatsapp.model import MAIL
from devstack.firestore_events import created_event

log = logging.getLogger(__name__)


class MailRelay:
    def __init__(self, client: firestore.Client, target_url: str, *, workers: int = 4) -> None:
        self._client = client
        self._target_url = target_url
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="relay")
        self._watch = None
        self._initial = threading.Event()
        self._session = requests.Session()

    def start(self, timeout: float = 30.0) -> None:
        """Start listening; returns once the listener has seen the collection as it is."""
        self._watch = self._client.collection(MAIL).on_snapshot(self._on_snapshot)
        if not self._initial.wait(timeout):
            raise TimeoutError("the emulator did not answer the mail listener")

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.unsubscribe()
            self._watch = None
        self._pool.shutdown(wait=True)

    def _on_snapshot(self, _documents, changes, _read_time) -> None:
        if not self._initial.is_set():
            # Documents that existed before we listened were created before: Eventarc would
            # not report them now. The sweep delivers any of them that are due.
            self._initial.set()
            return
        for change in changes:
            if change.type.name == "ADDED":
                snapshot = change.document
                self._pool.submit(self._post, snapshot.id, snapshot.to_dict() or {})

    def _post(self, document_id: str, fields: dict[str, object]) -> None:
        headers, body = created_event(self._client.project, MAIL, document_id, fields)
        try:
            response = self._session.post(self._target_url, data=body, headers=headers, timeout=60)
        except requests.RequestException as error:
            log.warning("relay: delivery function unreachable: %s", type(error).__name__)
            return
        if response.status_code >= 300:
            log.warning("relay: delivery function answered %s", response.status_code)
