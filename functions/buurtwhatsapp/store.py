"""The Firestore adapter: every read and write of documents goes through here.

Race safety is built only on what every Firestore (and both local emulators) enforces: a
``create()`` of an existing document fails. Update-time preconditions and transaction conflicts
are not relied on, because the npm emulator enforces neither and tests against it would then
pass for logic that is wrong. The npm emulator package also applies a batch write by write and
keeps the writes before a failing one (devstack's wrapper mends that); every batch here puts the
creates that may fail first all the same, so that no store can keep half a batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime

from google.api_core.exceptions import AlreadyExists, FailedPrecondition, NotFound
from google.cloud import firestore

from .model import MAIL, SIGNUP_KEYS, SIGNUPS


class IdentityTaken(Exception):
    """A sign-up with this phone number or e-mail address exists already."""


class Store:
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def create_signup(
        self,
        signup_id: str,
        signup: dict[str, object],
        identity_keys: Sequence[str],
        mail_id: str,
        mail: dict[str, object],
    ) -> None:
        """Store a sign-up, claim its phone and e-mail, and queue its first mail: all or nothing.

        The key documents are created, never overwritten, so that two simultaneous sign-ups
        with the same phone or address cannot both succeed. They go first: the sign-up and mail
        ids are new, so only a key can make the batch fail.
        """
        batch = self._db.batch()
        for key in identity_keys:
            batch.create(
                self._db.collection(SIGNUP_KEYS).document(key),
                {"signup_id": signup_id, "created_at": signup["created_at"]},
            )
        batch.create(self._db.collection(SIGNUPS).document(signup_id), signup)
        batch.create(self._db.collection(MAIL).document(mail_id), mail)
        try:
            batch.commit()
        except AlreadyExists as error:
            raise IdentityTaken from error

    def find_signup_by_identity(
        self, identity_keys: Sequence[str]
    ) -> tuple[str, dict[str, object]] | None:
        """The sign-up that holds any of these keys, with its data; None if there is none.

        A key whose sign-up does not exist is stale (left by an interrupted erasure, or by a
        failed batch on an emulator that is not atomic) and is removed, so that it cannot block
        the address or number for good. The delete is conditional on the key being unchanged.
        """
        refs = [self._db.collection(SIGNUP_KEYS).document(key) for key in identity_keys]
        for key_snapshot in self._db.get_all(refs):
            if not key_snapshot.exists:
                continue
            signup_id = key_snapshot.get("signup_id")
            signup = self._db.collection(SIGNUPS).document(signup_id).get()
            if signup.exists:
                return signup_id, signup.to_dict() or {}
            with contextlib.suppress(FailedPrecondition, NotFound):
                key_snapshot.reference.delete(
                    option=self._db.write_option(last_update_time=key_snapshot.update_time)
                )
        return None

    def queue_confirmation_resend(
        self,
        signup_id: str,
        sequence: int,
        mail_id: str,
        mail: dict[str, object],
        now: datetime,
    ) -> bool:
        """Queue the ``sequence``-th confirmation mail; False if another request already did.

        The mail id is fixed per sequence number, so of any number of racing requests that read
        the same count, exactly one creates the mail and moves the count on.
        """
        batch = self._db.batch()
        batch.create(self._db.collection(MAIL).document(mail_id), mail)
        batch.update(
            self._db.collection(SIGNUPS).document(signup_id),
            {"confirmation_mails": sequence, "last_confirmation_mail_at": now, "updated_at": now},
        )
        try:
            batch.commit()
        except AlreadyExists:
            return False
        return True
