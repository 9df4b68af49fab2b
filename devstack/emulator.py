"""Local Firestore emulator: find one, start it on a free port, wait until it answers, stop it.

Used by `make dev` and by the test fixtures. Kinds, in order of preference:

- ``external``: FIRESTORE_EMULATOR_HOST is set; that emulator is used and nothing is started.
- ``google``: Google's emulator (Java), from the Google Cloud SDK's ``cloud-firestore-emulator``
  component. Detects conflicting transactions and enforces update-time preconditions.
- ``npm``: ``@firestore-emulator/server`` under node, installed by ``make setup`` into
  devstack/firestore-npm. Enforces exists-preconditions only (see server.js there).

CLI: ``python -m devstack.emulator [--kind auto|google|npm]`` starts one, prints
``FIRESTORE_EMULATOR_HOST=127.0.0.1:PORT`` and runs until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from devstack.processes import free_port, log_tail, terminate_group

ENV_VAR = "FIRESTORE_EMULATOR_HOST"
EXTERNAL = "external"
GOOGLE = "google"
NPM = "npm"

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = REPO_ROOT / ".local"
NPM_DIR = REPO_ROOT / "devstack" / "firestore-npm"
NPM_PACKAGE_DIR = NPM_DIR / "node_modules" / "@firestore-emulator" / "server"
GOOGLE_COMPONENT = Path("platform") / "cloud-firestore-emulator" / "cloud_firestore_emulator"

START_TIMEOUT = 60.0
PROBE_PROJECT = "emulator-readiness-probe"
LOG_TAIL_LINES = 25
LOG_ROTATE_BYTES = 5 * 1024 * 1024

SETUP_HINT = (
    "No Firestore emulator available: run `make setup` (installs the npm emulator into "
    "devstack/firestore-npm; needs node on PATH), install the Google Cloud SDK component "
    "`cloud-firestore-emulator` (needs java), or set FIRESTORE_EMULATOR_HOST to a running one."
)

# The firestore Client reads FIRESTORE_EMULATOR_HOST when it is constructed; this lock keeps our
# own brief, restored changes of it from overlapping.
_ENV_LOCK = threading.Lock()


class EmulatorError(RuntimeError):
    """An emulator could not be found, started or reached."""


class NoEmulatorError(EmulatorError):
    """No emulator kind is available on this machine."""

    def __init__(self) -> None:
        super().__init__(SETUP_HINT)


@functools.cache
def _google_sdk_root() -> Path | None:
    """Root of the Google Cloud SDK that the gcloud on PATH belongs to, or None."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        return None
    # Usually bin/gcloud inside the SDK, reached through a symlink (/usr/bin, Homebrew).
    root = Path(gcloud).resolve().parent.parent
    if (root / "lib" / "gcloud.py").is_file():
        return root
    # A wrapper elsewhere (snap, custom scripts): ask gcloud itself, once (about 1.5 s).
    try:
        out = subprocess.run(
            [gcloud, "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


def _google_launcher() -> Path | None:
    """The launcher script of Google's emulator if it and java are installed, else None."""
    if shutil.which(os.environ.get("JAVA") or "java") is None:
        return None
    root = _google_sdk_root()
    if root is None:
        return None
    launcher = root / GOOGLE_COMPONENT
    return launcher if launcher.is_file() and os.access(launcher, os.X_OK) else None


def _npm_installed() -> bool:
    """Whether node is on PATH and the npm emulator package is installed."""
    return shutil.which("node") is not None and (NPM_PACKAGE_DIR / "package.json").is_file()


def available_kinds() -> list[str]:
    """Emulator kinds usable here, most preferred first.

    ``["external"]`` alone if FIRESTORE_EMULATOR_HOST is set; otherwise any of ``"google"`` and
    ``"npm"`` that are installed, in that order. May be empty.
    """
    if os.environ.get(ENV_VAR):
        return [EXTERNAL]
    kinds = []
    if _google_launcher() is not None:
        kinds.append(GOOGLE)
    if _npm_installed():
        kinds.append(NPM)
    return kinds


def preferred_kind() -> str:
    """The first of `available_kinds()`; raises `NoEmulatorError` if there is none."""
    kinds = available_kinds()
    if not kinds:
        raise NoEmulatorError()
    return kinds[0]


def _command(kind: str, port: int) -> list[str]:
    if kind == GOOGLE:
        launcher = _google_launcher()
        if launcher is None:
            raise EmulatorError(
                "google emulator not installed: needs gcloud with the SDK component "
                "`cloud-firestore-emulator`, and java, on PATH"
            )
        # The component's launcher runs java directly; `gcloud emulators firestore start` adds
        # a Python process in front of it and starts about half a second slower.
        return [
            str(launcher),
            "start",
            "--host=127.0.0.1",
            f"--port={port}",
            "--database-mode=firestore-native",
        ]
    if kind == NPM:
        if not _npm_installed():
            raise EmulatorError(f"npm emulator not installed (needs node on PATH). {SETUP_HINT}")
        return ["node", str(NPM_DIR / "server.js"), str(port)]
    raise EmulatorError(f"unknown emulator kind {kind!r}; expected one of {GOOGLE}, {NPM}")


def _probe(host: str) -> None:
    """One real Firestore call against `host`: get a document that does not exist."""
    from google.cloud import firestore

    with _ENV_LOCK:
        saved = os.environ.get(ENV_VAR)
        os.environ[ENV_VAR] = host
        try:
            client = firestore.Client(project=PROBE_PROJECT)
        finally:
            if saved is None:
                del os.environ[ENV_VAR]
            else:
                os.environ[ENV_VAR] = saved
    client.collection("probe").document("missing").get(timeout=5, retry=None)


class RunningEmulator:
    """A started (or external) Firestore emulator.

    Attributes:
        kind: ``"google"``, ``"npm"`` or ``"external"``.
        host: ``"127.0.0.1:PORT"`` (for ``external``: the value of FIRESTORE_EMULATOR_HOST).
        command: the command that was started (empty for ``external``).
        log_path: where its output goes (None for ``external``).
    """

    def __init__(
        self,
        kind: str,
        host: str,
        process: subprocess.Popen[bytes] | None = None,
        command: list[str] | None = None,
        log_path: Path | None = None,
        log_offset: int = 0,
    ) -> None:
        self.kind = kind
        self.host = host
        self.command = command or []
        self.log_path = log_path
        self._process = process
        self._log_offset = log_offset
        self._owner_pid = os.getpid()
        self._lock = threading.Lock()
        self._stopped = process is None
        if process is not None:
            atexit.register(self._stop_at_exit)

    def __repr__(self) -> str:
        return f"RunningEmulator(kind={self.kind!r}, host={self.host!r}, pid={self.pid})"

    @property
    def pid(self) -> int | None:
        """Process id of the emulator, which is also its process group id; None if external."""
        return self._process.pid if self._process is not None else None

    @property
    def port(self) -> int:
        """The port of `host`."""
        return int(self.host.rpartition(":")[2])

    def exited(self) -> bool:
        """Whether a started emulator's process has exited (never true for external)."""
        return self._process is not None and self._process.poll() is not None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines this emulator wrote to its log."""
        if self.log_path is None:
            return ""
        return log_tail(self.log_path, self._log_offset, lines)

    def stop(self) -> None:
        """Stop the emulator and every process it started; idempotent, no-op for external.

        SIGTERM to its process group, up to 10 s for all of it to exit, then SIGKILL.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        atexit.unregister(self._stop_at_exit)
        assert self._process is not None
        terminate_group(self._process)

    def _stop_at_exit(self) -> None:
        # A forked child (e.g. a server worker) inherits atexit handlers; only the owner stops.
        if os.getpid() == self._owner_pid:
            self.stop()


def _open_log(kind: str) -> tuple[Path, int]:
    """Log file for `kind` (appended to, so concurrent runs do not clobber each other)."""
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCAL_DIR / f"emulator-{kind}.log"
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size > LOG_ROTATE_BYTES:
            path.replace(path.with_name(path.name + ".old"))
    return path, (path.stat().st_size if path.exists() else 0)


def _wait_until_answering(
    emulator: RunningEmulator, process: subprocess.Popen[bytes], deadline: float
) -> None:
    def fail(reason: str) -> EmulatorError:
        return EmulatorError(
            f"{emulator.kind} Firestore emulator {reason}\n"
            f"command: {' '.join(emulator.command)}\n"
            f"log ({emulator.log_path}), last lines:\n{emulator.log_tail()}"
        )

    # First wait for the port (cheap), then for a real Firestore call to succeed. Probing gRPC
    # before the port is open would put the channel into reconnect back-off.
    port_open = False
    last_error: Exception | None = None
    while True:
        if process.poll() is not None:
            raise fail(f"exited early with status {process.returncode}")
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise fail(f"did not answer within {START_TIMEOUT:.0f} s{detail}")
        if not port_open:
            try:
                with socket.create_connection(("127.0.0.1", emulator.port), timeout=1):
                    port_open = True
            except OSError:
                time.sleep(0.05)
                continue
        try:
            _probe(emulator.host)
            return
        except Exception as exc:  # any failure means "not ready yet"
            last_error = exc
            time.sleep(0.1)


def start(kind: str) -> RunningEmulator:
    """Start an emulator of `kind` on a free port and wait until it answers Firestore calls.

    ``"external"`` starts nothing and wraps FIRESTORE_EMULATOR_HOST. For ``"google"`` and
    ``"npm"`` the emulator runs in its own session (process group), writes to
    ``.local/emulator-<kind>.log``, and is stopped at interpreter exit if not stopped before.
    Raises `EmulatorError` (naming the kind, the command and the log's last lines) if it exits
    early or does not answer within 60 s.
    """
    if kind == EXTERNAL:
        host = os.environ.get(ENV_VAR)
        if not host:
            raise EmulatorError(f"kind {EXTERNAL!r} needs {ENV_VAR} to be set")
        return RunningEmulator(EXTERNAL, host)

    port = free_port()
    command = _command(kind, port)
    log_path, log_offset = _open_log(kind)
    with log_path.open("ab") as log:
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
    emulator = RunningEmulator(
        kind, f"127.0.0.1:{port}", process, command, log_path, log_offset=log_offset
    )
    try:
        _wait_until_answering(emulator, process, time.monotonic() + START_TIMEOUT)
    except BaseException:
        emulator.stop()
        raise
    return emulator


@contextlib.contextmanager
def running(kind: str) -> Iterator[RunningEmulator]:
    """Context manager: `start(kind)`, yield the emulator, stop it on exit."""
    emulator = start(kind)
    try:
        yield emulator
    finally:
        emulator.stop()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack.emulator",
        description="Run a local Firestore emulator until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--kind", choices=["auto", GOOGLE, NPM], default="auto")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        kind = preferred_kind() if args.kind == "auto" else args.kind
        started = time.monotonic()
        emulator = start(kind)
    except KeyboardInterrupt:
        return 130
    except EmulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(
            f"# {kind} emulator ready in {time.monotonic() - started:.1f} s; Ctrl-C stops it",
            file=sys.stderr,
        )
        print(f"{ENV_VAR}={emulator.host}", flush=True)
        while not emulator.exited():
            time.sleep(0.5)
        print(
            f"error: {kind} emulator exited unexpectedly; last lines of {emulator.log_path}:\n"
            f"{emulator.log_tail()}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
