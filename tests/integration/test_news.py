"""News to members (issue 18, part 3) against real emulators: once per member whatever is run
again, nothing to a member who leaves meanwhile, paced, and inert whatever the Markdown says."""

from __future__ import annotations

import base64
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser

import pytest

from bench.journey import member_document
from buurtwhatsapp.deployment.structure import Group
from buurtwhatsapp.mail.catalogue import MailTemplate
from buurtwhatsapp.mail.delivery import Outcome, deliver
from buurtwhatsapp.mail.transports import FileTransport
from buurtwhatsapp.model import MAIL, MONTHLY, NEWS, SIGNUPS
from buurtwhatsapp.residents.membership import leave
from buurtwhatsapp.residents.news import InvalidNews, News, check_news, send_news, send_preview
from buurtwhatsapp.store import Store
from tests.firestore_documents import documents
from tests.integration.test_mail_delivery import make_mailer

pytestmark = pytest.mark.emulator

GROUPS = ("dorp", "lisserweg", "buitengebied")
BODY = "Op **12 maart** komt de wijkagent naar het dorpshuis.\n"


@pytest.fixture
def three_groups(deployment):
    """The example's two groups and a second one in the village."""
    lisserweg = Group("lisserweg", "Buurt WhatsApp Lisserweg", "dorp", 50)
    return replace(deployment, groups=(*deployment.groups, lisserweg))


@pytest.fixture
def store(firestore_client) -> Store:
    return Store(firestore_client)


@pytest.fixture
def members(firestore_client, clock) -> dict[str, str]:
    """Three active members in each of the three groups: sign-up id -> group."""
    placed = {}
    for number in range(9):
        group = GROUPS[number // 3]
        area = "buitengebied" if group == "buitengebied" else "dorp"
        document = {**member_document(number, clock.now(), due_now=False), "group": group}
        document["area"] = area
        signup_id = f"m{number:04d}"
        firestore_client.collection(SIGNUPS).document(signup_id).set(document)
        placed[signup_id] = group
    return placed


def news_mails(client, template=MailTemplate.NEWS) -> dict[str, dict]:
    return {i: m for i, m in documents(client, MAIL).items() if m.get("template") == template}


def test_news_to_three_groups_reaches_each_member_once_and_never_one_who_left(
    three_groups, members, store, clock, firestore_client, tmp_path
):
    news = check_news("Informatieavond", BODY, deployment=three_groups, group=None, area=None)
    ids = sorted(members)
    leavers = (ids[0], ids[-1])  # queued before they leave, and not yet reached
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:  # mid-way
            for signup_id in leavers:
                assert leave(signup_id, deployment=three_groups, store=store, clock=clock)

    report = send_news(news, store=store, clock=clock, per_second=10, pause=pause)

    assert (report.queued, report.already, report.gone) == (8, 0, 1)
    assert pauses == [0.1] * 8  # one pause per mail: 10 a second
    mails = news_mails(firestore_client)
    assert sorted(m["signup_id"] for m in mails.values()) == ids[1:-1]
    assert {members[m["signup_id"]] for m in mails.values()} == set(GROUPS)

    again = send_news(news, store=store, clock=clock, per_second=10, pause=pauses.append)
    assert again.sent_before and news_mails(firestore_client) == mails
    assert documents(firestore_client, NEWS)[news.id]["queued_all_at"] is not None

    mailer = make_mailer(firestore_client, three_groups, clock, FileTransport(tmp_path))
    for mail_id in mails:
        assert deliver(mail_id, mailer) is Outcome.SENT
    delivered = [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        for p in tmp_path.glob("*.eml")
    ]
    recipients = {str(message["To"]) for message in delivered}
    assert len(recipients) == 7
    assert not recipients & {f"lid{int(s[1:])}@example.org" for s in leavers}
    assert all(str(message["List-Unsubscribe"]).startswith("<http") for message in delivered)


def test_a_run_stopped_half_way_is_finished_by_the_same_command_without_duplicates(
    three_groups, members, store, clock, firestore_client
):
    news = check_news("Informatieavond", BODY, deployment=three_groups, group=None, area=None)

    def crash_at_the_fourth(_seconds: float) -> None:
        if len(news_mails(firestore_client)) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        send_news(news, store=store, clock=clock, per_second=10, pause=crash_at_the_fourth)
    assert documents(firestore_client, NEWS)[news.id]["queued_all_at"] is None

    finished = send_news(news, store=store, clock=clock, per_second=10, pause=lambda _s: None)
    assert (finished.queued, finished.already, finished.gone) == (5, 4, 0)
    per_member = [m["signup_id"] for m in news_mails(firestore_client).values()]
    assert sorted(per_member) == sorted(members)
    month = f"{clock.now():%Y-%m}"
    assert documents(firestore_client, MONTHLY)[month]["news_sent"] == 9


@pytest.mark.parametrize(
    ("audience", "expected"),
    [({"group": "lisserweg"}, {"lisserweg"}), ({"area": "dorp"}, {"dorp", "lisserweg"})],
)
def test_news_to_one_group_or_area_reaches_only_its_members(
    audience, expected, three_groups, members, store, clock, firestore_client
):
    chosen = {"group": None, "area": None, **audience}
    news = check_news("Alleen voor u", BODY, deployment=three_groups, **chosen)
    send_news(news, store=store, clock=clock, per_second=100, pause=lambda _s: None)
    reached = [members[m["signup_id"]] for m in news_mails(firestore_client).values()]
    assert set(reached) == expected and len(reached) == 3 * len(expected)


def test_other_news_is_another_item_and_goes_out_too(
    three_groups, members, store, clock, firestore_client
):
    first = check_news("Eerste bericht", BODY, deployment=three_groups, group=None, area=None)
    second = replace(first, subject="Tweede bericht")
    for news in (first, second):
        send_news(news, store=store, clock=clock, per_second=100, pause=lambda _s: None)
    assert len(news_mails(firestore_client)) == 18
    assert store.get_signup("m0000").news_received == (first.id, second.id)


def test_a_preview_goes_to_the_maintainer_alone(
    three_groups, members, store, clock, firestore_client
):
    news = check_news("Informatieavond", BODY, deployment=three_groups, group=None, area=None)
    send_preview(news, "beheer@example.org", store=store, clock=clock)
    [preview] = news_mails(firestore_client, MailTemplate.NEWS_PREVIEW).values()
    assert preview["to"] == "beheer@example.org" and preview["signup_id"] is None
    assert news_mails(firestore_client) == {} and documents(firestore_client, NEWS) == {}
    with pytest.raises(InvalidNews, match="--to-me"):
        send_preview(news, "geen adres", store=store, clock=clock)


def test_news_that_cannot_be_sent_is_refused_with_every_reason(three_groups):
    with pytest.raises(InvalidNews) as refused:
        check_news(" ", "", deployment=three_groups, group="nergens", area=None)
    assert refused.value.problems == [
        "the subject is empty",
        "the body is empty",
        "no group 'nergens' in the deployment file (groups: dorp, buitengebied, lisserweg)",
    ]
    for hidden in ("Agent \u200d in de buurt", "Zacht\u00adje", "\u202eomgekeerd"):
        with pytest.raises(InvalidNews, match="control or format character"):
            check_news(hidden, BODY, deployment=three_groups, group=None, area=None)
    with pytest.raises(InvalidNews, match="not both"):
        check_news("Nieuws", BODY, deployment=three_groups, group="dorp", area="dorp")


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


HOSTILE_BODY = """# Let op

<script>alert("buren")</script>

<img src=x onerror=alert(1)>

[Klik hier](javascript:alert(document.cookie)) of <javascript:alert(2)>.

<a href="javascript:alert(3)" onclick="alert(4)">nog een</a>
"""
ENCODED_SUBJECT = "=?utf-8?b?" + base64.b64encode(b"Gewonnen!\r\nBcc: x@ev.il").decode() + "?="


def test_markup_in_the_news_comes_out_inert_and_an_encoded_word_stays_literal(
    three_groups, members, store, clock, firestore_client, tmp_path
):
    news = News(subject=ENCODED_SUBJECT, body=HOSTILE_BODY, group="lisserweg")
    send_news(news, store=store, clock=clock, per_second=100, pause=lambda _s: None)
    mailer = make_mailer(firestore_client, three_groups, clock, FileTransport(tmp_path))
    [mail_id, *_] = news_mails(firestore_client)
    assert deliver(mail_id, mailer) is Outcome.SENT
    raw = (tmp_path / f"{mail_id}.eml").read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)

    assert str(message["Subject"]) == ENCODED_SUBJECT  # shown as typed, never decoded
    assert "Bcc" not in message and b"x@ev.il" not in raw.split(b"\r\n\r\n", 1)[0]
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content()

    elements = _Elements()
    elements.feed(html)
    assert "script" not in {tag for tag, _ in elements.tags}
    attributes = [(name, value or "") for _, attrs in elements.tags for name, value in attrs]
    assert not [name for name, _ in attributes if name.startswith("on")]
    assert not [v for name, v in attributes if name in ("href", "src") and "javascript" in v]
    # Shown as the text it is: escaped in HTML, literal in plain text.
    assert "&lt;script&gt;" in html and "onerror=alert(1)" in html
    assert '<script>alert("buren")</script>' in text and "<img src=x onerror=alert(1)>" in text
    assert "Let op" in html and "Let op" in text.splitlines()


def test_a_member_whose_sign_up_keeps_changing_is_left_for_a_second_run(
    three_groups, members, firestore_client, clock
):
    """Another writer changes m0004 before each of our steps: after ROUNDS tries it is left,
    and the item stays open; the same command finishes it, once for everyone."""

    class RacedStore(Store):
        def advance_signup(self, signup, fields, mails, now, slots=(), count=None):
            if signup.id == "m0004":  # a step of its own first: ours finds the revision taken
                Store.advance_signup(self, signup, {"updated_at": now}, [], now)
            return super().advance_signup(signup, fields, mails, now, slots, count)

    news = check_news("Informatieavond", BODY, deployment=three_groups, group=None, area=None)
    raced = send_news(
        news, store=RacedStore(firestore_client), clock=clock, per_second=100, pause=lambda _s: None
    )
    assert (raced.queued, raced.raced) == (8, 1)
    assert documents(firestore_client, NEWS)[news.id]["queued_all_at"] is None

    store = Store(firestore_client)
    finished = send_news(news, store=store, clock=clock, per_second=100, pause=lambda _s: None)
    assert (finished.queued, finished.already, finished.raced) == (1, 8, 0)
    assert sorted(m["signup_id"] for m in news_mails(firestore_client).values()) == sorted(members)
