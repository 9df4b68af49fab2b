"""Mail as local ``.eml`` files: the default for ``make dev`` and the tests (``make outbox`` shows
them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .base import Check, Environment, TransportError, TransportKind, build

if TYPE_CHECKING:
    from ..message import OutgoingMail

# The repository's .local/outbox (or, staged, next to the upload), unless MAIL_OUTBOX_DIR says.
DEFAULT_OUTBOX = Path(__file__).resolve().parents[4] / ".local" / "outbox"


class FileTransport:
    """Writes each mail to ``<outbox_dir>/<mail_id>.eml``; the local default.

    The file appears complete or not at all (written to a temporary file, then renamed), and a
    second send of the same mail replaces the first.
    """

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = Path(outbox_dir)

    def send(self, mail: OutgoingMail) -> str:
        built = build(mail)  # validates mail_id, so it is a safe file name
        target = self.outbox_dir / f"{mail.mail_id}.eml"
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            import tempfile

            descriptor, temporary = tempfile.mkstemp(
                dir=self.outbox_dir, prefix=f".{mail.mail_id}.", suffix=".tmp"
            )
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(built.data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise TransportError(
                f"outbox not writable: {type(error).__name__}", permanent=False
            ) from None
        return built.message_id


@dataclass(frozen=True, slots=True)
class FileSettings:
    outbox_dir: Path


def _read(env: Environment, problems: list[str], chosen: bool) -> FileSettings:
    given = env.get("MAIL_OUTBOX_DIR")
    return FileSettings(Path(given) if given else DEFAULT_OUTBOX)


def _check(env: Environment, secrets: Environment) -> Iterator[Check]:
    yield Check(
        False,
        "MAIL_TRANSPORT is file: deployed functions would write mail nowhere anyone reads",
        'set MAIL_TRANSPORT: "ses" (or "smtp") in the env file',
    )


KIND = TransportKind(
    name="file",
    description="local .eml files (make dev, the tests)",
    read=_read,
    build=lambda settings: FileTransport(settings.outbox_dir),
    secret_variables=(),
    secrets=lambda env: (),
    check=_check,
    example="""# Mail as local .eml files (make dev): MAIL_OUTBOX_DIR, default .local/outbox.""",
)
