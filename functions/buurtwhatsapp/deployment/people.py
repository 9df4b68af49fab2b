"""Who coordinates each group and who sits in the regiegroep.

Names, addresses and numbers of coordinators are personal data: they live in Firestore (the
document ``people/current``), changed through the maintainer's command line, never in a deployed
artefact. The deployment file keeps the structure (areas, groups, capacity); a file that still
names coordinators seeds the document once (``People.from_deployment``), and serves a local run
that has no document yet.

Running functions read the document at most every ``PEOPLE_CACHE_SECONDS`` (five minutes by
default), so a change reaches them without a redeploy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .structure import Deployment, Person


@dataclass(frozen=True, slots=True)
class People:
    coordinators: Mapping[str, Person] = field(default_factory=dict)  # group id -> coordinator
    regiegroep: tuple[Person, ...] = ()
    # Every change makes a new version, fenced like a sign-up's revision (see store.py).
    version: int = 0

    def coordinator_of(self, group_id: str) -> Person | None:
        return self.coordinators.get(group_id)

    @classmethod
    def from_deployment(cls, deployment: Deployment) -> People:
        """The people a deployment file names (older files did), as a first version."""
        return cls(
            coordinators={
                group.id: group.coordinator
                for group in deployment.groups
                if group.coordinator is not None
            },
            regiegroep=deployment.regiegroep,
        )

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> People:
        return cls(
            coordinators={
                group_id: Person(**person)
                for group_id, person in (document.get("coordinators") or {}).items()
            },
            regiegroep=tuple(Person(**person) for person in document.get("regiegroep") or ()),
            version=int(document.get("version", 0)),
        )

    def to_document(self, now: datetime) -> dict[str, object]:
        return {
            "coordinators": {
                group_id: _person(person) for group_id, person in self.coordinators.items()
            },
            "regiegroep": [_person(person) for person in self.regiegroep],
            "version": self.version,
            "updated_at": now,
        }

    @property
    def is_empty(self) -> bool:
        return not self.coordinators and not self.regiegroep

    def without(self, matches: Callable[[Person], bool]) -> tuple[People, tuple[str, ...]]:
        """These people without whoever ``matches``, as coordinator of any group and in the
        regiegroep, and the roles that takes away: ``coordinator of <group id>``,
        ``regiegroep``. The version stays; the caller stores the change as a new one."""
        groups = sorted(g for g, person in self.coordinators.items() if matches(person))
        in_regiegroep = any(matches(person) for person in self.regiegroep)
        roles = (*(f"coordinator of {g}" for g in groups), *(("regiegroep",) * in_regiegroep))
        remaining = replace(
            self,
            coordinators={g: p for g, p in self.coordinators.items() if g not in groups},
            regiegroep=tuple(p for p in self.regiegroep if not matches(p)),
        )
        return remaining, roles


def _person(person: Person) -> dict[str, str]:
    return {"name": person.name, "email": person.email, "phone": person.phone}


class PeopleCache:
    """The current people, read again once ``seconds`` have passed since the last read."""

    def __init__(
        self,
        read: Callable[[], People | None],
        fallback: People,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._fallback = fallback
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._people: People | None = None
        self._read_at = 0.0

    def current(self) -> People:
        with self._lock:
            now = self._clock()
            if self._people is None or now - self._read_at >= self._seconds:
                self._people = self._read() or self._fallback
                self._read_at = now
            return self._people
