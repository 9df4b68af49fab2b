"""The deployment configuration file: which initiative, areas, groups and coordinators.

One TOML file per deployment (see ``infra/deployments/buitenkaag.toml`` for a commented example)
is read by :func:`load_deployment` into frozen dataclasses. A file that breaks a rule is refused
with a :class:`ConfigError` listing every problem at once, one per line, each naming the file and
the place in it, e.g.::

    buitenkaag.toml: groups[2] (id "buitengebied").coordinators: at most one coordinator
    per group ([[groups.coordinators]]), found 2

Indexes in those places count from 1, in the order the entries appear in the file. The schema
and its rules live in :mod:`buurtwhatsapp.deployment.schema` (pydantic), imported only by
:func:`load_deployment`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .structure import Area, ConfigError, Deployment, Group, Initiative, Person, StreetRange

if TYPE_CHECKING:
    import tomllib

_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


# The deploy checks the deployment file when it stages the upload and writes what it read next
# to it, with the file's hash: a function's first request then reads that (about 1 ms) instead of
# checking the file again with pydantic and the contact libraries (about 100 ms of cold start).
COMPILED_SUFFIX = ".checked.json"


def load_deployment(path: str | Path) -> Deployment:
    """Read and check a deployment file; raise ConfigError listing every problem in it.

    A compiled copy written by ``compile_deployment`` is used instead when it was made from
    exactly these bytes.
    """
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError([f"{label}: cannot read the file: {error.strerror or error}"]) from None
    compiled = _compiled(Path(path), data)
    if compiled is not None:
        return compiled
    # Here, not at the top: an instance reads the compiled copy above, never the TOML.
    import tomllib

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(data[: error.start].decode("utf-8", "replace"))
        raise ConfigError(
            [f"{label}: line {line}, column {column}: the file is not valid UTF-8"]
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([_syntax_problem(label, text, error)]) from None
    # Here, not at the top: pydantic and the models cost some 60 ms of import, which reading
    # the file should pay (once per instance), not every module that uses the dataclasses.
    from . import schema

    return schema.check(document, label)


def compile_deployment(path: str | Path) -> Path:
    """Check the deployment file and write what it holds next to it, for load_deployment."""
    source = Path(path)
    deployment = load_deployment(source)
    target = source.with_name(source.name + COMPILED_SUFFIX)
    target.write_text(
        json.dumps(
            {"source_sha256": _sha256(source.read_bytes()), "deployment": asdict(deployment)}
        )
    )
    return target


def _compiled(path: Path, data: bytes) -> Deployment | None:
    """The compiled copy of the file at ``path``, if there is one made from ``data``."""
    try:
        compiled = json.loads(path.with_name(path.name + COMPILED_SUFFIX).read_text())
    except (OSError, ValueError):
        return None
    if compiled.get("source_sha256") != _sha256(data):
        return None  # the file changed since it was compiled: check it again
    return _deployment_from_dict(compiled["deployment"])


def _deployment_from_dict(data: dict[str, Any]) -> Deployment:
    def person(entry: dict[str, Any]) -> Person:
        return Person(**entry)

    return Deployment(
        initiative=Initiative.from_fields(data["initiative"]),
        areas=tuple(
            Area(
                id=area["id"],
                name=area["name"],
                postcodes=tuple(area["postcodes"]),
                streets=tuple(
                    StreetRange(**{k: v for k, v in street.items() if k != "_key"})
                    for street in area["streets"]
                ),
                households=area.get("households"),
            )
            for area in data["areas"]
        ),
        groups=tuple(
            Group(
                **{
                    **group,
                    "coordinator": person(group["coordinator"]) if group["coordinator"] else None,
                }
            )
            for group in data["groups"]
        ),
        regiegroep=tuple(person(entry) for entry in data["regiegroep"]),
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _position(text_before: str) -> tuple[int, int]:
    """1-based line and column of the character that follows ``text_before``."""
    lines = text_before.split("\n")
    return len(lines), len(lines[-1]) + 1


def _syntax_problem(label: str, text: str, error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    found = _TOML_POSITION.search(message)
    if found is not None:
        message = message[: found.start()]
        if line is None:
            if found.group(1) is not None:
                line, column = int(found.group(1)), int(found.group(2))
            else:
                line, column = _position(text)
    where = f"line {line}, column {column}: " if line is not None else ""
    return f"{label}: {where}TOML syntax error: {message}"
