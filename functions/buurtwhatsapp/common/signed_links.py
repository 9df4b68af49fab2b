"""Signed links: purpose-bound, tied to one document, expiring and tamper-proof.

A token is an itsdangerous timed signature over the document id, with the purpose as salt: a
confirm token is no leave token, and changing one character breaks the signature. Base64 lets
some characters change without changing the bytes (the spare bits of a last character, padding
``=``), which itsdangerous accepts; such a token is refused here too, so that one link has
exactly one spelling that works.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from .clock import Clock, SystemClock
from .errors import BuurtWhatsAppError


class Purpose(StrEnum):
    CONFIRM = "confirm"  # the resident confirms their e-mail address
    ADDED = "added"  # the coordinator marks the resident as added to the group
    LEAVE = "leave"  # the resident leaves and has their data erased
    # A regiegroep member opens the overview (dekking); the subject is their e-mail key
    # (PersonalKeys.email), so the page can check they still sit in the regiegroep.
    OVERVIEW = "overview"
    # A confirmed resident opens their group's invite link (invite mode); the subject is the
    # sign-up, so the page checks it is still confirmed or active and reads the link now.
    JOIN = "join"
    # A coordinator opens their group's page; the subject is the group and their e-mail key
    # (group_subject), so the page checks they coordinate that group now.
    GROUP = "group"
    # A member answers the yearly check: "Ja, ik doe nog mee" (residents/yearly_check.py).
    STILL = "still"
    # A member accepts new group rules (residents/group_rules.py).
    RULES = "rules"


# Long enough for a resident on holiday; the leave link must keep working as long as a mail
# that carries it may be kept.
LIFETIMES: dict[Purpose, timedelta] = {
    Purpose.CONFIRM: timedelta(days=30),
    Purpose.ADDED: timedelta(days=60),
    Purpose.LEAVE: timedelta(days=730),
    Purpose.OVERVIEW: timedelta(days=30),  # a new one comes with every monthly digest
    # As long as a mail that carries it may be kept: whether it works is the sign-up's state.
    Purpose.JOIN: timedelta(days=730),
    Purpose.GROUP: timedelta(days=30),  # a new one comes with every alert, reminder, handover
    # The answer counts until the lapse, 60 days after the question; a little longer, so that
    # a late click gets the kind "already gone" page rather than "expired".
    Purpose.STILL: timedelta(days=90),
    # Unanswered, the rules come back with the next yearly check, at most a year on.
    Purpose.RULES: timedelta(days=400),
}


def group_subject(group_id: str, email_key: str) -> str:
    """What a coordinator's page link is signed for: their group and their e-mail key."""
    return f"{group_id}/{email_key}"


def parse_group_subject(subject: str) -> tuple[str, str]:
    """The group id and e-mail key of ``group_subject``; InvalidLink for anything else."""
    group_id, slash, email_key = subject.partition("/")
    if not (slash and group_id and email_key):
        raise InvalidLink(expired=False)
    return group_id, email_key


class InvalidLink(BuurtWhatsAppError):
    """The token is forged, damaged, for another purpose, or expired (``expired`` says which)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("link expired" if expired else "link invalid")
        self.expired = expired


class Links:
    def __init__(self, secret: str, base_url: str, clock: Clock | None = None) -> None:
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        ticking: Clock = clock or SystemClock()
        self._clock = ticking

        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(ticking.now().timestamp())

        self._signer_class = ClockedSigner

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._secret, salt=f"buurtwhatsapp/{purpose.value}", signer=self._signer_class
        )

    def token(self, purpose: Purpose, document_id: str) -> str:
        return self._serializer(purpose).dumps(document_id)

    def url(self, purpose: Purpose, document_id: str) -> str:
        query = urlencode({"token": self.token(purpose, document_id)})
        return f"{self._base_url}/{purpose.value}?{query}"

    def verify(self, purpose: Purpose, token: str) -> str:
        """The document id the token was made for; InvalidLink otherwise."""
        if not _is_canonical(token):
            raise InvalidLink(expired=False)
        max_age = int(LIFETIMES[purpose].total_seconds())
        try:
            document_id = self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired as error:
            # itsdangerous reports a token dated in the future as expired too; it was not made
            # by us as it stands (a forged or tampered date), so it is invalid, not expired.
            signed = error.date_signed
            if signed is not None and signed.timestamp() > self._clock.now().timestamp():
                raise InvalidLink(expired=False) from error
            raise InvalidLink(expired=True) from error
        except BadSignature as error:
            raise InvalidLink(expired=False) from error
        if not isinstance(document_id, str):
            raise InvalidLink(expired=False)
        return document_id


def _is_canonical(token: str) -> bool:
    """Whether ``token`` is spelled exactly as ``Links.token`` spells it: payload (a leading
    "." when compressed), timestamp and signature, each base64url without padding, and each the
    one spelling of its bytes."""
    parts = token.removeprefix(".").split(".")
    if len(parts) != 3:
        return False
    for part in parts:
        if not part or "=" in part:
            return False
        try:
            if base64_encode(base64_decode(part)).decode("ascii") != part:
                return False
        except Exception:  # itsdangerous's BadData, or bytes that are not base64 at all
            return False
    return True
