"""The staged upload unit run the way Google runs it: its own environment, a process per function.

In Google Cloud, Cloud Build installs ``functions/requirements.txt`` (and nothing else) into a
fresh environment, and Cloud Run starts each function as its own ``functions-framework
--target=NAME`` server in the upload's directory. `upload_venv` builds that environment (cached
under .local/upload-venv/), `start_function` starts one such server on a localhost port in a
process group of its own, and `stop_functions` stops them, gunicorn's workers included.

Shared by tests/integration/test_upload_unit.py and the benchmarks (bench/), so that both run
the functions exactly alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from devstack.processes import live_group_members, log_tail, terminate_group

REPOSITORY = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPOSITORY / "functions" / "requirements.txt"
VENV_CACHE = REPOSITORY / ".local" / "upload-venv"
# A cold build takes about 20 s here; a slow mirror may take minutes. Beyond this it is stuck.
VENV_BUILD_TIMEOUT = 900.0
OUTPUT_TAIL_LINES = 40


class VenvBuildError(RuntimeError):
    """The functions' environment could not be built; the message holds pip's last words."""


# ---- the build: functions/requirements.txt alone, in a fresh virtual environment -------------


def upload_venv(
    requirements: Path = REQUIREMENTS,
    cache: Path = VENV_CACHE,
    on_build: Callable[[Path], None] | None = None,
) -> Path:
    """A virtual environment with exactly ``requirements`` installed, as Cloud Build makes one.

    Kept in ``cache`` under a key of the requirements and this Python, so a changed file gets a
    new one; ``on_build`` hears of it (with the venv's path) when one is built. Built in a
    temporary directory and renamed into place: a rename is atomic, so a directory under its key
    is always complete, and of two runs racing to build it the second rename fails and that run
    uses the first one's.
    """
    key = _venv_key(requirements.read_bytes())
    venv = cache / key
    if (venv / "pyvenv.cfg").is_file():
        return venv
    if on_build is not None:
        on_build(venv)
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".building-{key}-", dir=cache))
    building.chmod(0o755)  # mkdtemp makes it private; the venv is an ordinary directory
    log = building.with_suffix(".log")
    try:
        # From the base interpreter, not the development venv the caller runs in.
        _run([sys.executable, "-m", "venv", "--clear", str(building)], log)
        pip = [str(building / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--no-input", "-r", str(requirements)], log)
        try:
            building.rename(venv)
        except OSError:
            if not (venv / "pyvenv.cfg").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
        log.unlink(missing_ok=True)
    _forget_other_venvs(cache, keep=venv)
    return venv


def _venv_key(requirements: bytes) -> str:
    python = f"{platform.python_version()} {sys.base_prefix} {platform.machine()}"
    digest = hashlib.sha256(requirements + b"\0" + python.encode()).hexdigest()[:16]
    return f"py{sys.version_info.major}{sys.version_info.minor}-{digest}"


def _run(command: list[str], log: Path) -> None:
    # The machine's pip configuration (index, proxy) applies, as it would to a maintainer; but
    # nothing of the caller's own environment may reach the build.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER", "PIP_TARGET")
    }
    with log.open("ab") as output:
        # A session of its own, so that a build stopped halfway (timeout, Ctrl-C) leaves no
        # process of pip's behind.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    try:
        status = process.wait(VENV_BUILD_TIMEOUT)
    except BaseException as error:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if not isinstance(error, subprocess.TimeoutExpired):
            raise
        status = f"no result within {VENV_BUILD_TIMEOUT:.0f} s"
    if status != 0:
        raise VenvBuildError(
            f"could not build the functions' environment (exit status: {status}); "
            f"{' '.join(command)} said:\n{tail(log)}"
        )


def _forget_other_venvs(cache: Path, keep: Path) -> None:
    """Remove environments of earlier requirements (about 200 MB each) and abandoned builds.

    Only those untouched for an hour: another run may be using one right now.
    """
    an_hour_ago = time.time() - 3600
    for entry in cache.iterdir():
        with suppress(OSError):  # another run may remove it first
            if entry != keep and entry.stat().st_mtime < an_hour_ago:
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()


# ---- the runtime: one functions-framework process per function -------------------------------


class Target(Protocol):
    """What `start_function` needs of a function: infra.functions.FunctionSpec has it."""

    @property
    def entry_point(self) -> str: ...

    @property
    def signature_type(self) -> str: ...


def function_name(spec: Target) -> str:
    """The function's name in Google Cloud, and so the path of its URL."""
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) else spec.entry_point.replace("_", "-")


@dataclass
class FunctionProcess:
    spec: Target
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def name(self) -> str:
        return function_name(self.spec)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    def output(self) -> str:
        """The last of what the function wrote: its JSON log lines (what Cloud Logging would
        show) as text, stack traces unfolded, and anything else (a crash at start) as it is."""
        lines = []
        for line in tail(self.log).splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict) and "message" in entry:
                lines.append(f"{entry.get('severity', '')} {entry['message']}")
                lines.extend(str(entry.get("stack_trace", "")).splitlines()[-8:])
            else:
                lines.append(line)
        heading = f"--- {self.name} (functions-framework --target={self.spec.entry_point}) ---"
        return "\n".join([heading, *lines])


def start_function(
    spec: Target,
    port: int,
    *,
    venv: Path,
    upload: Path,
    environment: dict[str, str],
    log_dir: Path,
) -> FunctionProcess:
    """``functions-framework --target=...`` for ``spec`` from ``venv``, in ``upload``, in a
    process group of its own (so that stopping it stops gunicorn's worker too)."""
    log = log_dir / f"{function_name(spec)}.log"
    # Each Cloud Run instance has a file system of its own; gunicorn keeps its control socket
    # under $HOME, so the functions must not share one.
    home = log_dir / f"{function_name(spec)}-home"
    home.mkdir(exist_ok=True)
    command = [
        # The venv was built under another name and renamed: its scripts' #! lines name the
        # build directory, so the script is run by the venv's interpreter explicitly.
        str(venv / "bin" / "python"),
        str(venv / "bin" / "functions-framework"),
        f"--target={spec.entry_point}",
        f"--signature-type={spec.signature_type}",
        "--host=127.0.0.1",
        f"--port={port}",
    ]
    # What Cloud Run sets for a 2nd gen function, and nothing of the caller's own environment.
    runtime = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "K_SERVICE": function_name(spec),
        "K_REVISION": f"{function_name(spec)}-00001-loc",
        "K_CONFIGURATION": function_name(spec),
        "FUNCTION_TARGET": spec.entry_point,
        "FUNCTION_SIGNATURE_TYPE": spec.signature_type,
        "LOG_EXECUTION_ID": "true",
        "PYTHONUNBUFFERED": "1",  # a crash's last words reach the log
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=upload,
            env={**runtime, **environment},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return FunctionProcess(spec, port, process, log)


def stop_functions(functions: list[FunctionProcess]) -> None:
    """SIGTERM to each process group (gunicorn's master stops its worker, then itself), all at
    once so that they shut down together; then each group is stopped whole (SIGKILL for what
    is left after STOP_TIMEOUT)."""
    for function in functions:
        with suppress(ProcessLookupError):
            os.killpg(function.process.pid, signal.SIGTERM)
    for function in functions:
        terminate_group(function.process)


def live_members(group: int) -> list[int]:
    """Pids of the running (not zombie) processes of a process group."""
    return sorted(live_group_members(group) or ())


def tail(path: Path, lines: int = OUTPUT_TAIL_LINES) -> str:
    return log_tail(path, 0, lines)
