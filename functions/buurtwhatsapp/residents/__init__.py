"""A resident's journey: sign-up, confirm, added, leave (membership), and the scheduled
housekeeping (reminders, expiry)."""

from __future__ import annotations

from ..common.errors import BuurtWhatsAppError


class ResidentsError(BuurtWhatsAppError):
    """A step of a resident's journey could not be taken."""
