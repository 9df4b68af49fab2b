"""Maintainer commands, run from a workstation against a project's Firestore.

    infra/maintain mail failed                  failed mail, with the reason
    infra/maintain mail requeue MAIL_ID         put a failed mail back in the queue
    infra/maintain mail show MAIL_ID            one mail's delivery state (no contents)
    infra/maintain signups export [--group G] [--status S] [--output FILE]   CSV export
        (a cell that starts with = + - @ or ' gets a leading ' so that no spreadsheet runs it
        as a formula; a program gets every value back by dropping one leading ')
    infra/maintain signups erase (--email E | --phone P)   an erasure request (AVG art. 17)
    infra/maintain applications erase APPLICATION_ID       an applicant's erasure request
    infra/maintain coordinators list            who coordinates each group; the regiegroep
    infra/maintain coordinators set GROUP --name N --email E --phone P
        a group's (new) coordinator: the running functions see it within PEOPLE_CACHE_SECONDS
        (five minutes); a new coordinator gets the group's members, the one before a thank-you
    infra/maintain regiegroep set --member NAME EMAIL PHONE [--member ...]   (1 to 3 members)
    infra/maintain report [--csv FILE]          the regiegroep's overview (dekking): a table,
        or CSV to FILE (``--csv -``: to standard output), safe to open in a spreadsheet

Credentials and project come from the environment (gcloud auth application-default login,
GOOGLE_CLOUD_PROJECT), or FIRESTORE_EMULATOR_HOST for a local emulator; the deployment file
from DEPLOYMENT_FILE, as for the functions.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from . import bootstrap, contacts
from .config import ConfigError, Person
from .coordinators import erase_application
from .coverage import read_overview
from .deployment_file import check_people
from .mail.outbox import Outbox
from .membership import erase
from .model import email_key, phone_key
from .people import People
from .people_changes import UnknownGroup, set_coordinator, set_regiegroep
from .report import write_csv, write_table
from .spreadsheet_cells import neutralise

# Delivery bookkeeping only: never print addresses or contents to a terminal that may be shared.
STATE_FIELDS = (
    "status",
    "template",
    "attempts",
    "max_attempts",
    "created_at",
    "not_before",
    "sent_at",
    "failed_at",
    "error",
    "last_error",
)
EXPORT_FIELDS = (
    "status",
    "group",
    "name",
    "email",
    "phone",
    "street",
    "house_number",
    "postcode",
    "remarks",
    "created_at",
    "confirmed_at",
    "added_at",
)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    return args.run(args, out)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maintain", description=__doc__.split("\n\n")[0])
    topics = parser.add_subparsers(dest="topic", required=True)

    def command(topic, name: str, run: Callable[..., int], text: str) -> argparse.ArgumentParser:
        sub = topic.add_parser(name, help=text)
        sub.set_defaults(run=run)
        return sub

    mail = topics.add_parser("mail", help="the mail outbox").add_subparsers(required=True)
    command(mail, "failed", _mail_failed, "list failed mail")
    command(mail, "requeue", _mail_requeue, "put a failed mail back").add_argument("mail_id")
    command(mail, "show", _mail_show, "one mail's delivery state").add_argument("mail_id")

    signups = topics.add_parser("signups", help="sign-ups").add_subparsers(required=True)
    export = command(
        signups, "export", _signups_export, "sign-ups as CSV, safe to open in a spreadsheet"
    )
    export.add_argument("--group")
    export.add_argument("--status", choices=("pending", "confirmed", "active"))
    export.add_argument("--output", type=argparse.FileType("w", encoding="utf-8"))
    request = command(signups, "erase", _signups_erase, "erase one resident on request")
    who = request.add_mutually_exclusive_group(required=True)
    who.add_argument("--email")
    who.add_argument("--phone")

    coordinators = topics.add_parser("coordinators", help="who coordinates each group")
    coordinator_commands = coordinators.add_subparsers(required=True)
    command(coordinator_commands, "list", _coordinators_list, "coordinators and regiegroep")
    appoint = command(coordinator_commands, "set", _coordinators_set, "a group's coordinator")
    appoint.add_argument("group", help="the group's id in the deployment file")
    for option in ("--name", "--email", "--phone"):
        appoint.add_argument(option, required=True)
    regiegroep = topics.add_parser("regiegroep", help="the regiegroep (1 to 3 coordinators)")
    command(
        regiegroep.add_subparsers(required=True), "set", _regiegroep_set, "replace its members"
    ).add_argument(
        "--member",
        nargs=3,
        action="append",
        required=True,
        metavar=("NAME", "EMAIL", "PHONE"),
        help="one member; repeat for each (the order is the order of their mails)",
    )

    applications = topics.add_parser("applications", help="coordinator applications")
    command(
        applications.add_subparsers(required=True), "erase", _applications_erase, "erase one"
    ).add_argument("application_id")
    report = topics.add_parser(
        "report", help="the regiegroep's overview (dekking): counts per area, street and group"
    )
    report.set_defaults(run=_report)
    report.add_argument(
        "--csv", metavar="FILE", help="write it as CSV to FILE instead (-: standard output)"
    )
    return parser


def _outbox() -> Outbox:
    return bootstrap.runtime().mailer.outbox


def _mail_failed(_args, out: TextIO) -> int:
    failed = _outbox().failed()
    for mail_id, mail in failed:
        print(f"{mail_id}\t{mail.get('failed_at')}\t{mail.get('error')}", file=out)
    print(f"{len(failed)} failed mail(s)", file=out)
    return 0


def _mail_requeue(args, out: TextIO) -> int:
    if _outbox().requeue(args.mail_id, bootstrap.runtime().clock.now()):
        print(f"{args.mail_id}: queued again; the next sweep delivers it", file=out)
        return 0
    print(f"{args.mail_id}: not found or not failed; nothing changed", file=out)
    return 1


def _mail_show(args, out: TextIO) -> int:
    mail = _outbox().get(args.mail_id)
    if mail is None:
        print(f"{args.mail_id}: not found", file=out)
        return 1
    for field in STATE_FIELDS:
        if field in mail:
            print(f"{field}: {mail[field]}", file=out)
    return 0


def _signups_export(args, out: TextIO) -> int:
    rows = bootstrap.runtime().store.signups(status=args.status, group=args.group)
    target = args.output or out
    writer = csv.writer(target)
    writer.writerow(("id", *EXPORT_FIELDS))
    for signup in sorted(rows, key=lambda row: row.created_at):
        document = signup.to_document()
        values = (signup.id, *(document.get(field) for field in EXPORT_FIELDS))
        writer.writerow([neutralise(value) for value in values])
    if args.output:
        args.output.close()
        print(f"{len(rows)} sign-up(s) written to {args.output.name}", file=out)
    return 0


def _signups_erase(args, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    try:
        # Normalised as the form did, so that the key is the one the sign-up was stored under.
        if args.email:
            key = email_key(contacts.normalise_email(args.email))
        else:
            key = phone_key(contacts.normalise_phone(args.phone))
    except contacts.ContactError as error:
        print(
            f"not a valid {'e-mail address' if args.email else 'phone number'}: {error}", file=out
        )
        return 2
    # Notices about a resident who already left are still being sent (or failing); they are
    # found by the same key. First, so that the notices of this erasure stay.
    notices = runtime.store.erase_mail_about(key)
    if notices:
        print(f"{notices} unsent mail(s) about an earlier erasure deleted", file=out)
    found = runtime.store.find_signup_by_identity([key])
    if found is None:
        print("no sign-up with that address or number", file=out)
        return 0 if notices else 1
    signup_id = found.id
    erased = erase(
        signup_id,
        reason="request",
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        people=runtime.people,
    )
    if not erased:  # erased by another request between the lookup and now
        print(f"{signup_id}: already erased meanwhile; nothing left to do", file=out)
        return 0
    print(f"{signup_id}: erased; the resident and their coordinator are told", file=out)
    return 0


def _applications_erase(args, out: TextIO) -> int:
    if erase_application(args.application_id, store=bootstrap.runtime().store):
        print(f"{args.application_id}: erased", file=out)
        return 0
    print(f"{args.application_id}: not found", file=out)
    return 1


# Who coordinates is what these commands are for: they show names and numbers, which the
# commands about residents never do.
def _coordinators_list(_args, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    stored = runtime.store.read_people()
    people = stored or People.from_deployment(runtime.deployment)
    source = f"version {people.version}" if stored else "not stored yet: as the deployment file"
    print(f"Coordinators ({source}):", file=out)
    for group in runtime.deployment.groups:
        person = people.coordinator_of(group.id)
        who = _person_line(person) if person else "none: the regiegroep adds its residents"
        print(f"  {group.id}\t{group.name}\t{who}", file=out)
    print("Regiegroep:", file=out)
    for person in people.regiegroep:
        print(f"  {_person_line(person)}", file=out)
    if not people.regiegroep:
        print("  none: set it with infra/maintain regiegroep set", file=out)
    return 0


def _person_line(person: Person) -> str:
    return f"{person.name} <{person.email}> {contacts.phone_display(person.phone)}"


def _coordinators_set(args, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    try:
        person, _ = check_people(
            {"coordinator": {"name": args.name, "email": args.email, "phone": args.phone}}
        )
    except ConfigError as error:
        print(str(error).replace("coordinator.", "--"), file=out)
        return 2
    assert person is not None
    try:
        change = set_coordinator(
            args.group,
            person,
            deployment=runtime.deployment,
            store=runtime.store,
            clock=runtime.clock,
        )
    except UnknownGroup:
        known = ", ".join(f'"{group.id}"' for group in runtime.deployment.groups)
        print(f'group: no group has id "{args.group}" (known: {known})', file=out)
        return 2
    if not change.changed:
        print(f"{args.group}: {person.name} coordinates it already; nothing changed", file=out)
        return 0
    print(
        f"{args.group}: {person.name} is its coordinator (version {change.version}); "
        f"{change.mails} handover mail(s) queued, {change.reannounced} waiting resident(s) "
        "announced again; running functions see the change within "
        f"{runtime.settings.people_cache_seconds:.0f} seconds",
        file=out,
    )
    return 0


def _regiegroep_set(args, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    members = [dict(zip(("name", "email", "phone"), member, strict=True)) for member in args.member]
    try:
        _, regiegroep = check_people({"regiegroep": members})
    except ConfigError as error:
        print(error, file=out)
        return 2
    change = set_regiegroep(
        regiegroep, deployment=runtime.deployment, store=runtime.store, clock=runtime.clock
    )
    if not change.changed:
        print("the regiegroep is so already; nothing changed", file=out)
        return 0
    names = ", ".join(person.name for person in regiegroep)
    print(f"regiegroep: {names} (version {change.version})", file=out)
    return 0


def _report(args, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    deployment = runtime.deployment
    overview = read_overview(deployment, runtime.store)
    if args.csv is None:
        write_table(overview, out, title=deployment.initiative.name, at=runtime.clock.now())
    elif args.csv == "-":
        write_csv(overview, out)
    else:
        with open(args.csv, "w", encoding="utf-8", newline="") as target:
            rows = write_csv(overview, target)
        print(f"{rows} row(s) written to {args.csv}", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
