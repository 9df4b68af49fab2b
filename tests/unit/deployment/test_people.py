"""Who coordinates: the document form and the per-instance cache the functions read through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buurtwhatsapp.deployment.people import People, PeopleCache
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.settings import Settings, SettingsError

JAN = Person(name="Jan", email="jan@example.org", phone="+31612340001")
ANNA = Person(name="Anna", email="anna@example.org", phone="+31612340002")


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_document_form_reads_back_equal():
    people = People(coordinators={"dorp": JAN}, regiegroep=(JAN, ANNA), version=4)

    document = people.to_document(datetime(2026, 11, 26, tzinfo=UTC))

    assert People.from_document(document) == people
    assert document["version"] == 4


def test_the_cache_reads_again_only_after_its_seconds():
    stored = [People(coordinators={"dorp": JAN}, version=1)]
    reads = []

    def read():
        reads.append(1)
        return stored[-1]

    ticks = Ticks()
    cache = PeopleCache(read, fallback=People(), seconds=300, clock=ticks)

    assert cache.current().coordinator_of("dorp") == JAN
    stored.append(People(coordinators={"dorp": ANNA}, version=2))
    ticks.now += 299
    assert cache.current().coordinator_of("dorp") == JAN  # within five minutes: as read
    ticks.now += 1
    assert cache.current().coordinator_of("dorp") == ANNA
    assert len(reads) == 2


def test_before_anything_is_stored_the_fallback_serves():
    fallback = People(regiegroep=(ANNA,))
    cache = PeopleCache(lambda: None, fallback=fallback, seconds=0, clock=Ticks())

    assert cache.current() is fallback


@pytest.mark.parametrize("value", ["-1", "3601", "vijf"])
def test_the_cache_time_is_checked(value):
    with pytest.raises(SettingsError, match="PEOPLE_CACHE_SECONDS must be a number of seconds"):
        Settings.from_env({"PEOPLE_CACHE_SECONDS": value})


def test_the_cache_time_defaults_to_five_minutes():
    assert Settings.from_env({}).people_cache_seconds == 300
