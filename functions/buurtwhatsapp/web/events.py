"""Firestore CloudEvents as Eventarc delivers them: protobuf ``DocumentEventData``."""

from __future__ import annotations

import logging

from cloudevents.http import CloudEvent
from google.events.cloud.firestore import DocumentEventData

from ..model import MAIL

log = logging.getLogger(__name__)

CREATED = "google.cloud.firestore.document.v1.created"


def created_mail_id(event: CloudEvent) -> str | None:
    """The id of the ``mail`` document whose creation this event reports; None otherwise."""
    if event["type"] != CREATED:
        log.warning("ignored event of type %s", event["type"])
        return None
    data = event.get_data()
    if not isinstance(data, bytes | bytearray):
        log.warning("ignored event without a protobuf body")
        return None
    try:
        name = DocumentEventData.deserialize(bytes(data)).value.name
    except Exception:
        log.warning("ignored event with an undecodable body")
        return None
    # projects/<p>/databases/<d>/documents/mail/<id>; a deeper path is a subcollection.
    _, separator, path = name.partition("/documents/")
    segments = path.split("/") if separator else []
    if len(segments) != 2 or segments[0] != MAIL or not segments[1]:
        log.warning("ignored event for a document outside the mail collection")
        return None
    return segments[1]
