"""The AVG's requests on all the data at once: an erasure request for one person, and moving
every key to another pepper."""

from __future__ import annotations

from ..common.errors import BuurtWhatsAppError


class PrivacyError(BuurtWhatsAppError):
    """A request on all of a person's data cannot be carried out."""
