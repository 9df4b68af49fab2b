"""The local Firestore emulator harness, and what every emulator kind must enforce.

The Firestore tests run once per available kind (see tests/conftest.py). What the product's race
handling relies on (PRODUCT.md, "Local run") must hold on each: exists-preconditions, exactly one
winner among concurrent creates, and all-or-nothing commits.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from devstack import emulator

pytestmark = pytest.mark.emulator


def test_write_read_round_trip(firestore_client: firestore.Client) -> None:
    ref = firestore_client.collection("signups").document("alice")
    data = {"name": "Alice", "street": "Dorpsstraat", "number": 12, "confirmed": False}

    ref.set(data)

    snapshot = ref.get()
    assert snapshot.exists
    assert snapshot.to_dict() == data
    assert not firestore_client.collection("signups").document("bob").get().exists


def test_projects_are_isolated(firestore_client: firestore.Client) -> None:
    firestore_client.collection("c").document("d").set({"v": 1})

    other = firestore.Client(project=f"other-{uuid.uuid4().hex[:16]}")

    assert not other.collection("c").document("d").get().exists


def test_create_of_existing_document_raises_already_exists(
    firestore_client: firestore.Client,
) -> None:
    ref = firestore_client.collection("claims").document("mail-1")
    ref.create({"by": "first"})

    with pytest.raises(AlreadyExists):
        ref.create({"by": "second"})

    assert ref.get().to_dict() == {"by": "first"}


def test_of_concurrent_creates_exactly_one_wins(firestore_client: firestore.Client) -> None:
    contenders = 8
    # One client (and so one connection) per thread, like separate function instances.
    clients = [firestore.Client(project=firestore_client.project) for _ in range(contenders)]
    barrier = threading.Barrier(contenders)
    winners: list[int] = []
    losers: list[int] = []
    unexpected: list[BaseException] = []

    def contend(i: int) -> None:
        ref = clients[i].collection("claims").document("contended")
        barrier.wait(timeout=30)
        try:
            ref.create({"by": i})
        except AlreadyExists:
            losers.append(i)
        except BaseException as exc:
            unexpected.append(exc)
        else:
            winners.append(i)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert unexpected == []
    assert len(winners) == 1, winners
    assert len(losers) == contenders - 1
    stored = firestore_client.collection("claims").document("contended").get().to_dict()
    assert stored == {"by": winners[0]}


def test_batch_with_failing_create_writes_nothing(firestore_client: firestore.Client) -> None:
    col = firestore_client.collection("signups")
    existing = col.document("existing")
    existing.set({"v": "original"})
    doomed = col.document("doomed")
    doomed.set({"v": "kept"})
    fresh = col.document("fresh")

    batch = firestore_client.batch()
    batch.set(fresh, {"v": "new"})
    batch.delete(doomed)
    batch.create(existing, {"v": "overwritten"})  # fails: the document exists
    with pytest.raises(AlreadyExists):
        batch.commit()

    assert not fresh.get().exists
    assert doomed.get().to_dict() == {"v": "kept"}
    assert existing.get().to_dict() == {"v": "original"}


def _group_has_live_process(pgid: int) -> bool:
    """Whether group `pgid` has a process that is not a zombie awaiting its reaper."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat_file in proc.glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _group_members(pgid: int) -> list[str]:
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_file.read_text()
        except OSError:
            continue
        fields = text.rpartition(")")[2].split()
        if int(fields[2]) == pgid:
            members.append(text.partition("(")[2].rpartition(")")[0])
    return members


def test_start_and_stop_leave_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    # A separate emulator of a kind this harness starts itself: npm (fastest) if installed.
    monkeypatch.delenv(emulator.ENV_VAR, raising=False)
    kinds = emulator.available_kinds()
    if not kinds:
        pytest.fail(emulator.SETUP_HINT, pytrace=False)
    kind = emulator.NPM if emulator.NPM in kinds else kinds[0]

    with emulator.running(kind) as running:
        pgid = running.pid
        assert pgid is not None
        assert os.getpgid(pgid) == pgid != os.getpgid(0)  # its own process group
        assert running.host == f"127.0.0.1:{running.port}"
        assert emulator.ENV_VAR not in os.environ  # the readiness probe did not leak it
        if Path("/proc").is_dir():
            assert _group_members(pgid)
        with socket.create_connection(("127.0.0.1", running.port), timeout=5):
            pass

    # Children (java under the google launcher) may linger briefly as zombies until reaped.
    deadline = time.monotonic() + 5
    while _group_has_live_process(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_has_live_process(pgid), _group_members(pgid)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=5).close()

    running.stop()  # idempotent


def test_emulator_that_exits_early_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    script = "import sys; print('cannot bind, giving up'); sys.exit(3)"
    monkeypatch.setattr(emulator, "_command", lambda kind, port: [sys.executable, "-c", script])

    with pytest.raises(emulator.EmulatorError) as raised:
        emulator.start("selftest")

    message = str(raised.value)
    assert "selftest" in message
    assert "exited early with status 3" in message
    assert sys.executable in message
    assert "cannot bind, giving up" in message


def test_external_kind_wraps_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(emulator.ENV_VAR, "127.0.0.1:1")

    assert emulator.available_kinds() == [emulator.EXTERNAL]
    assert emulator.preferred_kind() == emulator.EXTERNAL
    with emulator.running(emulator.EXTERNAL) as external:
        assert external.host == "127.0.0.1:1"
        assert external.pid is None
    external.stop()
