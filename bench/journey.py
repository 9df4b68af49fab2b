"""One complete journey, driven in-process through the real services, counted at the client.

Sign-up, confirm, added and leave, each followed by what Eventarc does in Google Cloud: one
delivery (``mail.delivery.deliver``, file transport) for every mail document the step created.
After each step the mail sweep and the housekeeping run once, as Cloud Scheduler would at some
point while the journey is in that state; what they read or write beyond an idle run (the same
two on the empty project, before the sign-up) is the journey's share. At the end, every
document the journey left behind with an ``expire_at`` is a delete that Firestore's TTL policy
does later; what is left without one stays.

The services come from ``buurtwhatsapp.bootstrap.runtime()``, as in the deployed functions, and
every Firestore RPC they make is counted by bench/firestore_ops.py; the bench's own look-ups
(which mail is new) are not. The measured tree is whatever ``buurtwhatsapp`` the module path
holds: the staged upload when the bench runs this as a child (``python -P -m bench.journey``).
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from google.cloud import firestore

from bench.firestore_ops import OperationCounter, Operations, install
from bench.fixtures import signup_services
from bench.tree import tree_name
from devstack.examples import VALID_SIGNUP

# The journey's steps, in order; each is followed by the delivery of the mail it queued.
STEPS = ("sign-up", "confirm", "added", "leave")
# The example sign-up (devstack/examples.py): its address has a group.
RESIDENT: dict[str, object] = dict(VALID_SIGNUP)


@dataclass
class JourneyCount:
    steps: dict[str, Operations]  # each step, "delivery" (all of them) and "schedules" (share)
    idle_sweep: Operations
    idle_housekeeping: Operations
    outcomes: Counter[str] = field(default_factory=Counter)  # deliveries by outcome
    ttl_documents: Counter[str] = field(default_factory=Counter)  # collection -> left with TTL
    kept_documents: Counter[str] = field(default_factory=Counter)  # collection -> left for good

    @property
    def total(self) -> Operations:
        return steps_total(self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "steps": {name: operations.to_json() for name, operations in self.steps.items()},
            "total": self.total.to_json(),
            "idle_sweep": self.idle_sweep.to_json(),
            "idle_housekeeping": self.idle_housekeeping.to_json(),
            "outcomes": dict(self.outcomes),
            "ttl_deletes": sum(self.ttl_documents.values()),
            "ttl_documents": dict(self.ttl_documents),
            "kept_documents": dict(self.kept_documents),
        }


def steps_total(steps: dict[str, Operations]) -> Operations:
    total = Operations()
    for operations in steps.values():
        total = total + operations
    return total


def run_journey(counter: OperationCounter, resident: dict[str, object] = RESIDENT) -> JourneyCount:
    """One journey on the project GOOGLE_CLOUD_PROJECT names, which must be empty.

    ``counter`` must be installed (`bench.firestore_ops.install`) before the runtime's client
    makes its first RPC; `bootstrap.reset()` here makes sure the runtime is built anew.
    """
    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.mail.delivery import deliver, sweep
    from buurtwhatsapp.model import MAIL, SIGNUPS

    run_housekeeping = tree_name("buurtwhatsapp.residents.housekeeping", "run_housekeeping")
    membership = "buurtwhatsapp.residents.membership"
    confirm, leave, mark_added = (
        tree_name(membership, n) for n in ("confirm", "leave", "mark_added")
    )
    sign_up = tree_name("buurtwhatsapp.residents.signup", "sign_up")

    bootstrap.reset()
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    observer = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])

    def ids(collection: str) -> list[str]:
        with counter.paused():
            return sorted(snapshot.id for snapshot in observer.collection(collection).stream())

    if ids(SIGNUPS) or ids(MAIL):
        raise RuntimeError("the journey needs an empty project")

    with counter.measuring() as counted:
        sweep(runtime.mailer)
    idle_sweep = counted()
    with counter.measuring() as counted:
        run_housekeeping(**signup_services(runtime, services))
    idle_housekeeping = counted()

    steps = {name: Operations() for name in (*STEPS, "delivery", "schedules")}
    outcomes: Counter[str] = Counter()
    delivered: set[str] = set()
    schedule_runs = 0

    def after_step() -> None:
        nonlocal schedule_runs
        # Eventarc: one event, so one delivery, for each mail document created.
        new = [mail_id for mail_id in ids(MAIL) if mail_id not in delivered]
        for mail_id in new:
            delivered.add(mail_id)
            with counter.measuring() as counted:
                outcomes[str(deliver(mail_id, runtime.mailer))] += 1
            steps["delivery"] = steps["delivery"] + counted()
        with counter.measuring() as counted:
            sweep(runtime.mailer)
            run_housekeeping(**signup_services(runtime, services))
        steps["schedules"] = steps["schedules"] + counted()
        schedule_runs += 1

    with counter.measuring() as counted:
        sign_up(resident, **signup_services(runtime, services))
    steps["sign-up"] = counted()
    [signup_id] = ids(SIGNUPS)
    after_step()
    for name, step in (("confirm", confirm), ("added", mark_added), ("leave", leave)):
        with counter.measuring() as counted:
            step(signup_id, **services)
        steps[name] = counted()
        after_step()

    idle = idle_sweep + idle_housekeeping
    for _ in range(schedule_runs):
        steps["schedules"] = steps["schedules"] - idle

    # What the journey left: only what it wrote can be there, the project being new (the npm
    # emulator cannot list a project's collections).
    written = steps_total(steps).collections()
    ttl_documents: Counter[str] = Counter()
    kept_documents: Counter[str] = Counter()
    with counter.paused():
        for collection in sorted(written):
            for snapshot in observer.collection(collection).stream():
                expires = "expire_at" in (snapshot.to_dict() or {})
                (ttl_documents if expires else kept_documents)[collection] += 1
    bootstrap.reset()
    return JourneyCount(
        steps=steps,
        idle_sweep=idle_sweep,
        idle_housekeeping=idle_housekeeping,
        outcomes=outcomes,
        ttl_documents=ttl_documents,
        kept_documents=kept_documents,
    )


def main() -> None:
    """As a bench child: journeys on fresh projects of the emulator FIRESTORE_EMULATOR_HOST
    names, the functions' settings from the environment, the counts as JSON to ``--output``
    (standard output carries the functions' own log lines)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="journeys, each on a new project")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if not os.environ.get("FIRESTORE_EMULATOR_HOST"):
        raise SystemExit("FIRESTORE_EMULATOR_HOST must name the emulator")

    counter = OperationCounter()
    install(counter)
    journeys = []
    for number in range(args.repeat):
        os.environ["GOOGLE_CLOUD_PROJECT"] = f"bench-journey-{number}-{uuid.uuid4().hex[:8]}"
        journeys.append(run_journey(counter).to_json())
    os.environ["GOOGLE_CLOUD_PROJECT"] = f"bench-members-{uuid.uuid4().hex[:8]}"
    members = housekeeping_among_members(counter, MEMBERS, DUE)
    args.output.write_text(
        json.dumps({"journeys": journeys, "members": members.to_json()}, indent=1)
    )


# One housekeeping run among this many active members, of whom this many have a yearly-check
# step due: what it costs must grow with the due, not with the members.
MEMBERS = 1000
DUE = 10


def housekeeping_among_members(counter: OperationCounter, members: int, due: int) -> Operations:
    """Seed ``members`` active members (``due`` of them due for their yearly check) by batch
    writes, uncounted; then count one housekeeping run."""
    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.model import SIGNUPS

    run_housekeeping = tree_name("buurtwhatsapp.residents.housekeeping", "run_housekeeping")
    bootstrap.reset()
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    now = runtime.clock.now()
    observer = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])
    with counter.paused():
        for first in range(0, members, 400):  # a batch takes 500 writes at most
            batch = observer.batch()
            for number in range(first, min(first + 400, members)):
                batch.set(
                    observer.collection(SIGNUPS).document(f"member-{number:05d}"),
                    member_document(number, now, due_now=number < due),
                )
            batch.commit()
    with counter.measuring() as counted:
        run_housekeeping(**signup_services(runtime, services))
    bootstrap.reset()
    return counted()


def member_document(number: int, now: datetime, *, due_now: bool) -> dict[str, object]:
    """An active member's document as the product stores it, added 400 days ago, with its
    next yearly-check date an hour ago (``due_now``) or 200 days ahead. The tests use it too."""
    return {
        "status": "active",
        "revision": 2,
        "keys": [],
        "name": f"Lid {number}",
        "email": f"lid{number}@example.org",
        "phone": f"+3162{number:07d}",
        "street": "Kagerdreef",
        "house_number": str(number + 1),
        "postcode": "2158AB",
        "area": "dorp",
        "remarks": "",
        "accepted": {"rules": "2026-11", "privacy": "2026-11", "at": now},
        "group": "dorp",
        "confirmed_at": now - timedelta(days=400),
        "added_at": now - timedelta(days=400),
        "created_at": now - timedelta(days=400),
        "updated_at": now,
        "check_stage": "",
        "check_due_at": now - timedelta(hours=1) if due_now else now + timedelta(days=200),
        "rules_offered": "2026-11",
    }


if __name__ == "__main__":
    main()
