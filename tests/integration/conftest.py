"""The real functions-framework apps, wired by bootstrap to the test's emulator project."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest

from buurtwhatsapp import bootstrap
from buurtwhatsapp.common.signed_links import Links, Purpose
from devstack.http_functions import create_function_app
from tests.conftest import FakeClock
from tests.integration.fake_project import (  # noqa: F401
    deploy_firestore,
    deployed_state,
    fake_gcloud,
    project,
)

PUBLIC_BASE_URL = "http://localhost:8080"
SIGNING_KEY = "integration-signing-key-" + "k" * 32


@pytest.fixture
def app_environment(firestore_client, monkeypatch, tmp_path):
    """The environment a deployed function would have, pointed at local services."""
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", firestore_client.project)
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    monkeypatch.setenv("SIGNING_KEY", SIGNING_KEY)
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    bootstrap.reset()
    yield
    bootstrap.reset()


@pytest.fixture
def signup_client(app_environment):
    return create_function_app("signup").test_client()


@pytest.fixture
def function_client(app_environment):
    """A test client for any function of functions/main.py, by entry point."""
    return lambda target: create_function_app(target).test_client()


def link(purpose: Purpose, signup_id: str, *, made: datetime | None = None) -> str:
    """The path and query of a signed link, as the app under test would make it."""
    links = Links(SIGNING_KEY, PUBLIC_BASE_URL, FakeClock(made) if made else None)
    url = urlsplit(links.url(purpose, signup_id))
    return f"{url.path}?{url.query}"
