"""What the functions' first and warm requests need, made in-process by the measured code.

- A pool of queued mail: ``--mails N`` sign-ups, each with its werkwijze mail, so that every
  CloudEvent the bench sends to ``deliver_mail`` is for a real mail that is there to send.
- A confirmed sign-up and its confirm, added and leave tokens, so that the first GET of those
  pages shows the page (200), not a refusal; and, where the measured tree has the regiegroep's
  overview, a regiegroep member's overview token (the page then counts every sign-up made here).

Run as a bench child (``python -P -m bench.fixtures``) with the staged upload first on the
module path and the functions' settings in the environment; writes JSON to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from google.cloud import firestore

from bench.payloads import LINKED, POOL, resident
from bench.tree import tree_name


def make_fixtures(mails: int) -> dict[str, object]:
    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.model import MAIL, SIGNUPS

    Purpose = tree_name("buurtwhatsapp.common.signed_links", "Purpose")
    confirm = tree_name("buurtwhatsapp.residents.membership", "confirm")
    sign_up = tree_name("buurtwhatsapp.residents.signup", "sign_up")

    bootstrap.reset()
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    observer = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])

    def ids(collection: str) -> set[str]:
        return {snapshot.id for snapshot in observer.collection(collection).stream()}

    before = ids(SIGNUPS)
    sign_up(resident(0, LINKED), **signup_services(runtime, services))
    [signup_id] = ids(SIGNUPS) - before
    confirm(signup_id, **services)
    linked_mail = ids(MAIL)

    for number in range(mails):
        sign_up(resident(number, POOL), **signup_services(runtime, services))
    pool = sorted(ids(MAIL) - linked_mail)
    if len(pool) != mails:
        raise RuntimeError(f"{mails} sign-ups queued {len(pool)} mails")

    links = {}
    for purpose in (Purpose.CONFIRM, Purpose.ADDED, Purpose.LEAVE):
        [token] = parse_qs(urlsplit(runtime.links.url(purpose, signup_id)).query)["token"]
        links[purpose.value] = token
    overview = getattr(Purpose, "OVERVIEW", None)
    if overview is not None:
        links[overview.value] = _overview_token(runtime, overview)
    join = getattr(Purpose, "JOIN", None)
    if join is not None:  # the resident's way into the group (a tree with invite links)
        [token] = parse_qs(urlsplit(runtime.links.url(join, signup_id)).query)["token"]
        links[join.value] = token
    # The yearly check's answer page and the page to accept new group rules (GET: the page,
    # nothing recorded).
    for name in ("STILL", "RULES"):
        purpose = getattr(Purpose, name, None)
        if purpose is not None:
            [token] = parse_qs(urlsplit(runtime.links.url(purpose, signup_id)).query)["token"]
            links[purpose.value] = token
    group = getattr(Purpose, "GROUP", None)
    if group is not None:  # their coordinator's page
        links[group.value] = _group_token(runtime, group, signup_id)
    return {"signup_id": signup_id, "links": links, "mails": pool}


def _group_token(runtime, purpose, signup_id: str) -> str:
    """The page link of the coordinator of the resident's group, as their alert carries it."""
    group_subject = tree_name("buurtwhatsapp.common.signed_links", "group_subject")
    People = tree_name("buurtwhatsapp.deployment.people", "People")
    group_id = runtime.store.get_signup(signup_id).group
    people = runtime.store.read_people() or People.from_deployment(runtime.deployment)
    coordinator = people.coordinator_of(group_id)
    if coordinator is None:  # a staged upload names none: stored as the maintainer would
        set_coordinator = tree_name("buurtwhatsapp.coordinators.changes", "set_coordinator")
        Person = tree_name("buurtwhatsapp.deployment.structure", "Person")
        coordinator = Person("Bench Coördinator", "bench.coord@example.org", "+31612340998")
        set_coordinator(
            group_id,
            coordinator,
            deployment=runtime.deployment,
            store=runtime.store,
            clock=runtime.clock,
            keys=runtime.keys,
        )
    subject = group_subject(group_id, runtime.keys.email(coordinator.email))
    [token] = parse_qs(urlsplit(runtime.links.url(purpose, subject)).query)["token"]
    return token


def signup_services(runtime, services: dict) -> dict:
    """What ``sign_up`` and ``run_housekeeping`` take in the tree measured: the keys too, in a
    tree whose keys are peppered."""
    keys = getattr(runtime, "keys", None)
    return {**services, "keys": keys} if keys is not None else services


def _overview_token(runtime, purpose) -> str:
    """The overview token of a regiegroep member; a staged upload names none, so one is stored
    with the maintainer's command (the functions read it from Firestore)."""
    set_regiegroep = tree_name("buurtwhatsapp.coordinators.changes", "set_regiegroep")
    Person = tree_name("buurtwhatsapp.deployment.structure", "Person")

    member = Person("Bench Regie", "bench.regie@example.org", "+31612340999")
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    set_regiegroep((member,), **services)
    if hasattr(runtime, "keys"):
        subject = runtime.keys.email(member.email)
    else:  # a tree from before the keys were peppered
        from buurtwhatsapp.model import email_key

        subject = email_key(member.email)
    [token] = parse_qs(urlsplit(runtime.links.url(purpose, subject)).query)["token"]
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    args.output.write_text(json.dumps(make_fixtures(args.mails)))


if __name__ == "__main__":
    main()
