"""The source tree under measurement, which need not be the one the bench runs from.

``make bench BENCH_SOURCE=/tmp/before`` measures another checkout with this checkout's bench:
its functions, templates, requirements and infra/deploy.py's `stage` (loaded from that tree, so
that the upload is built as that tree builds it), its function list (infra/functions.py), and,
for the mail-latency figures, its own dev server. Nothing is written into that tree: Python
modules loaded from it write no bytecode there, and every child process is told the same.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import signal
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from devstack.upload_unit import function_name

BENCH_ROOT = Path(__file__).resolve().parent.parent
# A bench child (a journey, the dev server) beyond this address space is a runaway, not a
# measurement; gRPC and the interpreter reserve about 1 GiB of it at rest.
CHILD_ADDRESS_SPACE_BYTES = 4 * 2**30


class MeasuredFunction:
    """A function spec of the tree measured, with what this bench reads of it: an older tree's
    specs may lack ``name`` (the dashed entry point, its URL path in Google Cloud). Equal and
    hashed as its spec, so it can key a dict."""

    __slots__ = ("spec",)

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return function_name(self.spec)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.spec, attribute)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MeasuredFunction) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)


@dataclass(frozen=True)
class SourceTree:
    root: Path

    @property
    def requirements(self) -> Path:
        return self.root / "functions" / "requirements.txt"

    @property
    def example_deployment(self) -> Path:
        return self.root / "infra" / "deployments" / "buitenkaag.toml"

    def check(self) -> None:
        """Refuse a directory that is not a checkout of this project, naming what is missing."""
        needed = [
            self.requirements,
            self.root / "functions" / "main.py",
            self.root / "infra" / "deploy.py",
            self.root / "infra" / "functions.py",
            self.example_deployment,
        ]
        missing = [str(path) for path in needed if not path.is_file()]
        if missing:
            raise SystemExit(f"not a source tree of this project: missing {', '.join(missing)}")

    def stage(self, build_dir: Path) -> Path:
        """The upload unit, built by that tree's own ``infra.deploy.stage``."""
        deploy = self._load("infra/deploy.py")
        return deploy.stage(self.example_deployment, build_dir)

    def functions(self) -> tuple[MeasuredFunction, ...]:
        """That tree's ``infra.functions.FUNCTIONS``: what is deployed, and how triggered."""
        return tuple(MeasuredFunction(spec) for spec in self._load("infra/functions.py").FUNCTIONS)

    def describe(self) -> str:
        """Where it is and which commit, with the number of changed files (work in progress)."""
        try:
            commit = _git(self.root, "rev-parse", "--short", "HEAD")
            # --no-optional-locks: a status must not rewrite the other tree's index.
            changed = _git(self.root, "--no-optional-locks", "status", "--porcelain")
        except (OSError, subprocess.SubprocessError):
            return str(self.root)
        count = len([line for line in changed.splitlines() if line.strip()])
        state = f"{count} changed files" if count else "clean"
        return f"{self.root} at {commit}, {state}"

    def _load(self, relative: str) -> ModuleType:
        # A private module name: this tree's own infra package may be imported as well.
        name = f"_bench_source_{relative.replace('/', '_').removesuffix('.py')}_{id(self)}"
        spec = importlib.util.spec_from_file_location(name, self.root / relative)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is made
        writes_bytecode = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            spec.loader.exec_module(module)
        finally:
            sys.dont_write_bytecode = writes_bytecode
        return module


def _git(root: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.strip()


def child_environment(python_path: list[Path], extra: dict[str, str]) -> dict[str, str]:
    """The environment of a bench child: this one, its own module path, and no bytecode
    written (the path may lead into a tree the bench must not change)."""
    environment = dict(os.environ)
    for key in ("PYTHONPATH", "PYTHONHOME", "FIRESTORE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"):
        environment.pop(key, None)
    environment["PYTHONPATH"] = os.pathsep.join(str(path) for path in python_path)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return {**environment, **extra}


def run_child(
    arguments: list[str],
    *,
    python_path: list[Path],
    environment: dict[str, str],
    timeout: float,
    cwd: Path,
    accept: tuple[int, ...] = (0,),
) -> str:
    """Run ``python -P ARGUMENTS`` in a session of its own and return what it printed.

    ``-P``: the child's module path is exactly ``python_path`` (no script directory or working
    directory in front), so which tree each package comes from is decided here. The whole
    process group is killed on a timeout or when the bench itself is stopped.
    """
    process = subprocess.Popen(
        [sys.executable, "-P", *arguments],
        cwd=cwd,
        env=child_environment(python_path, environment),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # Set from here rather than in the child before exec: a preexec_fn is unsafe in a
        # process with threads, as the bench is once it has a Firestore client.
        limit = (CHILD_ADDRESS_SPACE_BYTES, CHILD_ADDRESS_SPACE_BYTES)
        with suppress(OSError):  # it may have exited already
            resource.prlimit(process.pid, resource.RLIMIT_AS, limit)
        output, errors = process.communicate(timeout=timeout)
    except BaseException:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything it left behind
    if process.returncode not in accept:
        last = "\n".join(errors.strip().splitlines()[-30:])
        raise ChildFailed(f"{' '.join(arguments[:3])} exited with {process.returncode}:\n{last}")
    return output


class ChildFailed(RuntimeError):
    """A bench child process failed; the message holds the end of what it wrote."""
