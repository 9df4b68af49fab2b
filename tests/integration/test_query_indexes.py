"""Every query the code makes has the composite index it needs in Google Cloud.

The emulators serve any query without an index, so a new query that Firestore would refuse
passes every other test and fails only once deployed. Here each query actually sent is recorded
(as the client builds it: collection, filters, orders) while a whole journey runs, every
scheduled run and maintainer command included, and each one that Firestore cannot serve from
single-field indexes (an equality and a range or an order on another field, or ranges or
orders on two fields) must match a ``CompositeIndex`` declared next to its query. The deploy
creates exactly those (infra/steps.py reads them from the package).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from google.cloud.firestore_v1 import base_query
from google.cloud.firestore_v1.types import StructuredQuery

from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.coordinators.applications import apply, send_application_digest
from buurtwhatsapp.coordinators.changes import set_coordinator
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.mail.outbox import Outbox
from buurtwhatsapp.overview.digest import send_monthly_digest
from buurtwhatsapp.overview.reading import read_overview
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.store import Store
from infra import steps
from tests.firestore_documents import signed_up

pytestmark = pytest.mark.emulator

Operator = StructuredQuery.FieldFilter.Operator
EQUALITIES = {
    Operator.EQUAL,
    Operator.IN,
    Operator.ARRAY_CONTAINS,
    Operator.ARRAY_CONTAINS_ANY,
}
DECLARED = {
    (index.collection, index.fields)
    for index in (*Store.COMPOSITE_INDEXES, *Outbox.COMPOSITE_INDEXES)
}


@dataclass(frozen=True)
class Shape:
    """What decides the index a query needs."""

    collection: str
    equalities: frozenset[str]
    ranged: tuple[str, ...]  # fields of range filters and orders, in the order the query has

    def needs_composite(self) -> bool:
        return bool(self.ranged) and (len(self.ranged) > 1 or bool(self.equalities))

    def covered_by(self, declared: set[tuple[str, tuple[str, ...]]]) -> bool:
        tail = len(self.ranged)
        return any(
            collection == self.collection
            and fields[-tail:] == self.ranged
            and set(fields[:-tail]) == self.equalities
            for collection, fields in declared
        )


def shape_of(query: StructuredQuery) -> Shape:
    filters = []
    where = query.where
    if where.composite_filter.filters:
        filters = [f.field_filter for f in where.composite_filter.filters if f.field_filter.field]
    elif where.field_filter.field.field_path:
        filters = [where.field_filter]
    equalities = frozenset(f.field.field_path for f in filters if f.op in EQUALITIES)
    ranged: list[str] = []
    for field in [f.field.field_path for f in filters if f.op not in EQUALITIES] + [
        order.field.field_path for order in query.order_by
    ]:
        if field != "__name__" and field not in ranged:
            ranged.append(field)
    return Shape(query.from_[0].collection_id, equalities, tuple(ranged))


@pytest.fixture
def recorded(monkeypatch) -> list[Shape]:
    """Every query sent from now on, as its shape (aggregations included: they build theirs
    from the same method)."""
    shapes: list[Shape] = []
    build = base_query.BaseQuery._to_protobuf

    def recording(self):
        query = build(self)
        shapes.append(shape_of(query))
        return query

    monkeypatch.setattr(base_query.BaseQuery, "_to_protobuf", recording)
    return shapes


def test_every_query_of_a_whole_journey_has_its_index(
    recorded, app_environment, firestore_client, valid_signup, clock, tmp_path, monkeypatch
):
    runtime = bootstrap.runtime()
    store, deployment, keys = runtime.store, runtime.deployment, runtime.keys
    services = {"deployment": deployment, "store": store, "clock": clock}
    people = runtime.people
    waiting = signed_up(store, deployment, clock, firestore_client, valid_signup)
    other = {**valid_signup, "email": "sem@example.org", "phone": "06-23456789"}
    member = signed_up(store, deployment, clock, firestore_client, other)
    confirm(member, **services, people=people)
    application = {
        "name": "Anna", "email": "anna@example.org", "phone": "06-34567890",
        "street": valid_signup["street"], "house_number": "3", "postcode": valid_signup["postcode"],
        "motivation": "Graag.", "privacy": "on",
    }  # fmt: skip
    apply(application, **services, keys=keys, people=people)
    mailer = runtime.mailer
    outbox = mailer.outbox
    outbox.due(clock.now(), 100)
    outbox.failed()
    clock.current += timedelta(days=4)
    run_housekeeping(**services, keys=keys, people=people)
    send_application_digest(people=people, store=store, clock=clock)
    send_monthly_digest(deployment=deployment, people=people, store=store, clock=clock)
    read_overview(deployment, store)
    mark_added(member, **services)
    set_coordinator(
        "dorp", Person("Fenna", "fenna@example.org", "+31687654321"), **services, keys=keys
    )
    clock.current += timedelta(days=40)
    run_housekeeping(**services, keys=keys, people=people)
    news = tmp_path / "nieuws.md"
    news.write_text("Nieuws uit de buurt.\n", encoding="utf-8")
    monkeypatch.setenv("NEWS_MAILS_PER_SECOND", "100")
    for command in (
        ["signups", "export", "--status", "active", "--group", "dorp"],
        ["mail", "failed"],
        ["report"],
        ["erase", "--email", "anna@example.org"],
        ["erase", "--phone", "06-23456789", "--remove-from-people"],
        ["keys", "migrate", "--dry-run"],
        ["checks", "plan", "--dry-run"],
        *(
            ["news", "send", "--subject", "Nieuws", "--body-file", str(news), *audience]
            for audience in ([], ["--group", "dorp"], ["--area", "dorp"])
        ),
    ):
        assert cli.main(command, out=io.StringIO()) in (0, 1), command

    assert waiting and len(recorded) > 20
    missing = {
        shape for shape in recorded if shape.needs_composite() and not shape.covered_by(DECLARED)
    }
    assert not missing, f"queries without a declared composite index: {missing}"
    kinds = {shape for shape in recorded if shape.needs_composite()}
    assert {(s.collection, s.ranged) for s in kinds} >= {
        ("mail", ("not_before",)),
        ("signups", ("created_at",)),
        ("signups", ("confirmed_at",)),
        ("signups", ("check_due_at",)),
        ("signups", ("rules_offered",)),
    }


def test_a_query_without_its_index_is_caught():
    reminder = Shape("signups", frozenset({"status", "confirm_reminder_sent"}), ("created_at",))
    by_name = Shape("signups", frozenset({"status"}), ("name",))
    equality_only = Shape("signups", frozenset({"status", "group"}), ())
    one_range = Shape("group_seats", frozenset(), ("claimed_at",))

    assert reminder.needs_composite() and reminder.covered_by(DECLARED)
    assert by_name.needs_composite() and not by_name.covered_by(DECLARED)
    assert not equality_only.needs_composite() and not one_range.needs_composite()


def test_the_deploy_creates_exactly_the_declared_indexes():
    assert set(steps.INDEXES) == DECLARED and len(steps.INDEXES) == len(DECLARED)
