"""The .eml files the ``file`` transport writes, taken one by one as they arrive, by what a
reader sees of them (subject, recipient): tests do not depend on how mail ids are made."""

from __future__ import annotations

import time
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


class MailWatch:
    def __init__(self, directory: Path, diagnostics: Callable[[], str] = lambda: "") -> None:
        self.directory = directory
        self.diagnostics = diagnostics
        self.seen: set[str] = set()

    def next_mail(
        self, subject: str, *, to: str | None = None, timeout: float = 15.0
    ) -> EmailMessage:
        """The first mail not taken before whose subject contains ``subject`` (and that goes
        to ``to``, if given)."""
        deadline = time.monotonic() + timeout
        while True:
            for path in self._files():
                if path.name in self.seen:
                    continue
                message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
                assert isinstance(message, EmailMessage)
                if subject in str(message["Subject"]) and to in (None, str(message["To"])):
                    self.seen.add(path.name)
                    return message
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        arrived = [
            str(BytesParser(policy=policy.default).parsebytes(p.read_bytes())["Subject"])
            for p in self._files()
        ]
        raise AssertionError(
            f"no mail {subject!r}{f' to {to}' if to else ''} within {timeout:.0f} s "
            f"(arrived: {arrived or 'none'})\n{self.diagnostics()}"
        )

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml")) if self.directory.exists() else []
