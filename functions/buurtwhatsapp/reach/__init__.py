"""Reaching the whole village: the printed poster and door letter with a QR code to the
sign-up form, the area pre-selected (printed.py, pdf.py)."""

from ..common.errors import BuurtWhatsAppError


class ReachError(BuurtWhatsAppError):
    """Printed material could not be made; the message says why, for the maintainer."""
