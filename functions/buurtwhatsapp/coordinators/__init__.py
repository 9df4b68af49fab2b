"""Who coordinates: changing a group's coordinator or the regiegroep (changes, with the
handover), and the applications to become coordinator."""

from __future__ import annotations

from ..common.errors import BuurtWhatsAppError


class CoordinatorsError(BuurtWhatsAppError):
    """Who coordinates could not be changed, or an application not taken."""
