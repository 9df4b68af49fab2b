"""``make bench``: the Firestore calls each resident- and coordinator-facing request makes one
after another (its *round trips*), through the real functions-framework app of each function.

In Google Cloud every Firestore call from a function is a network round trip of several
milliseconds, so the warm latency a resident feels is set by how many calls a request makes in
sequence, not by the emulator's milliseconds. Calls that overlap (a ``get_all``, reads in
parallel threads) count once (bench/firestore_ops.py). Each request is measured warm: a first
resident walks the whole way before the measured ones, so that what an instance reads once
(the people) is not counted against a request. Two residents are measured and the fewer round
trips kept: on a busy machine a thread may start its call only after the other finished,
which in Google Cloud would still overlap.

``make bench`` runs this as a child against the staged upload it measures, and prints one line
per request with its goal.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.firestore_ops import OperationCounter, install
from bench.mail_latency import signup

# Request -> its goal: the sign-up reads once and commits once; nothing else needs more than 3.
GOALS = {
    "sign-up": 2,
    "confirm": 3,
    "added": 3,
    "join page": 3,
    "group page": 3,
    "still": 3,
    "rules": 3,
    "leave": 3,
}


def walk(counter: OperationCounter, number: int) -> dict[str, int]:
    """One resident's way through every request; the round trips of each."""
    from functions_framework import create_app

    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.common.signed_links import Purpose, group_subject
    from buurtwhatsapp.model import SIGNUPS

    spec = importlib.util.find_spec("main")
    assert spec is not None and spec.origin is not None
    source = spec.origin
    clients: dict[str, Any] = {}

    def client(target: str) -> Any:
        if target not in clients:
            clients[target] = create_app(target, source, "http").test_client()
        return clients[target]

    runtime = bootstrap.runtime()
    db = runtime.store._db  # the bench's own looking around, paused below

    def path(purpose: Purpose, subject: str) -> str:
        url = urlsplit(runtime.links.url(purpose, subject))
        return f"{url.path}?{url.query}"

    trips: dict[str, int] = {}

    def request(name: str, target: str, method: str, url: str, **options: Any) -> None:
        with counter.round_trips() as counted:
            answer = client(target).open(url, method=method, **options)
        assert answer.status_code < 400, (name, answer.status_code)
        trips[name] = counted()

    request("sign-up", "signup", "POST", "/signup", data=signup(number))
    with counter.paused():
        [signup_id] = [
            s.id
            for s in db.collection(SIGNUPS).stream()
            if (s.to_dict() or {}).get("email") == signup(number)["email"]
        ]
    request("confirm", "confirm", "POST", path(Purpose.CONFIRM, signup_id))
    request("added", "added", "POST", path(Purpose.ADDED, signup_id))
    request("join page", "join", "GET", path(Purpose.JOIN, signup_id))
    coordinator = runtime.people.coordinator_of("dorp")
    assert coordinator is not None
    page = group_subject("dorp", runtime.keys.email(coordinator.email))
    request("group page", "group", "GET", path(Purpose.GROUP, page))
    with counter.paused():  # the question open, and older rules to accept
        db.collection(SIGNUPS).document(signup_id).update(
            {"check_stage": "asked", "accepted.rules": "older"}
        )
    request("still", "still", "POST", path(Purpose.STILL, signup_id))
    with counter.paused():
        db.collection(SIGNUPS).document(signup_id).update({"accepted.rules": "older"})
    version = runtime.deployment.initiative.rules_version
    request("rules", "rules", "POST", path(Purpose.RULES, signup_id), data={"version": version})
    request("leave", "leave", "POST", path(Purpose.LEAVE, signup_id))
    return trips


def ensure_coordinator() -> None:
    """A staged upload names no coordinators (they live in Firestore): store one for the
    village's group, as the maintainer would, before any request reads who coordinates."""
    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.coordinators.changes import set_coordinator
    from buurtwhatsapp.deployment.people import People
    from buurtwhatsapp.deployment.structure import Person

    runtime = bootstrap.runtime()
    people = runtime.store.read_people() or People.from_deployment(runtime.deployment)
    if people.coordinator_of("dorp") is None:
        set_coordinator(
            "dorp",
            Person("Bench Coördinator", "bench.coord@example.org", "+31612340998"),
            deployment=runtime.deployment,
            store=runtime.store,
            clock=runtime.clock,
            keys=runtime.keys,
        )


def fewest(counter: OperationCounter) -> dict[str, int]:
    """Warm up with one resident, measure two; the fewer round trips of each request."""
    walk(counter, 1)  # warm: the instance reads what it keeps
    first, second = walk(counter, 2), walk(counter, 3)
    return {request: min(first[request], second[request]) for request in first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if not os.environ.get("FIRESTORE_EMULATOR_HOST"):
        raise SystemExit("FIRESTORE_EMULATOR_HOST must name the emulator")
    os.environ["GOOGLE_CLOUD_PROJECT"] = f"bench-trips-{uuid.uuid4().hex[:8]}"
    counter = OperationCounter()
    install(counter)
    ensure_coordinator()
    measured = fewest(counter)
    args.output.write_text(
        json.dumps([{"request": r, "round_trips": measured[r], "goal": GOALS[r]} for r in GOALS])
    )


if __name__ == "__main__":
    main()
