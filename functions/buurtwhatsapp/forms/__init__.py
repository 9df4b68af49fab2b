"""The public forms' input: validation (every field's problem at once) and the
fences on mail to addresses nobody has confirmed."""

from __future__ import annotations

from ..common.errors import BuurtWhatsAppError


class FormsError(BuurtWhatsAppError):
    """What a form sent cannot be taken."""
