"""One function (or the floor) as production runs it, for one measurement; its memory.

Each run is its own ``functions-framework`` process group started by devstack/upload_unit.py
from the upload's venv, stopped in a ``finally`` (SIGTERM to the group, SIGKILL after 10 s).
"""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Protocol

from bench.payloads import Request
from devstack.processes import free_port
from devstack.upload_unit import (
    FunctionProcess,
    Target,
    live_members,
    start_function,
    stop_functions,
)

START_TIMEOUT = 90.0  # a start beyond this on two busy cores is broken, not slow
REQUEST_TIMEOUT = 60.0
CONNECT_POLL_SECONDS = 0.002  # a refused connect costs microseconds; the start takes ~1 s
# A function's process tree beyond this is a leak, not a figure: the run stops there.
MEMORY_LIMIT_BYTES = 1024 * 2**20
SIGNING_KEY = "bench-signing-key-" + "b" * 32


class Spec(Target, Protocol):
    """A function of infra/functions.py (of the measured tree), or the floor."""

    @property
    def name(self) -> str: ...


class FunctionFailed(RuntimeError):
    """A function exited, stayed silent or answered other than expected; with its output."""


@dataclass
class Stage:
    """Where the functions run: the venv, the staged upload, the floor, the emulator."""

    venv: Path
    upload: Path
    floor: Path
    emulator_host: str
    work: Path  # logs, homes, the outbox
    _runs: Iterator[int] = field(default_factory=count)

    def environment(self, project: str) -> dict[str, str]:
        return {
            "FIRESTORE_EMULATOR_HOST": self.emulator_host,
            "GOOGLE_CLOUD_PROJECT": project,
            "MAIL_TRANSPORT": "file",
            "MAIL_OUTBOX_DIR": str(self.outbox(project)),
            "PUBLIC_BASE_URL": "http://localhost:8080",
            "SIGNING_KEY": SIGNING_KEY,
            # Every request comes from 127.0.0.1: the per-client limit would stop the bench.
            "RATE_LIMIT": "1000000/600",
        }

    def outbox(self, project: str) -> Path:
        return self.work / "outbox" / project

    def start(self, target: Spec, project: str, *, floor: bool) -> FunctionProcess:
        log_dir = self.work / "runs" / f"{next(self._runs):04d}"
        log_dir.mkdir(parents=True)
        return start_function(
            target,
            free_port(),
            venv=self.venv,
            upload=self.floor if floor else self.upload,
            environment=self.environment(project),
            log_dir=log_dir,
        )


@contextmanager
def running(stage: Stage, target: Spec, project: str, *, floor: bool) -> Iterator[Started]:
    """A started function, stopped (its whole process group) when the block ends."""
    started_at = time.perf_counter()
    function = stage.start(target, project, floor=floor)
    try:
        yield Started(function, started_at)
    finally:
        stop_functions([function])


@dataclass
class Started:
    function: FunctionProcess
    started_at: float  # perf_counter() just before the process was started

    def first_answer(self, request: Request) -> float:
        """Seconds from process start to the end of the answer to ``request``, the first
        request it gets: sent on the first connection the port accepts (gunicorn's master
        listens before its worker is up; the request waits in the backlog, as in Cloud Run)."""
        function = self.function
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if function.process.poll() is not None:
                raise FunctionFailed(
                    f"{function.name} exited with status {function.process.returncode} before "
                    f"it answered:\n{function.output()}"
                )
            try:
                sock = socket.create_connection(("127.0.0.1", function.port), timeout=1)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise FunctionFailed(
                        f"{function.name} did not listen within {START_TIMEOUT:.0f} s:\n"
                        f"{function.output()}"
                    ) from None
                time.sleep(CONNECT_POLL_SECONDS)
        sock.settimeout(REQUEST_TIMEOUT)
        connection = http.client.HTTPConnection("127.0.0.1", function.port)
        connection.sock = sock
        try:
            status, text = _exchange(connection, request)
        finally:
            connection.close()
        took = time.perf_counter() - self.started_at
        check_answer(function, request, status, text)
        return took


def _exchange(connection: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    headers = dict(request.headers)
    if request.body or request.method == "POST":
        headers["Content-Length"] = str(len(request.body))
    connection.request(request.method, request.path, body=request.body or None, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def check_answer(function: FunctionProcess, request: Request, status: int, text: bytes) -> None:
    if status != request.expect:
        raise FunctionFailed(
            f"{function.name}: {request.method} {request.path.partition('?')[0]} answered "
            f"{status}, not {request.expect}:\n{text[:500].decode(errors='replace')}\n"
            f"{function.output()}"
        )


@dataclass(frozen=True)
class Memory:
    """The process tree's memory (gunicorn's master and its worker): the sum of each member's
    peak resident set (VmHWM), its resident set now, and its proportional set size now (shared
    pages split between the processes sharing them: what the container is charged for)."""

    peak_rss: int
    rss: int
    pss: int
    processes: int


def tree_memory(group: int) -> Memory:
    peak = rss = pss = members = 0
    for pid in live_members(group):
        with suppress(OSError, ValueError):
            status = _fields(Path(f"/proc/{pid}/status"))
            peak += status.get("VmHWM", 0)
            rss += status.get("VmRSS", 0)
            with suppress(OSError, ValueError):
                pss += _fields(Path(f"/proc/{pid}/smaps_rollup")).get("Pss", 0)
            members += 1
    return Memory(peak, rss, pss, members)


def _fields(path: Path) -> dict[str, int]:
    """``Name:   123 kB`` lines of a /proc file, in bytes."""
    values = {}
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            values[name.strip()] = int(parts[0]) * 1024
    return values


def check_memory(function: FunctionProcess) -> Memory:
    """The tree's memory; stops the bench if it is beyond MEMORY_LIMIT_BYTES."""
    memory = tree_memory(function.process.pid)
    if memory.rss > MEMORY_LIMIT_BYTES:
        raise FunctionFailed(
            f"{function.name} holds {memory.rss / 2**20:.0f} MiB, beyond the bench's limit of "
            f"{MEMORY_LIMIT_BYTES / 2**20:.0f} MiB"
        )
    return memory


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))
