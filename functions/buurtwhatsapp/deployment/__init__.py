"""The deployment: what one initiative's file describes (structure), how it is read and checked
(loading, schema), how an address is matched (addresses), and who coordinates (people, kept in
Firestore)."""

from __future__ import annotations

from ..common.errors import BuurtWhatsAppError


class DeploymentError(BuurtWhatsAppError):
    """The deployment's configuration cannot be used."""
