"""Every mail this product sends, made from a journey in which every typed field is an attack:
RFC 2047 encoded words that decode to a line break, headers and an HTML body. Each .eml keeps
exactly the structure we built, and each header shows the typed text literally."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from buurtwhatsapp.coordinators.applications import ALERTS_PER_HOUR, apply, send_application_digest
from buurtwhatsapp.coordinators.changes import set_coordinator
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.mail.catalogue import MailTemplate
from buurtwhatsapp.mail.delivery import Outcome, deliver
from buurtwhatsapp.mail.transports import FileTransport
from buurtwhatsapp.model import MAIL, SIGNUPS
from buurtwhatsapp.overview.digest import send_monthly_digest
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from buurtwhatsapp.residents.membership import confirm, leave, mark_added
from buurtwhatsapp.residents.news import News, send_news, send_preview
from buurtwhatsapp.residents.signup import sign_up
from buurtwhatsapp.store import Store
from tests.conftest import KEYS
from tests.firestore_documents import documents
from tests.integration.test_mail_delivery import make_mailer

pytestmark = pytest.mark.emulator


def b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


# Each fits the form's 100 characters for a name and passes validation (printable, one line).
ATTACKS = {
    "html body": b_word("\r\nContent-Type: text/html\r\n\r\n<a href=//ev.il>Log in</a>"),
    "bcc": "=?utf-8?q?Jan=0D=0ABcc:_evil@ev.il?=",
    "bidi": f"Jan {b_word(chr(0x202E) + 'lien.ev')}",
}
# Mail whose subject names the person it is about: the attack must arrive there literally.
NAMED_IN_SUBJECT = {
    MailTemplate.NEWS,  # the maintainer typed it
    MailTemplate.NEWS_PREVIEW,
    MailTemplate.COORDINATOR_ALERT,
    MailTemplate.COORDINATOR_REMINDER,
    MailTemplate.COORDINATOR_REMOVE,
    MailTemplate.APPLICATION_ALERT,
}
TOP_HEADERS = {
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_no_typed_text_changes_the_structure_of_any_mail(
    attack, firestore_client, deployment, clock, valid_signup, tmp_path
):
    store = Store(firestore_client)
    mailer = make_mailer(firestore_client, deployment, clock, FileTransport(tmp_path / "outbox"))
    kinds: dict[str, str] = {}

    def deliver_queued() -> None:
        for mail_id, mail in documents(firestore_client, MAIL).items():
            if mail["status"] == "queued":
                kinds[mail_id] = mail["template"]
                assert deliver(mail_id, mailer) is Outcome.SENT, mail["template"]

    def signed_up(raw) -> str:
        before = set(documents(firestore_client, SIGNUPS))
        sign_up(raw, deployment=deployment, store=store, clock=clock, keys=KEYS)
        [signup_id] = set(documents(firestore_client, SIGNUPS)) - before
        return signup_id

    # Every typed field at once; the street lands in the buitengebied, which takes any street.
    typed = {"name": attack, "street": attack, "remarks": attack, "house_number": "9"}
    member = signed_up({**valid_signup, **typed})
    waiting = signed_up(
        {**valid_signup, **typed, "email": "sem@example.org", "phone": "06-23456789"}
    )
    deliver_queued()
    # The group takes members by its invite link: the welcome and the nudge carry the name too.
    store.set_group_invite(
        "buitengebied", "https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd", clock.now()
    )
    confirm(member, deployment=deployment, store=store, clock=clock)
    deliver_queued()
    clock.current += timedelta(days=4)
    run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)
    deliver_queued()
    mark_added(member, deployment=deployment, store=store, clock=clock)
    deliver_queued()
    # A year on, the yearly check asks, and a month later reminds: both greet by name.
    for days in (366, 31):
        clock.current += timedelta(days=days)
        run_housekeeping(deployment=deployment, store=store, clock=clock, keys=KEYS)
        deliver_queued()
    # A new coordinator takes the member's group over: the handover lists what was typed.
    successor = Person("Fenna Nieuw", "fenna@example.org", "+31687654321")
    set_coordinator(
        "buitengebied", successor, deployment=deployment, store=store, clock=clock, keys=KEYS
    )
    deliver_queued()
    # New group rules: the member gets them, greeted by name.
    new_rules = replace(deployment, initiative=replace(deployment.initiative, rules_version="2099"))
    run_housekeeping(deployment=new_rules, store=store, clock=clock, keys=KEYS)
    clock.current += timedelta(seconds=1)  # the rules mails fall due 0.1 s apart
    deliver_queued()
    # News whose subject and text are the attack, to the member and as a preview.
    news = News(subject=attack, body=f"# {attack}\n\n{attack}\n")
    send_news(news, store=store, clock=clock, per_second=100, pause=lambda _seconds: None)
    send_preview(news, "beheer@example.org", store=store, clock=clock)
    deliver_queued()
    leave(member, deployment=deployment, store=store, clock=clock)
    application = {key: valid_signup[key] for key in ("postcode", "house_number", "privacy")}
    # One more application than the hour's alerts: the last waits for the regiegroep's digest.
    for number in range(ALERTS_PER_HOUR + 1):
        apply(
            {
                **application,
                **typed,
                "email": f"anna{number}@example.org",
                "phone": f"06-3456789{number}",
                "motivation": attack,
            },
            deployment=deployment,
            store=store,
            clock=clock,
            keys=KEYS,
        )
    send_application_digest(people=People.from_deployment(deployment), store=store, clock=clock)
    deliver_queued()
    # The regiegroep's monthly digest: counts only, whatever was typed.
    regiegroep = People(regiegroep=(Person("Jan Regie", "jan.regie@example.org", "+31612340101"),))
    send_monthly_digest(deployment=deployment, people=regiegroep, store=store, clock=clock)
    deliver_queued()
    reminders = [
        mail
        for mail_id, mail in documents(firestore_client, MAIL).items()
        if kinds.get(mail_id) == MailTemplate.CONFIRM_REMINDER
    ]
    assert [mail["signup_id"] for mail in reminders] == [waiting]

    assert set(kinds.values()) == set(MailTemplate)  # every kind of mail was made
    for mail_id, kind in kinds.items():
        raw = (tmp_path / "outbox" / f"{mail_id}.eml").read_bytes()
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        names = [line.split(":")[0] for line in head.split("\r\n") if not line.startswith(" ")]
        assert len(names) == len(set(names)) and set(names) <= TOP_HEADERS, kind
        leaves = [p.get_content_type() for p in message.walk() if not p.is_multipart()]
        assert leaves[:2] == ["text/plain", "text/html"] and set(leaves) <= {
            "text/plain",
            "text/html",
            "text/vcard",
        }, kind
        assert all("Bcc" not in part for part in message.walk()), kind
        assert b"ev.il>Log in" not in raw, kind
        subject = str(message["Subject"])
        assert "\u202e" not in subject and "\n" not in subject, kind
        if kind in NAMED_IN_SUBJECT:
            assert attack in subject, kind
        for attachment in message.iter_attachments():
            assert "\n" not in attachment.get_filename(), kind
