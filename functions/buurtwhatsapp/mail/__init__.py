"""Everything that sends e-mail: the message, its rendering, the transports, the outbox."""

from __future__ import annotations

from ..common.errors import BuurtWhatsAppError


class MailError(BuurtWhatsAppError):
    """A mail cannot be made or sent."""
