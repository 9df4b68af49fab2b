"""The root of every error this package raises on purpose. Each domain derives its own base
from it (residents.ResidentsError, coordinators.CoordinatorsError, ...), and a service raises
its domain's errors, never the store's: the store's (store.StoreError) stay between the store
and the service that called it."""

from __future__ import annotations


class BuurtWhatsAppError(Exception):
    """An error of this package, as opposed to a bug or a library's own."""
