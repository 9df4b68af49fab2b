"""Maintainer commands, run from a workstation against a project's Firestore.

    infra/maintain mail failed                  failed mail, with the reason
    infra/maintain mail requeue MAIL_ID         put a failed mail back in the queue
    infra/maintain mail show MAIL_ID            one mail's delivery state (no contents)
    infra/maintain signups export [--group G] [--status S] [--output FILE]   CSV export
        (a cell that starts with = + - @ or ' gets a leading ' so that no spreadsheet runs it
        as a formula; a program gets every value back by dropping one leading ')
    infra/maintain erase (--email E | --phone P) [--remove-from-people]
        an erasure request (AVG art. 17): the person's sign-up, applications, mail about and to
        them, everywhere; stops first if they coordinate a group or sit in the regiegroep,
        unless --remove-from-people (``signups erase`` is the same command)
    infra/maintain applications erase APPLICATION_ID       one application, by its id
    infra/maintain coordinators list            who coordinates each group; the regiegroep
    infra/maintain coordinators set GROUP --name N --email E --phone P
        a group's (new) coordinator: the running functions see it within PEOPLE_CACHE_SECONDS
        (five minutes); a new coordinator gets the group's members, the one before a thank-you
    infra/maintain regiegroep set --member NAME EMAIL PHONE [--member ...]   (1 to 3 members)
    infra/maintain groups link GROUP URL|--clear
        a group's WhatsApp invite link (invite mode: residents ask to join, the coordinator
        approves), replaced after a reset in WhatsApp, or cleared (add mode); as on the page
    infra/maintain checks plan [--dry-run]      members from before the yearly check: their
        first one, and the group rules version they accepted (so that new rules reach them)
    infra/maintain news send --subject S --body-file F.md [--group G | --area A]
            [--to-me EMAIL] [--dry-run]
        news to the active members (of one group or area) by e-mail, each with their own leave
        link; the same command again sends nothing twice and finishes what a crash left.
        --to-me: one preview to EMAIL only; --dry-run: the count and the text, nothing sent
    infra/maintain keys migrate [--dry-run]     move every key to the current pepper (after the
        move from unsalted keys, or a new pepper): see key_migration.py for what moves and why
    infra/maintain print poster|letter --area A [--group G] --output FILE.pdf|FILE.html
        the poster or the door letter for area A: one A4 page with a QR code to the sign-up
        form (PUBLIC_BASE_URL/signup?area=A); .html writes the printable page itself
    infra/maintain report [--csv FILE]          the regiegroep's overview (dekking): a table,
        or CSV to FILE (``--csv -``: to standard output), safe to open in a spreadsheet
    infra/maintain tallies [--check]            count every sign-up into the overview's
        counters (after the upgrade that brought them, and after the areas or streets of the
        deployment file changed); --check: compare them with a full count, change nothing

Credentials and project come from the environment (gcloud auth application-default login,
GOOGLE_CLOUD_PROJECT), or FIRESTORE_EMULATOR_HOST for a local emulator; the deployment file
from DEPLOYMENT_FILE, as for the functions. The commands that look a person up by address or
number make their keys as the functions do, under the deployment's pepper: KEY_PEPPER if set,
else read from Secret Manager with the maintainer's gcloud login (secret
buurtwhatsapp-key-pepper, or the one KEY_PEPPER_SECRET names). Only against an emulator does the
local pepper serve.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import bootstrap
from .common import contacts
from .common.errors import BuurtWhatsAppError
from .common.rendering import render_mail
from .common.spreadsheet_cells import neutralise
from .coordinators.applications import erase_application
from .coordinators.changes import UnknownGroup, set_coordinator, set_regiegroep
from .coordinators.group_desk import NotTheCoordinator, set_invite_link
from .deployment.people import People
from .deployment.schema import check_people
from .deployment.structure import ConfigError, Deployment, Person
from .forms.validation import InvalidInput
from .mail.catalogue import MailTemplate
from .mail.outbox import Outbox
from .model import Signup
from .overview.reading import read_overview
from .overview.recount import differences, recount
from .overview.report import write_csv, write_table
from .privacy.erasure import ErasureReport, StillServing, erase_person
from .privacy.key_migration import migrate_keys
from .reach import ReachError
from .reach.printed import Printed, plan_print, render_print
from .residents.news import (
    InvalidNews,
    check_news,
    news_context,
    recipients,
    send_news,
    send_preview,
)
from .residents.yearly_check import SPREAD_DAYS, plan_first_checks

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


# The Secret Manager secret the deploy generates the pepper in (infra/deploy_settings.py).
KEY_PEPPER_SECRET = "buurtwhatsapp-key-pepper"


class PepperUnavailable(BuurtWhatsAppError):
    """The deployment's key pepper could not be read; the message says what to do."""


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "needs_keys", False):
        try:
            _load_pepper()
        except PepperUnavailable as error:
            print(f"error: {error}", file=out)
            return 2
    run: Callable[[argparse.Namespace, TextIO], int] = args.run
    return run(args, out)


def _load_pepper(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Put the deployment's pepper in KEY_PEPPER for the runtime to read, unless it is there.

    Against a real project, a key made under the local pepper would find nobody, and an erasure
    request would answer "not found" for a person who is there: so the pepper is read from
    Secret Manager, and the command stops when it cannot be.
    """
    if environ.get("KEY_PEPPER") or environ.get("FIRESTORE_EMULATOR_HOST"):
        return
    project = environ.get("GOOGLE_CLOUD_PROJECT", "")
    if not project:
        raise PepperUnavailable("set GOOGLE_CLOUD_PROJECT to the project's id")
    secret = environ.get("KEY_PEPPER_SECRET") or KEY_PEPPER_SECRET
    command = [
        "gcloud", "secrets", "versions", "access", "latest",
        f"--secret={secret}", f"--project={project}", "--quiet",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PepperUnavailable(
            f"could not run gcloud to read the key pepper ({error.__class__.__name__}); "
            "install the Google Cloud CLI, or set KEY_PEPPER"
        ) from None
    pepper = result.stdout.strip()
    if result.returncode != 0 or not pepper:
        said = (result.stderr.strip().splitlines() or ["no value"])[-1]
        raise PepperUnavailable(
            f"could not read secret {secret} in project {project} ({said}); log in with "
            "`gcloud auth login` as someone who may read it, or set KEY_PEPPER"
        )
    environ["KEY_PEPPER"] = pepper
    bootstrap.reset()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maintain", description=__doc__.split("\n\n")[0])
    topics = parser.add_subparsers(dest="topic", required=True)

    def command(
        topic: Any, name: str, run: Callable[..., int], text: str
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = topic.add_parser(name, help=text)
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
    _erase_arguments(command(signups, "erase", _erase, "the same as: maintain erase"))
    erasure = topics.add_parser(
        "erase", help="an erasure request (AVG art. 17): the person, everywhere"
    )
    erasure.set_defaults(run=_erase)
    _erase_arguments(erasure)

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

    groups = topics.add_parser("groups", help="each group's way in (its WhatsApp invite link)")
    link = command(
        groups.add_subparsers(required=True),
        "link",
        _groups_link,
        "set or replace a group's invite link (invite mode), or --clear it (add mode)",
    )
    link.add_argument("group", help="the group's id in the deployment file")
    which = link.add_mutually_exclusive_group(required=True)
    which.add_argument("url", nargs="?", help="https://chat.whatsapp.com/…, as WhatsApp copies it")
    which.add_argument("--clear", action="store_true", help="no link: the coordinator adds")

    applications = topics.add_parser("applications", help="coordinator applications")
    command(
        applications.add_subparsers(required=True), "erase", _applications_erase, "erase one"
    ).add_argument("application_id")
    checks = topics.add_parser("checks", help="the yearly check (doet u nog mee?)")
    command(
        checks.add_subparsers(required=True),
        "plan",
        _checks_plan,
        "give members from before the yearly check their first one",
    ).add_argument("--dry-run", action="store_true", help="count them; change nothing")
    news = topics.add_parser("news", help="news to members by e-mail (not in the WhatsApp group)")
    send = command(
        news.add_subparsers(required=True), "send", _news_send, "send news to members, once"
    )
    send.add_argument("--subject", required=True, help="the mail's subject, one line")
    send.add_argument(
        "--body-file", required=True, metavar="FILE", help="the text, in Markdown (UTF-8)"
    )
    audience = send.add_mutually_exclusive_group()
    audience.add_argument("--group", help="only the members of this group (its id)")
    audience.add_argument("--area", help="only the members of this area (its id)")
    trial = send.add_mutually_exclusive_group()
    trial.add_argument("--to-me", metavar="EMAIL", help="send one preview to EMAIL, nobody else")
    trial.add_argument(
        "--dry-run", action="store_true", help="print how many it goes to and the text"
    )
    key_commands = topics.add_parser("keys", help="the keys made from addresses and numbers")
    migrate = command(
        key_commands.add_subparsers(required=True),
        "migrate",
        _keys_migrate,
        "move every sign-up, application and mail to the current keys",
    )
    migrate.set_defaults(needs_keys=True)
    migrate.add_argument(
        "--dry-run", action="store_true", help="count what would move; change nothing"
    )
    printing = topics.add_parser(
        "print", help="a poster or door letter with a QR code to the form, as A4 PDF"
    )
    printing.set_defaults(run=_print)
    printing.add_argument("kind", choices=[kind.value for kind in Printed])
    printing.add_argument("--area", required=True, help="the area's id: its form is pre-set")
    printing.add_argument("--group", help="one group of that area, named on the page")
    printing.add_argument(
        "--output", required=True, metavar="FILE", help="FILE.pdf, or FILE.html for the page"
    )
    printing.add_argument(
        "--local",
        action="store_true",
        help="allow a QR code to this machine's form (PUBLIC_BASE_URL unset or localhost)",
    )
    report = topics.add_parser(
        "report", help="the regiegroep's overview (dekking): counts per area, street and group"
    )
    report.set_defaults(run=_report)
    report.add_argument(
        "--csv", metavar="FILE", help="write it as CSV to FILE instead (-: standard output)"
    )
    tallies = topics.add_parser(
        "tallies", help="count every sign-up into the overview's counters (or --check them)"
    )
    tallies.set_defaults(run=_tallies)
    tallies.add_argument(
        "--check", action="store_true", help="compare them with a full count; change nothing"
    )
    return parser


def _erase_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(needs_keys=True)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email")
    who.add_argument("--phone")
    parser.add_argument(
        "--remove-from-people",
        action="store_true",
        help="also when they coordinate a group or sit in the regiegroep: take them out of it",
    )


def _outbox() -> Outbox:
    return bootstrap.runtime().mailer.outbox


def _mail_failed(_args: argparse.Namespace, out: TextIO) -> int:
    failed = _outbox().failed()
    for mail_id, mail in failed:
        print(f"{mail_id}\t{mail.get('failed_at')}\t{mail.get('error')}", file=out)
    print(f"{len(failed)} failed mail(s)", file=out)
    return 0


def _mail_requeue(args: argparse.Namespace, out: TextIO) -> int:
    if _outbox().requeue(args.mail_id, bootstrap.runtime().clock.now()):
        print(f"{args.mail_id}: queued again; the next sweep delivers it", file=out)
        return 0
    print(f"{args.mail_id}: not found or not failed; nothing changed", file=out)
    return 1


def _mail_show(args: argparse.Namespace, out: TextIO) -> int:
    mail = _outbox().get(args.mail_id)
    if mail is None:
        print(f"{args.mail_id}: not found", file=out)
        return 1
    for field in STATE_FIELDS:
        if field in mail:
            print(f"{field}: {mail[field]}", file=out)
    return 0


def _signups_export(args: argparse.Namespace, out: TextIO) -> int:
    rows = bootstrap.runtime().store.signups(status=args.status, group=args.group)
    target = args.output or out
    writer = csv.writer(target)
    writer.writerow(("id", *Signup.EXPORT_FIELDS))
    for signup in sorted(rows, key=lambda row: row.created_at):
        document = signup.to_document()
        values = (signup.id, *(document.get(field) for field in Signup.EXPORT_FIELDS))
        writer.writerow([neutralise(value) for value in values])
    if args.output:
        args.output.close()
        print(f"{len(rows)} sign-up(s) written to {args.output.name}", file=out)
    return 0


def _erase(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    try:
        # Normalised as the form did, so that the keys are the ones it was stored under.
        email = contacts.normalise_email(args.email) if args.email else None
        phone = contacts.normalise_phone(args.phone) if args.phone else None
    except contacts.ContactError as error:
        print(
            f"not a valid {'e-mail address' if args.email else 'phone number'}: {error}", file=out
        )
        return 2
    try:
        report = erase_person(
            email=email,
            phone=phone,
            remove_from_people=args.remove_from_people,
            deployment=runtime.deployment,
            store=runtime.store,
            clock=runtime.clock,
            keys=runtime.keys,
        )
    except StillServing as serving:
        print(
            f"nothing erased: this person serves as {', '.join(serving.roles)}. Appoint a "
            "successor first (infra/maintain coordinators set GROUP ... or regiegroep set ...), "
            "or run again with --remove-from-people to take them out now (a group without a "
            "coordinator has its residents added by the regiegroep)",
            file=out,
        )
        return 1
    _print_erasure(report, out)
    return 0 if report.found else 1


def _print_erasure(report: ErasureReport, out: TextIO) -> None:
    if not report.found:
        print("nobody with that address or number: nothing to erase", file=out)
        return
    told = " (the resident and their coordinator are told)" if report.signups else ""
    lines = [
        ("sign-ups", report.signups, told),
        ("coordinator applications", report.applications, ""),
        ("unsent mail about them (notices, handovers, digests)", report.mail_about, ""),
        ("unsent mail to them", report.mail_to, ""),
        ("numbers on a coordinator's page from an earlier leave", report.removals, ""),
        ("sent form mail named for their mailbox", report.mailbox_markers, ""),
    ]
    print("erased:", file=out)
    for kind, count, note in lines:
        print(f"  {kind}: {count}{note}", file=out)
    for role in report.roles:
        print(f"  removed as {role}: appoint a successor with infra/maintain", file=out)


def _applications_erase(args: argparse.Namespace, out: TextIO) -> int:
    if erase_application(args.application_id, store=bootstrap.runtime().store):
        print(f"{args.application_id}: erased", file=out)
        return 0
    print(f"{args.application_id}: not found", file=out)
    return 1


# Who coordinates is what these commands are for: they show names and numbers, which the
# commands about residents never do.
def _coordinators_list(_args: argparse.Namespace, out: TextIO) -> int:
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


def _coordinators_set(args: argparse.Namespace, out: TextIO) -> int:
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
            keys=runtime.keys,
        )
    except UnknownGroup:
        return _unknown_group(args.group, runtime.deployment, out)
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


def _groups_link(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    try:
        link = set_invite_link(
            args.group,
            None if args.clear else args.url,
            deployment=runtime.deployment,
            store=runtime.store,
            clock=runtime.clock,
        )
    except NotTheCoordinator:
        return _unknown_group(args.group, runtime.deployment, out)
    except InvalidInput:
        print(
            "url: not a WhatsApp group invite link; expected https://chat.whatsapp.com/ and "
            "the 20 to 24 letters and digits of its code (copy it in WhatsApp: group info, "
            "Invite via link, Copy link)",
            file=out,
        )
        return 2
    if link is None:
        print(
            f"{args.group}: no invite link; the coordinator adds new members (add mode)", file=out
        )
    else:
        # The link is not echoed: whoever holds it can ask to join the group.
        print(
            f"{args.group}: invite link stored (invite mode); residents' /join links lead to it "
            "from now on, also those sent before",
            file=out,
        )
    return 0


def _unknown_group(group_id: str, deployment: Deployment, out: TextIO) -> int:
    known = ", ".join(f'"{group.id}"' for group in deployment.groups)
    print(f'group: no group has id "{group_id}" (known: {known})', file=out)
    return 2


def _regiegroep_set(args: argparse.Namespace, out: TextIO) -> int:
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


def _checks_plan(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    planned, already = plan_first_checks(
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        dry_run=args.dry_run,
    )
    verb = "would plan" if args.dry_run else "planned"
    if runtime.deployment.initiative.reconfirm_after_days > 0:
        what = (
            f"a first yearly check (a year after they were added, or within {SPREAD_DAYS} days "
            "where that has passed) and the group rules version they accepted"
        )
    else:
        what = "the group rules version they accepted (the yearly check is off)"
    print(f"{verb} for {planned} member(s): {what}; {already} had it already", file=out)
    return 0


def _news_send(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    try:
        with open(args.body_file, encoding="utf-8") as source:
            body = source.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror
        print(f"--body-file {args.body_file}: cannot read it ({reason})", file=out)
        return 2
    try:
        item = check_news(
            args.subject, body, deployment=runtime.deployment, group=args.group, area=args.area
        )
        if args.to_me:
            mail_id = send_preview(item, args.to_me, store=runtime.store, clock=runtime.clock)
            print(f"news {item.id}: one preview queued (mail {mail_id}); nobody else", file=out)
            return 0
    except InvalidNews as error:
        for problem in error.problems:
            print(f"error: {problem}", file=out)
        return 2
    if args.dry_run:
        members = recipients(item, runtime.store)
        had_it = sum(item.id in member.news_received for member in members)
        print(
            f"news {item.id} to {item.audience}: would go to {len(members) - had_it} "
            f"member(s); {had_it} had it already. Nothing sent. The text part:\n",
            file=out,
        )
        preview = render_mail(runtime.templates, MailTemplate.NEWS_PREVIEW, news_context(item))
        print(f"Onderwerp: {preview.subject}\n\n{preview.text}", file=out)
        return 0
    report = send_news(
        item,
        store=runtime.store,
        clock=runtime.clock,
        per_second=runtime.settings.news_mails_per_second,
    )
    if report.sent_before:
        print(f"news {item.id} to {item.audience} was sent before: nothing sent", file=out)
        return 0
    print(
        f"news {item.id} to {item.audience}: {report.queued} mail(s) queued now, "
        f"{report.already} member(s) had it already, {report.gone} left meanwhile",
        file=out,
    )
    if report.raced:
        print(
            f"{report.raced} member(s) not reached: their sign-up kept changing; run the same "
            "command again to finish (nobody gets it twice)",
            file=out,
        )
        return 1
    return 0


def _keys_migrate(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    report = migrate_keys(store=runtime.store, keys=runtime.keys, dry_run=args.dry_run)
    verb = "would move" if args.dry_run else "moved"
    print(
        f"{verb} to the current keys: {report.signups} sign-up(s), {report.applications} "
        f"application(s), {report.mail} mail(s) about people; {report.unchanged} already on them",
        file=out,
    )
    if report.removals:
        print(f"  and {report.removals} removal task(s) on coordinators' pages", file=out)
    for holder in report.conflicts:
        print(f"  {holder}: not moved, another document holds its new key", file=out)
    return 1 if report.conflicts else 0


def _print(args: argparse.Namespace, out: TextIO) -> int:
    config = bootstrap.configuration()  # no Firestore: what is printed is public
    output = Path(args.output)
    if output.suffix.lower() not in (".pdf", ".html"):
        print(f"--output {args.output}: give a file ending in .pdf or .html", file=out)
        return 2
    base = config.settings.public_base_url
    if not args.local and not base.startswith("https://"):
        # A poster whose code leads to the maintainer's own machine helps nobody.
        print(
            f"error: the QR code would lead to {base}: set PUBLIC_BASE_URL to the form's public "
            "address (https://REGION-PROJECT.cloudfunctions.net, or your own domain), or give "
            "--local to try it out",
            file=out,
        )
        return 2
    try:
        plan = plan_print(
            Printed(args.kind),
            deployment=config.deployment,
            base_url=base,
            area_id=args.area,
            group_id=args.group,
        )
        html = render_print(plan, config.templates)
        if output.suffix.lower() == ".html":
            output.write_text(html, encoding="utf-8")
            pages = "a printable page"
        else:
            from .reach.pdf import write_pdf

            count = write_pdf(html, output)
            pages = f"{count} A4 page" + ("" if count == 1 else "s")
    except ReachError as error:
        print(f"error: {error}", file=out)
        return 2
    except OSError as error:
        print(f"--output {args.output}: cannot write it ({error.strerror})", file=out)
        return 2
    made = f"{plan.kind.value} for {plan.area.name}: {output} ({pages})"
    print(f"{made}; QR code to {plan.signup_url}", file=out)
    return 0


def _report(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    deployment = runtime.deployment
    overview = read_overview(deployment, runtime.store, runtime.clock.now())
    if args.csv is None:
        write_table(overview, out, title=deployment.initiative.name, at=runtime.clock.now())
    elif args.csv == "-":
        write_csv(overview, out)
    else:
        with open(args.csv, "w", encoding="utf-8", newline="") as target:
            rows = write_csv(overview, target)
        print(f"{rows} row(s) written to {args.csv}", file=out)
    return 0


def _tallies(args: argparse.Namespace, out: TextIO) -> int:
    runtime = bootstrap.runtime()
    layout = runtime.layout
    if args.check:
        found = differences(layout=layout, store=runtime.store)
        for line in found:
            print(line, file=out)
        print(
            f"the counters of layout {layout.key} "
            + (
                f"differ from a full count in {len(found)} place(s)"
                if found
                else "agree with a full count"
            ),
            file=out,
        )
        return 1 if found else 0
    counted = recount(layout=layout, store=runtime.store, clock=runtime.clock)
    print(
        f"layout {layout.key}: {counted.signups} sign-up(s) and {counted.households} "
        "household(s) counted anew",
        file=out,
    )
    if counted.left:
        print(
            f"{len(counted.left)} changed at every try ({', '.join(sorted(set(counted.left)))}): "
            "run the same command again",
            file=out,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
