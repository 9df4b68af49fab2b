"""The overview's counters (tallies.py) against a real emulator: they agree with a full count
after a randomised run of steps racing each other at shared addresses, the overview reads them
instead of every sign-up, and ``infra/maintain tallies`` counts what no step did (sign-ups from
before the counters, a changed street list)."""

from __future__ import annotations

import dataclasses
import io
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bench.firestore_ops import OperationCounter, install
from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.common.errors import BuurtWhatsAppError
from buurtwhatsapp.deployment.layout import Layout, household_key
from buurtwhatsapp.deployment.structure import StreetRange
from buurtwhatsapp.model import HOUSEHOLDS, SIGNUPS, SignupRow
from buurtwhatsapp.overview.counts import build_overview
from buurtwhatsapp.overview.recount import count_stragglers, differences, recount
from buurtwhatsapp.residents.membership import confirm, leave, mark_added
from buurtwhatsapp.residents.signup import sign_up
from buurtwhatsapp.store import Store
from tests.conftest import KEYS
from tests.firestore_documents import documents

pytestmark = pytest.mark.emulator

# Each street its own postcode, as in the Netherlands: postcode and number make the address.
ADDRESSES = (
    *(("Kagerdreef", "2158AA", str(n)) for n in range(1, 7)),
    *(("Lisserweg", "2158AB", str(n)) for n in (480, 482, 484, 486)),
    *(("Dorpsstraat", "2158AC", str(n)) for n in (1, 3, 5)),
    *(("Zandslootweg", "2158AD", str(n)) for n in (1, 2, 3)),
    ("zandsloot-weg", "2158AD", "4"),  # another spelling of the same street
    ("Lisserweg", "2158AE", "12"),  # the buitengebied part of Lisserweg
)
STEPS = 1000
AT_ONCE = 6  # steps in flight together; they share addresses, often the same one


def rows_of(client) -> tuple[SignupRow, ...]:
    return tuple(SignupRow.from_document(d) for d in documents(client, SIGNUPS).values())


class Town:
    """Residents at ADDRESSES, moved through their journey by steps that race each other."""

    def __init__(self, deployment, store, clock, valid_signup) -> None:
        self.services = {"deployment": deployment, "store": store, "clock": clock}
        self.clock, self.valid_signup = clock, valid_signup
        self.number = 0
        self.outcomes: Counter[str] = Counter()

    def sign_up(self, address) -> str:
        self.number += 1
        street, postcode, house_number = address
        signup_id = f"s{self.number:05d}"
        raw = {
            **self.valid_signup,
            "email": f"bewoner{self.number}@example.org",
            "phone": f"06-3{self.number:07d}",
            "street": street,
            "postcode": postcode,
            "house_number": house_number,
        }
        sign_up(raw, **self.services, keys=KEYS, new_id=lambda: signup_id)
        return signup_id

    def step(self, name: str, signup_id: str) -> None:
        action = {"confirm": confirm, "added": mark_added, "leave": leave}[name]
        try:
            action(signup_id, **self.services)
            self.outcomes[name] += 1
        except BuurtWhatsAppError as error:  # lost every round, or gone: nothing changed
            self.outcomes[f"{name}: {type(error).__name__}"] += 1


def run_steps(town: Town, client, rng: random.Random, steps: int) -> None:
    """``steps`` steps, AT_ONCE at a time, each batch on two or three addresses only, so that
    confirms, adds and leaves of one household race each other."""
    done = 0
    while done < steps:
        stored = documents(client, SIGNUPS)
        at = rng.sample(ADDRESSES, rng.choice((2, 3)))
        living = {
            signup_id: document
            for signup_id, document in stored.items()
            if (document["street"], document["postcode"], document["house_number"]) in at
        }
        batch: list[tuple[str, str]] = []
        for _ in range(AT_ONCE):
            choice = rng.random()
            if choice < 0.3 or not living:
                batch.append(("sign-up", "|".join(rng.choice(at))))
                continue
            signup_id, document = rng.choice(list(living.items()))
            if choice < 0.75:
                following = {"pending": "confirm", "confirmed": "added", "active": "leave"}
                batch.append((following[document["status"]], signup_id))
            else:
                batch.append(("leave", signup_id))
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            for name, target in batch:
                if name == "sign-up":
                    pool.submit(town.sign_up, tuple(target.split("|")))
                else:
                    pool.submit(town.step, name, target)
        done += len(batch)
        town.clock.current += timedelta(minutes=7)


@pytest.fixture
def counted_store(firestore_client, deployment) -> Store:
    return Store(firestore_client, Layout(deployment))


def test_the_counters_agree_with_a_full_count_after_racing_steps(
    firestore_client, counted_store, deployment, clock, valid_signup
):
    layout = Layout(deployment)
    town = Town(deployment, counted_store, clock, valid_signup)
    run_steps(town, firestore_client, random.Random(20), STEPS)

    assert differences(layout=layout, store=counted_store) == []
    # Households: one per address with an active member, counted once however many live there.
    stored = documents(firestore_client, SIGNUPS).values()
    taking_part = {
        household_key(d["postcode"], d["house_number"]) for d in stored if d["status"] == "active"
    }
    assert set(documents(firestore_client, HOUSEHOLDS)) == taking_part
    # The run did race: steps lost rounds, and households had members joining and leaving.
    assert town.outcomes["leave"] > 50 and town.outcomes["added"] > 50, town.outcomes
    several = Counter(household_key(d["postcode"], d["house_number"]) for d in stored)
    assert max(several.values()) >= 2

    # The overview from the counters is the overview from every sign-up.
    inputs = counted_store.overview_inputs([group.id for group in deployment.groups])
    assert inputs.slots is not None and inputs.signups == ()
    from_rows = dataclasses.replace(inputs, slots=None, signups=rows_of(firestore_client))
    assert build_overview(deployment, inputs) == build_overview(deployment, from_rows)


def tallies_command(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(["tallies", *argv], out=out), out.getvalue()


def test_the_command_counts_sign_ups_from_before_the_counters(
    app_environment, firestore_client, deployment, clock, valid_signup
):
    # A village from before the counters: its steps kept none.
    town = Town(deployment, Store(firestore_client), clock, valid_signup)
    run_steps(town, firestore_client, random.Random(7), 60)
    counted_store = bootstrap.runtime().store
    groups = [group.id for group in deployment.groups]
    assert counted_store.overview_inputs(groups).slots is None  # counted from every sign-up

    code, output = tallies_command("--check")
    assert code == 1 and "differ from a full count" in output, output

    code, output = tallies_command()
    assert code == 0, output
    moved = len(documents(firestore_client, SIGNUPS))
    assert f"{moved} sign-up(s)" in output
    assert tallies_command("--check") == (
        0,
        f"the counters of layout {Layout(deployment).key} agree with a full count\n",
    )
    inputs = counted_store.overview_inputs(groups)
    assert inputs.slots is not None
    from_rows = dataclasses.replace(inputs, slots=None, signups=rows_of(firestore_client))
    assert build_overview(deployment, inputs) == build_overview(deployment, from_rows)
    # Once counted, the steps keep them right, and a second run has nothing to do.
    Town.__init__(town, deployment, counted_store, clock, valid_signup)
    town.number = 1000
    run_steps(town, firestore_client, random.Random(8), 60)
    assert tallies_command() == (
        0,
        f"layout {Layout(deployment).key}: 0 sign-up(s) and 0 household(s) counted anew\n",
    )
    assert tallies_command("--check")[0] == 0


def test_new_streets_are_counted_anew_and_the_overview_counts_everyone_meanwhile(
    firestore_client, counted_store, deployment, clock, valid_signup
):
    town = Town(deployment, counted_store, clock, valid_signup)
    run_steps(town, firestore_client, random.Random(3), 120)
    # A member at an address the random steps never touch: a household to move, surely.
    member = town.sign_up(("Kagerdreef", "2158AA", "99"))
    for step in ("confirm", "added"):
        town.step(step, member)
    # The dorp's Kagerdreef is split at number 4: a new layout, whose counters are empty.
    dorp, *others = deployment.areas
    _kagerdreef, *streets = dorp.streets
    split = (StreetRange("Kagerdreef", last=3), StreetRange("Kagerdreef", first=4), *streets)
    changed = dataclasses.replace(
        deployment, areas=(dataclasses.replace(dorp, streets=split), *others)
    )
    layout = Layout(changed)
    assert layout.key != Layout(deployment).key
    store = Store(firestore_client, layout)
    groups = [group.id for group in changed.groups]
    assert store.overview_inputs(groups).slots is None

    # Steps taken meanwhile by instances with either file count where their layout says.
    town.services["store"] = store
    run_steps(town, firestore_client, random.Random(4), 30)

    counted = recount(layout=layout, store=store, clock=clock)
    assert counted.signups > 0 and counted.households > 0 and not counted.left
    assert differences(layout=layout, store=store) == []
    inputs = store.overview_inputs(groups)
    assert inputs.slots is not None
    first, second = build_overview(changed, inputs).areas[0].streets[:2]
    assert (first.label, second.label) == ("Kagerdreef tot en met 3", "Kagerdreef vanaf 4")
    stored = documents(firestore_client, SIGNUPS).values()
    assert first.counts.total == sum(
        1 for d in stored if d["street"] == "Kagerdreef" and int(d["house_number"]) <= 3
    )
    assert recount(layout=layout, store=store, clock=clock) == type(counted)()

    # An instance still on the file before takes some steps: housekeeping counts them anew.
    town.services["store"] = counted_store
    run_steps(town, firestore_client, random.Random(6), 30)
    assert store.overview_inputs(groups).slots is None
    assert count_stragglers(layout=layout, store=store, clock=clock) > 0
    assert differences(layout=layout, store=store) == []
    assert store.overview_inputs(groups).slots is not None
    assert count_stragglers(layout=layout, store=store, clock=clock) == 0


def test_the_overview_reads_the_counters_not_every_sign_up(
    firestore_client, counted_store, deployment, clock, valid_signup
):
    town = Town(deployment, counted_store, clock, valid_signup)
    run_steps(town, firestore_client, random.Random(5), 120)
    signups = len(documents(firestore_client, SIGNUPS))
    counter = OperationCounter()
    install(counter)
    client = type(firestore_client)(project=firestore_client.project)
    store = Store(client, Layout(deployment))
    before = counter.snapshot()
    inputs = store.overview_inputs([group.id for group in deployment.groups])
    reads = (counter.snapshot() - before).reads
    assert inputs.slots is not None
    streets = len(inputs.slots)
    # A read per street's counter and per group's invite link, one per aggregation (the
    # applications, the failed mail, the two that check the counters): never one per sign-up.
    assert reads == streets + len(deployment.groups) + 4 < signups, (reads, signups)
