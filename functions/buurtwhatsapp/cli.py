"""Maintainer commands, run from a workstation against a project's Firestore.

    infra/maintain mail failed                  failed mail, with the reason
    infra/maintain mail requeue MAIL_ID         put a failed mail back in the queue
    infra/maintain mail show MAIL_ID            one mail's delivery state (no contents)
    infra/maintain signups export [--group G] [--status S] [--output FILE]   CSV export
        (a cell that starts with = + - @ or ' gets a leading ' so that no spreadsheet runs it
        as a formula; a program gets every value back by dropping one leading ')
    infra/maintain signups erase (--email E | --phone P)   an erasure request (AVG art. 17)
    infra/maintain applications erase APPLICATION_ID       an applicant's erasure request

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
from .coordinators import erase_application
from .mail.outbox import Outbox
from .membership import erase
from .model import email_key, phone_key
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

    applications = topics.add_parser("applications", help="coordinator applications")
    command(
        applications.add_subparsers(required=True), "erase", _applications_erase, "erase one"
    ).add_argument("application_id")
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
    erase(
        signup_id,
        reason="request",
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        people=runtime.people,
    )
    print(f"{signup_id}: erased; the resident and their coordinator are told", file=out)
    return 0


def _applications_erase(args, out: TextIO) -> int:
    if erase_application(args.application_id, store=bootstrap.runtime().store):
        print(f"{args.application_id}: erased", file=out)
        return 0
    print(f"{args.application_id}: not found", file=out)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
