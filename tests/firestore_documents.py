"""What the tests read back from Firestore, the same way in every tier."""

from __future__ import annotations

from google.cloud import firestore

from buurtwhatsapp.model import SIGNUPS
from buurtwhatsapp.residents.signup import sign_up
from tests.conftest import KEYS


def documents(client: firestore.Client, collection: str) -> dict[str, dict]:
    """Every document of ``collection``, by id."""
    return {snapshot.id: snapshot.to_dict() for snapshot in client.collection(collection).stream()}


def signed_up(store, deployment, clock, client: firestore.Client, raw) -> str:
    """Sign ``raw`` up through the service; the id of the sign-up it stored."""
    before = set(documents(client, SIGNUPS))
    sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)
    [signup_id] = set(documents(client, SIGNUPS)) - before
    return signup_id
