"""The ways a mail leaves, and the one registry of them: local ``.eml`` files, Amazon SES (API
v2, raw MIME) and SMTP.

Every transport takes an ``OutgoingMail``, builds its MIME with ``base.build`` and returns an id
to record: the provider's message id (SES) or the Message-ID header (files, SMTP). Each module
declares its ``TransportKind``: its settings, its secrets, its check and its example lines. The
settings (``MAIL_TRANSPORT``), the deploy (which secrets), its check and the example env and
secrets files all read them from ``KINDS`` here. A new transport is its module and a line in
``KINDS``.
"""

from __future__ import annotations

from typing import Any, Protocol

from . import files, ses, smtp
from .base import Check, Transport, TransportError, TransportKind
from .files import FileTransport
from .ses import SesTransport
from .smtp import SmtpTransport

__all__ = [
    "KINDS",
    "Check",
    "FileTransport",
    "SesTransport",
    "SmtpTransport",
    "Transport",
    "TransportError",
    "TransportKind",
    "transport_from_settings",
]

KINDS: dict[str, TransportKind] = {kind.name: kind for kind in (files.KIND, ses.KIND, smtp.KIND)}


class TransportSettings(Protocol):
    @property
    def mail_transport(self) -> str: ...

    @property
    def transport(self) -> Any: ...


def transport_from_settings(settings: TransportSettings) -> Transport:
    """The transport ``settings.mail_transport`` names; nothing connects until the first send."""
    return KINDS[settings.mail_transport].build(settings.transport)
