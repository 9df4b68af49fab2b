"""Shared pytest fixtures.

Firestore: `firestore_emulator` starts each available emulator kind once per session (tests that
use it run once per kind, ids ``[google]``, ``[npm]`` or ``[external]``), and `firestore_client`
gives each test a client on a project of its own, so tests are isolated without clearing data.
Tests using them are marked ``emulator`` automatically.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.cloud import firestore

from buurtwhatsapp.common.personal_keys import PersonalKeys
from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.structure import Deployment
from buurtwhatsapp.settings import LOCAL_KEY_PEPPER
from devstack import emulator
from devstack.examples import VALID_SIGNUP

# Decided once, at collection; an empty list still yields one (failing) parameter.
_EMULATOR_KINDS = emulator.available_kinds()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the Firestore emulator with ``emulator``."""
    for item in items:
        if "firestore_emulator" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="session", params=_EMULATOR_KINDS or ["none"])
def firestore_emulator(request: pytest.FixtureRequest) -> Iterator[emulator.RunningEmulator]:
    """A running Firestore emulator of one available kind, shared by the whole session.

    Fails (never skips) when no kind is available: the set-up is incomplete.
    """
    if not _EMULATOR_KINDS:
        pytest.fail(emulator.SETUP_HINT, pytrace=False)
    with emulator.running(request.param) as running:
        yield running


@pytest.fixture
def firestore_client(
    firestore_emulator: emulator.RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> firestore.Client:
    """A Firestore client on the session emulator, with a fresh project id for this test.

    FIRESTORE_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT stay set for the test's duration, so code
    under test that makes its own ``firestore.Client()`` reaches the same emulator and project.
    """
    project = f"test-{uuid.uuid4().hex[:16]}"
    monkeypatch.setenv(emulator.ENV_VAR, firestore_emulator.host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", project)
    return firestore.Client(project=project)


REPOSITORY = Path(__file__).resolve().parent.parent
# The keys the functions make in the tests' environment (MAIL_TRANSPORT=file, no KEY_PEPPER).
KEYS = PersonalKeys(LOCAL_KEY_PEPPER)
EXAMPLE_DEPLOYMENT = REPOSITORY / "infra" / "deployments" / "buitenkaag.toml"


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    return load_deployment(EXAMPLE_DEPLOYMENT)


__all__ = ["VALID_SIGNUP"]  # tests import the example from here too


@pytest.fixture
def valid_signup() -> dict[str, object]:
    return dict(VALID_SIGNUP)


class FakeClock:
    """The tests' one clock: stopped at ``when``, moved by hand (``clock.current += ...``)."""

    def __init__(self, when: datetime = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)) -> None:
        self.current = when

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
