"""The Nu HTML Checker (vnu.jar, run with Java) on many documents in one run.

``make setup`` installs vnu.jar from the npm package ``vnu-jar``, pinned in ``devstack/vnu/``;
Java comes from the machine. Starting the JVM takes longer than checking a page, so every
caller hands over all of its documents at once: :func:`check` writes them to a temporary
folder, runs vnu once on all of them and gives each document's messages back under the name
the caller gave it.

    check({"signup form": html, "werkwijze mail": mail_html}).assert_no_errors()
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPOSITORY = Path(__file__).resolve().parents[1]
VNU_JAR = (
    REPOSITORY / "devstack" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)
# Generous: one run of a few dozen documents takes a few seconds.
TIMEOUT_SECONDS = 300
# Without the JIT's slow tier and with the simplest collector a run takes about half the time:
# a short-lived checker gains nothing from either. vnu's schema check recurses deeply, and with
# only the quick JIT's larger frames it overflows Java's default 1 MB stack (a StackOverflowError,
# "requires a java thread stack size of at least 512k"); 2 MB was enough, 4 MB leaves room.
JAVA_OPTIONS = ("-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class CheckerUnavailable(RuntimeError):
    """vnu cannot run here: the set-up is incomplete (the message says what to do)."""


@dataclass(frozen=True, slots=True)
class Message:
    """One of vnu's messages about a document (see vnu's JSON output format)."""

    type: str  # "error", "info" (with sub_type "warning" or none) or "non-document-error"
    sub_type: str | None
    text: str
    line: int | None
    column: int | None
    extract: str

    @property
    def is_error(self) -> bool:
        return self.type in ("error", "non-document-error")

    def __str__(self) -> str:
        kind = self.sub_type or self.type
        where = f"line {self.line}, column {self.column}" if self.line is not None else "-"
        extract = " ".join(self.extract.split())
        return f"{where}: {kind}: {self.text}" + (f"\n      {extract}" if extract else "")


@dataclass(frozen=True, slots=True, repr=False)
class Report:
    """vnu's messages for every document checked, by the caller's name for it."""

    messages: Mapping[str, tuple[Message, ...]]

    def __repr__(self) -> str:  # short: pytest shows it beside every failing test's fixtures
        errors = sum(len(found) for found in self.errors().values())
        return f"<Report: {len(self.messages)} documents, {errors} errors>"

    def errors(self) -> dict[str, list[Message]]:
        """Each document with errors, and those errors (warnings and notes left out)."""
        found = {name: [m for m in found if m.is_error] for name, found in self.messages.items()}
        return {name: errors for name, errors in found.items() if errors}

    def describe(self, *names: str) -> str:
        """The errors of the named documents (of all by default) as a readable list: each
        document, then each error with its place and the markup around it."""
        lines = []
        for name, errors in self.errors().items():
            if not names or name in names:
                lines.append(f"{name}: {len(errors)} error(s)")
                lines.extend(f"  {error}" for error in errors)
        return "\n".join(lines) or "no errors"

    def assert_no_errors(self, *names: str) -> None:
        """Fails with :meth:`describe` when a named document (any by default) has an error."""
        __tracebackhide__ = True  # pytest: the failure is the caller's
        unknown = set(names) - set(self.messages)
        if unknown:
            raise AssertionError(f"vnu checked no document named {sorted(unknown)}")
        if any(name in self.errors() for name in names or self.messages):
            raise AssertionError("vnu found errors:\n" + self.describe(*names))


def java() -> str:
    found = shutil.which("java")
    if found is None:
        raise CheckerUnavailable(
            "java is not on PATH: the Nu HTML Checker (vnu.jar) needs Java 11 or newer; "
            "install it (Debian: apt-get install default-jre-headless)"
        )
    return found


def vnu_jar() -> Path:
    if not VNU_JAR.is_file():
        raise CheckerUnavailable(f"{VNU_JAR} is missing: run `make setup` (npm ci in devstack/vnu)")
    return VNU_JAR


def check(documents: Mapping[str, str]) -> Report:
    """Checks every document (a name and its HTML) with one run of vnu; every name is in the
    report, with no messages when vnu had nothing to say about it.

    Raises :class:`CheckerUnavailable` when Java or vnu.jar is missing, and RuntimeError when
    vnu fails or reports on a file it was not given.
    """
    if not documents:
        return Report({})
    command = [java(), *JAVA_OPTIONS, "-jar", str(vnu_jar())]
    with tempfile.TemporaryDirectory(prefix="vnu-") as folder:
        # Files are numbered, not named after the documents: any name is then allowed, and
        # vnu's answer maps back without guessing how it spells a path.
        files: dict[str, str] = {}
        for number, (name, html) in enumerate(documents.items()):
            path = Path(folder) / f"document-{number:04d}.html"
            path.write_text(html, encoding="utf-8")
            files[path.name] = name
        result = subprocess.run(
            [*command, "--format", "json", "--exit-zero-always", "--stdout", *sorted(files)],
            cwd=folder,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
        )
    if result.returncode != 0:
        raise RuntimeError(
            f"vnu failed (exit {result.returncode}): {result.stderr.decode(errors='replace')}"
        )
    try:
        answer = json.loads(result.stdout)
    except ValueError as error:
        raise RuntimeError(f"vnu's answer is not JSON: {result.stdout[:500]!r}") from error
    messages: dict[str, list[Message]] = {name: [] for name in documents}
    for raw in answer["messages"]:
        file_name = Path(unquote(urlsplit(raw.get("url", "")).path)).name
        if file_name not in files:
            raise RuntimeError(f"vnu reported on something it was not given: {raw}")
        messages[files[file_name]].append(
            Message(
                type=raw["type"],
                sub_type=raw.get("subType"),
                text=raw.get("message", ""),
                line=raw.get("lastLine", raw.get("firstLine")),
                column=raw.get("firstColumn"),
                extract=raw.get("extract", ""),
            )
        )
    return Report({name: tuple(found) for name, found in messages.items()})
