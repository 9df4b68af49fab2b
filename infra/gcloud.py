"""gcloud, as the deploy uses it: reads that change nothing, and changes that are printed
(pasteable, shell-quoted), timed, shown as they run, and explained when they fail.

Every command gets ``--project``. Reads ask for JSON and run in a dry run too (they change
nothing); changes only print in a dry run. A read that fails in a dry run (no account yet, no
access) makes the plan assume the resource is missing, and says so once.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO


class GcloudError(Exception):
    """A gcloud command failed; ``message`` is what gcloud said (its last lines)."""

    def __init__(self, command: Sequence[str], message: str, returncode: int) -> None:
        super().__init__(message)
        self.command = list(command)
        self.message = message
        self.returncode = returncode


class Unreadable(Exception):
    """A dry run could not read the project; the caller plans as if the resource is missing."""


@dataclass
class Gcloud:
    project: str
    dry_run: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    executable: str = "gcloud"
    changes: list[list[str]] = field(default_factory=list)
    unreadable_reason: str | None = None

    def command(self, *args: str) -> list[str]:
        return [self.executable, *args, f"--project={self.project}"]

    def read(self, *args: str) -> Any:
        """The JSON answer of a read-only command (list, describe, get-iam-policy)."""
        command = self.command(*args, "--format=json")
        if self.dry_run and self.unreadable_reason is not None:
            raise Unreadable(self.unreadable_reason)
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            message = _last_lines(result.stderr)
            if self.dry_run:
                self.unreadable_reason = message
                print(
                    "  ! could not read the project, so the plan assumes it is empty:\n"
                    + _indent(message, "    "),
                    file=self.out,
                )
                raise Unreadable(message)
            raise GcloudError(command, message, result.returncode)
        return json.loads(result.stdout or "null")

    def change(self, *args: str, stdin: str | None = None, stdin_label: str = "") -> str:
        """Run (or, in a dry run, only print) a command that changes the project.

        ``stdin`` carries secret values: never on the command line, never printed; the plan
        shows ``stdin_label`` in its place.
        """
        command = self.command(*args)
        shown = shlex.join(command)
        if stdin is not None:
            shown += f"  # stdin: {stdin_label or 'a value'}"
        print(f"    $ {shown}", file=self.out, flush=True)
        self.changes.append(command)
        if self.dry_run:
            return ""
        return _run_shown(command, stdin, self.out)


def _run_shown(command: list[str], stdin: str | None, out: TextIO) -> str:
    """Run ``command``, echoing gcloud's progress and warnings (stderr) as they come."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr_lines: list[str] = []

    def echo_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_lines.append(line)
            if line.strip():
                print(f"      {line.rstrip()}", file=out, flush=True)

    reader = threading.Thread(target=echo_stderr, daemon=True)
    reader.start()
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin)  # a secret of a few bytes: the pipe takes it at once
        process.stdin.close()
    assert process.stdout is not None
    stdout = process.stdout.read()
    process.wait()
    reader.join()
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise GcloudError(command, _last_lines("".join(stderr_lines)), process.returncode)
    if seconds >= 5:
        print(f"      (took {seconds:.0f} s)", file=out, flush=True)
    return stdout


def _last_lines(text: str, count: int = 12) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:]) or "(gcloud printed nothing)"


def _indent(text: str, prefix: str) -> str:
    return textwrap.indent(text, prefix)
