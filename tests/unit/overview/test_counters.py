"""The overview's counters without Firestore: where an address is counted, what a step writes,
and that what is written reads back as the full count counts it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from google.cloud.firestore_v1.transforms import Increment

from buurtwhatsapp.deployment.layout import ELSEWHERE, Layout, household_key
from buurtwhatsapp.deployment.structure import StreetRange
from buurtwhatsapp.model import SignupRow
from buurtwhatsapp.tallies import (
    HouseholdMove,
    Move,
    SlotCount,
    count_rows,
    member_field,
    read_slot,
    share,
    slot_changes,
)

NOVEMBER = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)


@pytest.fixture
def layout(deployment) -> Layout:
    return Layout(deployment)


def applied(writes: dict[str, dict], into: dict[str, dict] | None = None) -> dict[str, dict]:
    """The documents after these merge-writes, as Firestore applies Increment."""
    documents = into if into is not None else {}
    for document_id, fields in writes.items():
        document = documents.setdefault(document_id, {})
        for name, value in fields.items():
            document[name] = (
                document.get(name, 0) + value.value if isinstance(value, Increment) else value
            )
    return documents


def test_an_address_is_counted_in_its_listed_street_its_seen_street_or_elsewhere(layout):
    assert layout.slot_of("2158AA", "Kagerdreef", "7") == ("dorp.0000", "dorp")
    assert layout.slot_of("2158AB", "Lisserweg", "500") == ("dorp.0001", "dorp")
    assert layout.slot_of("2158AC", "Dorpsstraat", "3") == ("dorp.0002", "dorp")
    # Dorpsstraat 4 is even: not the dorp's, so the buitengebied's, by its street as typed.
    seen, area = layout.slot_of("2158AC", "Dorpsstraat", "4")
    assert area == "buitengebied" and seen.startswith("buitengebied~")
    assert layout.slot_of("2158AC", "dorps-straat", "6")[0] == seen  # written alike: one street
    assert layout.slot_of("1011AB", "Damrak", "1") == (ELSEWHERE, "")


def test_the_layout_key_changes_with_the_streets_and_not_with_the_households(deployment):
    dorp, *others = deployment.areas
    counted = dataclasses.replace(
        dorp, streets=tuple(dataclasses.replace(s, households=999) for s in dorp.streets)
    )
    split = dataclasses.replace(dorp, streets=(StreetRange("Kagerdreef", last=3), *dorp.streets))
    key = Layout(deployment).key
    assert Layout(dataclasses.replace(deployment, areas=(counted, *others))).key == key
    assert Layout(dataclasses.replace(deployment, areas=(split, *others))).key != key


def test_one_household_however_its_address_is_written():
    assert household_key("2158 ab", "12 A") == household_key("2158AB", "12a")
    assert household_key("2158AB", "12") != household_key("2158AB", "12a")
    assert household_key("2158AB", "12") != household_key("2158AC", "12")


def test_a_step_takes_its_old_share_out_and_puts_its_new_one_in_one_write(layout):
    pending = share(layout, "2158AA", "Kagerdreef", "7", "pending", None)
    confirmed = share(layout, "2158AA", "Kagerdreef", "7", "confirmed", "dorp", NOVEMBER)
    [(document_id, fields)] = slot_changes([Move(pending, confirmed)]).items()
    assert document_id == f"{layout.key}.dorp.0000"
    increments = {k: v.value for k, v in fields.items() if isinstance(v, Increment)}
    assert increments == {
        "m_pending__7e": -1,
        "m_confirmed_dorp": 1,
        "w_20261126_dorp": 1,  # waiting since that day (UTC)
    }
    assert (fields["layout"], fields["slot"]) == (layout.key, "dorp.0000")
    # A step that changes nothing counted writes nothing.
    assert slot_changes([Move(confirmed, confirmed)]) == {}


def test_group_ids_are_spelled_as_plain_field_names_and_read_back():
    assert member_field("active", "wijk-0.1") == "m_active_wijk_2d0_2e1"
    document = {"m_active_wijk_2d0_2e1": 3, "m_pending__7e": 1, "households": 2}
    assert read_slot(document).members == {"wijk-0.1": {"active": 3}, "~": {"pending": 1}}


def test_what_the_steps_write_reads_back_as_the_full_count(layout):
    rows = [
        SignupRow("active", "Kagerdreef", "1", "2158AA", "dorp"),
        SignupRow("active", "Kagerdreef", "1", "2158 aa", "dorp"),  # the same household
        SignupRow("confirmed", "Kagerdreef", "3", "2158AA", "dorp", NOVEMBER),
        SignupRow("pending", "Zandslootweg", "2", "2158AD", None),
        SignupRow("active", "zandsloot weg", "4", "2158AD", "buitengebied"),
        SignupRow("pending", "Zandslootweg", "6", "2158AD", None),
        SignupRow("pending", "Damrak", "1", "1011AB", None),
    ]
    documents: dict[str, dict] = {}
    households: set[str] = set()
    for row in rows:
        tally = share(
            layout, row.postcode, row.street, row.house_number, row.status, row.group,
            row.confirmed_at,
        )  # fmt: skip
        joins = []
        if row.status == "active" and tally.household not in households:
            households.add(tally.household)
            joins.append(HouseholdMove(tally.layout, tally.slot, 1))
        applied(slot_changes([Move(None, tally, row.street)], joins), documents)
    kept = {document["slot"]: read_slot(document) for document in documents.values()}
    counted = count_rows(layout, rows)
    assert {slot: c.comparable() for slot, c in kept.items()} == {
        slot: c.comparable() for slot, c in counted.items()
    }
    kagerdreef = kept["dorp.0000"]
    assert kagerdreef.households == 1 and kagerdreef.by_status()["active"] == 2
    assert kagerdreef.waiting_since("dorp") == "20261126"
    [zandslootweg] = [c for slot, c in kept.items() if slot.startswith("buitengebied~")]
    assert zandslootweg.label() == "Zandslootweg"  # the most frequent spelling
    assert kept[ELSEWHERE].total == 1


def test_a_slot_taken_back_to_zero_compares_as_empty():
    emptied = SlotCount({"dorp": {"active": 0}}, 0, {"Kagerdreef": 0}, {"dorp": {"20261126": 0}})
    assert emptied.comparable() == SlotCount().comparable()
