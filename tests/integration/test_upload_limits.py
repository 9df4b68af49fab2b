"""Oversized and slow requests against the staged upload as Google runs it: functions-framework's
gunicorn, one process per function, no front end in between (the worst case: README, "Slow and
oversized requests").

functions-framework reads a request line of any length (it sets gunicorn's limit_request_line to
0) and takes no gunicorn options, so the limits are ours, at the top of every handler: a
request-target over 8 KiB is answered 414, a header section over 16 KiB 431, a body over
MAX_BODY_BYTES 413, each in Dutch, in well under a second, storing nothing. A connection that
sends nothing does not hold a worker thread for long: gunicorn hands it back after 5 seconds.
Bounded: a few dozen requests, the largest 1 MiB, on localhost only.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import suppress

import pytest

from buurtwhatsapp.model import SIGNUPS
from buurtwhatsapp.web.http import MAX_HEADER_BYTES, MAX_TARGET_BYTES
from devstack.processes import free_port
from devstack.upload_unit import (
    FunctionProcess,
    live_members,
    start_function,
    stop_functions,
    upload_venv,
)
from infra.deploy import stage
from infra.functions import FUNCTIONS
from tests.conftest import EXAMPLE_DEPLOYMENT
from tests.firestore_documents import documents
from tests.integration.raw_http import RawRequest, exchange, resident_memory
from tests.integration.test_upload_unit import wait_until_answering

pytestmark = pytest.mark.emulator

ANSWER_SECONDS = 2.0
# A 1 MiB request line is read whole by gunicorn before any code of ours runs: what that costs
# the worker is bounded by the request, not by anything we could set.
LARGEST_TARGET = 1024 * 1024
MEMORY_GROWTH_LIMIT = 48 * 1024 * 1024


@pytest.fixture(scope="module")
def signup_function(
    firestore_emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FunctionProcess]:
    """The staged upload's sign-up function, alone, as Cloud Run starts it."""
    build = tmp_path_factory.mktemp("limits")
    upload = stage(EXAMPLE_DEPLOYMENT, build / "build")
    logs = build / "logs"
    logs.mkdir()
    [spec] = [spec for spec in FUNCTIONS if spec.entry_point == "signup"]
    environment = {
        "GOOGLE_CLOUD_PROJECT": "upload-limits",
        "FIRESTORE_EMULATOR_HOST": firestore_emulator.host,
        "MAIL_TRANSPORT": "file",
        "MAIL_OUTBOX_DIR": str(build / "outbox"),
    }
    function = start_function(
        spec, free_port(), venv=upload_venv(), upload=upload, environment=environment, log_dir=logs
    )
    try:
        wait_until_answering([function])
        yield function
    finally:
        stop_functions([function])
    assert not live_members(function.process.pid)


def group_memory(function: FunctionProcess) -> int:
    total = 0
    for pid in live_members(function.process.pid):
        with suppress(OSError, RuntimeError):
            total += resident_memory(pid)
    return total


def answer(function: FunctionProcess, request: RawRequest):
    result = exchange(function.port, request, timeout=30)
    assert result.status is not None, result.problem
    return result


@pytest.mark.parametrize("size", [MAX_TARGET_BYTES + 1, 64 * 1024, LARGEST_TARGET])
def test_a_request_target_over_8_kib_is_refused_at_once_in_dutch(signup_function, size):
    target = "/?q=" + "a" * (size - 4)
    before = group_memory(signup_function)

    result = answer(signup_function, RawRequest("GET", target))

    assert result.status == 414
    assert "webadres van dit verzoek is te lang" in result.body.decode()
    assert result.seconds < ANSWER_SECONDS
    assert group_memory(signup_function) - before < MEMORY_GROWTH_LIMIT


def test_a_request_target_within_the_limit_is_served(signup_function):
    result = answer(signup_function, RawRequest("GET", "/?q=" + "a" * (MAX_TARGET_BYTES - 100)))
    assert result.status == 200


def test_a_header_section_over_16_kib_is_refused_at_once_in_dutch(signup_function):
    headers = tuple((f"X-Filler-{n}", b"x" * 4000) for n in range(MAX_HEADER_BYTES // 4000 + 1))

    result = answer(signup_function, RawRequest("GET", "/", headers))

    assert result.status == 431
    assert "te veel of te grote kopregels" in result.body.decode()
    assert result.seconds < ANSWER_SECONDS


def test_an_oversized_post_stores_nothing(signup_function, firestore_emulator, monkeypatch):
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)
    target = "/?" + "x" * MAX_TARGET_BYTES
    form = (("Content-Type", b"application/x-www-form-urlencoded"), ("Content-Length", b"6"))
    result = answer(signup_function, RawRequest("POST", target, form, b"name=x"))
    assert result.status == 414
    client = firestore.Client(project="upload-limits")
    assert documents(client, SIGNUPS) == {}


def test_connections_that_send_nothing_do_not_keep_others_waiting(signup_function):
    """More idle connections than gunicorn has threads (4 per CPU): each gives its thread back
    after 5 seconds, so a real request is answered within that, not after the idlers leave."""
    idlers = []
    try:
        for _ in range(12):
            idlers.append(socket.create_connection(("127.0.0.1", signup_function.port), timeout=5))
        started = time.monotonic()
        result = answer(signup_function, RawRequest("GET", "/"))
        waited = time.monotonic() - started
    finally:
        for idler in idlers:
            idler.close()
    assert result.status == 200
    assert waited < 5 + ANSWER_SECONDS
