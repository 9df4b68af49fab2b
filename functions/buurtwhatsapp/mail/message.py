"""An e-mail ready to send, independent of the transport that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/vcard"
    content: bytes


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    mail_id: str  # the outbox document id; also the idempotency key towards the transport
    sender: str  # "Display Name <address>"
    to: str  # one address
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    # Extra headers such as List-Unsubscribe; names and values are checked when the MIME is built.
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = field(default=())
