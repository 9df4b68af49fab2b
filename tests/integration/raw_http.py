"""Raw HTTP/1.1 over a socket, and the dev server in a process of its own.

For the property-based run of test_http_fuzz.py: a request is the exact bytes a hostile client
writes (its framing, encodings and headers included), and the server runs apart from pytest so
that its memory can be read from /proc.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RawRequest:
    """One request as bytes on the wire, less the Host and Connection headers added on sending.

    ``payload`` is the body exactly as framed (a chunked body carries its chunk lines). After it
    the client ends its sending side, so that a body shorter than announced ends there, as when
    a client gives up; one that ``vanishes`` closes the connection without reading the answer.
    """

    method: str
    target: str
    headers: tuple[tuple[str, bytes], ...] = ()
    payload: bytes = b""
    vanishes: bool = False
    note: str = ""
    expect: int | None = None  # the one status the contract allows, where there is one

    def wire(self, host: bytes) -> bytes:
        names = {name.lower() for name, _ in self.headers}
        # The target may carry raw bytes, held one per character (latin-1).
        lines = [f"{self.method} {self.target} HTTP/1.1".encode("latin-1")]
        if "host" not in names:
            lines.append(b"Host: " + host)
        lines.extend(name.encode("latin-1") + b": " + value for name, value in self.headers)
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.payload

    def describe(self, limit: int = 300) -> str:
        """The request as a reader of a failure report needs it, long bodies shortened."""
        shown = self.wire(b"127.0.0.1")
        text = repr(shown if len(shown) <= limit else shown[:limit] + b"...")
        extra = f" (+{len(shown) - limit} bytes)" if len(shown) > limit else ""
        closing = ", then the client vanished" if self.vanishes else ""
        return f"{self.note + ': ' if self.note else ''}{text}{extra}{closing}"


@dataclass
class RawAnswer:
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    problem: str | None = None  # why there is no complete answer


def exchange(port: int, request: RawRequest, timeout: float) -> RawAnswer:
    """Send ``request`` to 127.0.0.1:``port`` and read the whole answer, within ``timeout``."""
    started = time.monotonic()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as error:
        return RawAnswer(None, problem=f"no connection: {error!r}")
    with sock:
        try:
            sock.sendall(request.wire(f"127.0.0.1:{port}".encode()))
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before taking all of a refused body
        if request.vanishes:
            return RawAnswer(None, seconds=time.monotonic() - started, problem="vanished")
        response = http.client.HTTPResponse(sock, method=request.method)
        try:
            response.begin()
            body = response.read()
        except TimeoutError:
            return RawAnswer(None, seconds=time.monotonic() - started, problem="no answer in time")
        except (OSError, http.client.HTTPException) as error:
            return RawAnswer(
                None, seconds=time.monotonic() - started, problem=f"no answer: {error!r}"
            )
        finally:
            response.close()
    return RawAnswer(
        response.status,
        {name.lower(): value for name, value in response.getheaders()},
        body,
        time.monotonic() - started,
    )


def resident_memory(pid: int) -> int:
    """The resident set size of process ``pid`` in bytes, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class DevServerProcess:
    """``python -m devstack.serve`` on a free port, with the given environment additions."""

    def __init__(self, environment: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPOSITORY / "functions"), str(REPOSITORY)]),
            "PUBLIC_BASE_URL": f"http://localhost:{self.port}",
            **environment,
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "devstack.serve", "--port", str(self.port)],
                cwd=REPOSITORY,
                env=self._environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        probe = RawRequest("GET", "/signup")
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dev server exited early:\n{self.log_tail()}")
            if exchange(self.port, probe, timeout=5).status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"dev server did not answer within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """SIGTERM (serve.py unwinds as on Ctrl-C), then SIGKILL if it lingers."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])
