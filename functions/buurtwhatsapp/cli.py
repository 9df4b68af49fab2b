"""Maintainer commands, run from a workstation against a project's Firestore.

    infra/maintain mail failed            list mail that gave up, with the reason
    infra/maintain mail requeue MAIL_ID   put a failed mail back in the queue
    infra/maintain mail show MAIL_ID      one mail's delivery state (no contents)

Credentials and project come from the environment (gcloud auth application-default login,
GOOGLE_CLOUD_PROJECT), or FIRESTORE_EMULATOR_HOST for a local emulator.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from google.cloud import firestore

from .clock import SystemClock
from .mail.outbox import Outbox

# Delivery bookkeeping only: never print addresses or contents to a terminal that may be shared.
STATE_FIELDS = (
    "status",
    "template",
    "attempts",
    "max_attempts",
    "created_at",
    "not_before",
    "lease_until",
    "sent_at",
    "failed_at",
    "error",
    "last_error",
)


def main(argv: Sequence[str] | None = None, out=sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="maintain", description=__doc__.split("\n\n")[0])
    groups = parser.add_subparsers(dest="group", required=True)
    mail = groups.add_parser("mail", help="the mail outbox").add_subparsers(
        dest="command", required=True
    )
    mail.add_parser("failed", help="list failed mail")
    for name, text in (("requeue", "put a failed mail back in the queue"), ("show", "one mail")):
        mail.add_parser(name, help=text).add_argument("mail_id")
    args = parser.parse_args(argv)

    outbox = Outbox(firestore.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT") or None))
    if args.command == "failed":
        failed = outbox.failed()
        for mail_id, mail in failed:
            print(f"{mail_id}\t{mail.get('failed_at')}\t{mail.get('error')}", file=out)
        print(f"{len(failed)} failed mail(s)", file=out)
        return 0
    if args.command == "requeue":
        if outbox.requeue(args.mail_id, SystemClock().now()):
            print(f"{args.mail_id}: queued again; the next sweep delivers it", file=out)
            return 0
        print(f"{args.mail_id}: not found or not failed; nothing changed", file=out)
        return 1
    mail_state = outbox.get(args.mail_id)
    if mail_state is None:
        print(f"{args.mail_id}: not found", file=out)
        return 1
    for field in STATE_FIELDS:
        if field in mail_state:
            print(f"{field}: {mail_state[field]}", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
