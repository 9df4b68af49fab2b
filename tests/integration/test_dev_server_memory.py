"""Issue 7, defect 5: one request must not make a server's memory grow without bound.

The request: a chunked body whose first chunk announces ``ffffffffffffffff`` bytes, after which
the client disconnects. werkzeug's dechunker then kept "reading" from the closed socket: each
read returns a full buffer of stale memory. Where functions-framework's after-request hook drains
the body, memory grows by hundreds of MB a second; where the app drains the body itself in
pieces, a thread spins for ever instead. So the tests bound both memory and CPU time.

Each server runs as a child process in a process group of its own. A watchdog samples the
resident memory of the whole group every few milliseconds and kills the group at RSS_CAP, so a
regression fails the test instead of exhausting the machine; every process is stopped at the
end whatever happens.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from devstack.processes import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
# The bound a test asserts: growth over the server's warmed-up memory. After a disconnect the
# fixed servers grow by about 1 MB; the defect grows by hundreds of MB a second.
ALLOWED_GROWTH = 64 * MB
# An endless body is read up to a limit (4 MiB for the CloudEvent route) and the rest discarded
# by werkzeug in 10 MB reads, in a thread per request: about 55 MB in all. Without the limit the
# same request grows the dev server by about 500 MB.
ENDLESS_ALLOWED_GROWTH = 128 * MB
# The watchdog's hard limit for the whole process group, whatever the test is doing.
RSS_CAP = 1024 * MB
# CPU time the whole group may use while it should be idle after the attack: a spinning
# thread uses all of SAMPLE_SECONDS.
ALLOWED_CPU_SECONDS = 0.5
SAMPLE_SECONDS = 3.0
START_TIMEOUT = 20.0
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# As make dev runs it: the repository and functions/ on the path, from the repository.
DEV_SERVER = (
    "import sys\n"
    "sys.path[:0] = ['functions', '.']\n"
    "from devstack.serve import dev_server\n"
    "dev_server('127.0.0.1', int(sys.argv[1])).serve_forever()\n"
)


def functions_framework(target: str, signature_type: str) -> Callable[[int], list[str]]:
    """As Cloud Functions runs a function: the functions-framework command, which serves with
    gunicorn on Linux (the Server header shows it)."""
    return lambda port: [
        str(Path(sys.executable).parent / "functions-framework"),
        f"--target={target}",
        f"--signature-type={signature_type}",
        "--source=functions/main.py",
        "--host=127.0.0.1",
        f"--port={port}",
    ]


@dataclass(frozen=True)
class Server:
    command: Callable[[int], list[str]]
    software: str  # how its Server header starts
    attacked_paths: tuple[str, ...]
    # A plain GET afterwards, and the status that shows the server still answers normally.
    probe: tuple[str, int]


SERVERS = {
    # What make dev, and every test that uses devstack.serve.serving, serves: the form route
    # (our pipeline reads the body) and the CloudEvent route (functions-framework reads it).
    "dev-server": Server(
        lambda port: [sys.executable, "-c", DEV_SERVER, str(port)],
        "Werkzeug/",
        ("/signup", "/deliver-mail"),
        ("/signup", 200),
    ),
    "gunicorn-signup": Server(
        functions_framework("signup", "http"), "gunicorn", ("/signup",), ("/signup", 200)
    ),
    # Its only route answers POST; a GET is refused with 405, as in Google Cloud.
    "gunicorn-deliver_mail": Server(
        functions_framework("deliver_mail", "cloudevent"), "gunicorn", ("/",), ("/", 405)
    ),
}

CHUNKED_HEAD = (
    b"POST %s HTTP/1.1\r\n"
    b"Host: localhost\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Transfer-Encoding: chunked\r\n"
    b"\r\n"
)
CUT_OFF_BODY = b"ffffffffffffffff\r\nname=Zo%C3%AB&email=zoe%40example.org"


def group_usage(pgid: int) -> tuple[int, float]:
    """Resident bytes and CPU seconds of every process in the process group (a forked worker's
    shared pages count twice, which errs on the safe side)."""
    rss = 0
    cpu_ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat_file:
                stat = stat_file.read()
            # The fields after the command name, which may itself hold spaces and parentheses:
            # state, ppid, pgrp, ..., utime (11), stime (12); see proc(5).
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[2]) != pgid:
                continue
            with open(f"/proc/{entry.name}/statm", "rb") as statm_file:
                resident_pages = int(statm_file.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        rss += resident_pages * PAGE_SIZE
        cpu_ticks += int(fields[11]) + int(fields[12])
    return rss, cpu_ticks / CLOCK_TICKS


class Watchdog:
    """Samples a process group's RSS; kills the group when it passes RSS_CAP."""

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid
        self.peak = 0
        self.killed_at: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            rss, _ = group_usage(self.pgid)
            self.peak = max(self.peak, rss)
            if rss > RSS_CAP:
                self.killed_at = rss
                kill_group(self.pgid, signal.SIGKILL)
                return

    def reset_peak(self) -> int:
        self.peak, _ = group_usage(self.pgid)
        return self.peak

    def cpu_seconds(self) -> float:
        return group_usage(self.pgid)[1]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def kill_group(pgid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signum)


@contextmanager
def watched_server(name: str, tmp_path: Path) -> Iterator[tuple[str, Watchdog]]:
    """The named server on a free port, under a watchdog; yields its base URL."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        # functions-framework finds main.py's package itself, as in Google Cloud.
        if key not in ("K_SERVICE", "DEPLOYMENT_FILE", "MAX_BODY_BYTES", "PORT", "PYTHONPATH")
    }
    environment.update(
        MAIL_TRANSPORT="file",
        MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        GOOGLE_CLOUD_PROJECT="demo-memory",
        # Nothing listens there; these requests never reach Firestore.
        FIRESTORE_EMULATOR_HOST="127.0.0.1:9",
        PUBLIC_BASE_URL="http://localhost:8080",
    )
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            SERVERS[name].command(port),
            cwd=REPOSITORY,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that all of it is stopped
        )
    watchdog = Watchdog(process.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited at start:\n{log_path.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} did not listen within {START_TIMEOUT} s")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", watchdog
    finally:
        watchdog.stop()
        kill_group(process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        # Workers included, whether or not the leader went quietly.
        kill_group(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def probe(base_url: str, server: Server) -> None:
    """A plain GET, answered as usual by the server that should be answering."""
    path, status = server.probe
    response = requests.get(f"{base_url}{path}", timeout=5)
    assert response.status_code == status
    assert response.headers["Server"].startswith(server.software)


def assert_routes_exist(base_url: str, server: Server) -> None:
    """Each attacked path is a function's route: an attack on a path nobody serves (a 404)
    would prove nothing."""
    for path in server.attacked_paths:
        response = requests.post(f"{base_url}{path}", data=b"{}", timeout=5)
        assert response.status_code != 404, f"{path} is no route of {server.software}"


def sample(watchdog: Watchdog, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and watchdog.killed_at is None:
        time.sleep(0.05)


def assert_bounded(
    name: str,
    watchdog: Watchdog,
    baseline: int,
    cpu_used: float,
    seconds: float,
    allowed_growth: int = ALLOWED_GROWTH,
) -> None:
    print(
        f"\n{name}: RSS {baseline / MB:.1f} MB before, peak {watchdog.peak / MB:.1f} MB; "
        f"{cpu_used:.2f} s CPU in the {seconds:.0f} s after the attack"
    )
    assert watchdog.killed_at is None, (
        f"{name} passed {RSS_CAP // MB} MB ({watchdog.killed_at / MB:.0f} MB) and was killed"
    )
    assert watchdog.peak - baseline < allowed_growth, (
        f"{name} grew from {baseline / MB:.0f} MB to {watchdog.peak / MB:.0f} MB"
    )
    assert cpu_used < ALLOWED_CPU_SECONDS * seconds / SAMPLE_SECONDS, (
        f"{name} kept busy: {cpu_used:.2f} s CPU in {seconds:.0f} s"
    )


@pytest.mark.parametrize("name", SERVERS)
def test_a_chunked_body_cut_off_by_a_disconnect_leaves_the_server_bounded(name, tmp_path):
    server = SERVERS[name]
    with watched_server(name, tmp_path) as (base_url, watchdog):
        probe(base_url, server)  # lazily built parts (settings, templates) count as baseline
        assert_routes_exist(base_url, server)
        baseline = watchdog.reset_peak()

        port = int(base_url.rsplit(":", 1)[1])
        for path in server.attacked_paths:
            for _ in range(5):
                with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
                    client.sendall(CHUNKED_HEAD % path.encode() + CUT_OFF_BODY)
        time.sleep(0.5)  # the requests' own work, before the server should be idle
        cpu_before = watchdog.cpu_seconds()
        sample(watchdog, SAMPLE_SECONDS)
        cpu_used = watchdog.cpu_seconds() - cpu_before

        assert_bounded(name, watchdog, baseline, cpu_used, SAMPLE_SECONDS)
        probe(base_url, server)


def test_an_endless_chunked_body_leaves_the_dev_server_bounded(tmp_path):
    """A client that keeps sending: each app reads no more than the largest body it accepts.

    (gunicorn buffers such a body whole when functions-framework drains it; in Google Cloud the
    platform's request size limit bounds it, which is why only the dev server is held to this.)
    """
    name = "dev-server"
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"  # 1 MiB
    with watched_server(name, tmp_path) as (base_url, watchdog):
        probe(base_url, SERVERS[name])
        baseline = watchdog.reset_peak()

        port = int(base_url.rsplit(":", 1)[1])
        statuses = {}
        for path in SERVERS[name].attacked_paths:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                client.sendall(CHUNKED_HEAD % path.encode())
                try:
                    for _ in range(128):
                        client.sendall(chunk)
                    client.sendall(b"0\r\n\r\n")
                except OSError:
                    pass  # the server may close the connection once it has answered ...
                status_line = client.makefile("rb").readline()  # ... which is still to read
                assert status_line, f"{path}: the server closed without an answer"
                statuses[path] = int(status_line.split()[1])
        cpu_before = watchdog.cpu_seconds()
        sample(watchdog, 1.0)
        cpu_used = watchdog.cpu_seconds() - cpu_before

        assert_bounded(name, watchdog, baseline, cpu_used, 1.0, ENDLESS_ALLOWED_GROWTH)
        # The form's pipeline refuses the size; functions-framework the event's content type.
        assert statuses == {"/signup": 413, "/deliver-mail": 415}
        probe(base_url, SERVERS[name])
