"""News to members: the regiegroep's non-urgent news by e-mail, since the WhatsApp group is for
reports only. Sent only through ``infra/maintain news send`` (an import contract in
pyproject.toml keeps every other module from importing this one).

A news item's id is made from what it says and to whom, so the same command names the same
item. Its ``news/<id>`` document is created before the first mail and marked when every mail is
queued. Each member's mail is a step on their sign-up, fenced by its revision like every other
step (store.py), which also records the item on the sign-up (``news_received``). So:

- running the command again, after a crash or by mistake, queues only what is missing;
- a member who leaves while it runs gets nothing: either the leave comes first (they are not
  read, or their step finds the sign-up gone), or the step comes first, and the erasure, fenced
  by the same revision, reads the unsent mail and deletes it with the sign-up.

Steps are paced at ``per_second``: each mail is sent by its trigger as it is queued, so a
mailing stays inside the transport's sending rate; the sweep picks up what a trigger left.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from ..common.clock import Clock
from ..common.contacts import ContactError, normalise_email
from ..deployment.structure import Deployment
from ..mail.catalogue import MailTemplate
from ..mail.headers import check_text
from ..mail_ids import step_mail_id
from ..model import Signup, SignupStatus, mail_document
from ..store import Conflict, Store
from ..store import SignupGone as DocumentGone
from . import ResidentsError
from .membership import ROUNDS, changes

log = logging.getLogger(__name__)

MAX_SUBJECT = 120
MAX_BODY = 20_000
NEWS_KEPT = 20  # news ids a sign-up remembers (Signup.news_received)


class InvalidNews(ResidentsError):
    """The news cannot be sent as given; ``problems`` says why, one line each, for the
    maintainer who typed the command."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class News:
    subject: str
    body: str  # Markdown
    group: str | None = None  # only the active members of this group,
    area: str | None = None  # or of this area; neither: every active member

    @property
    def id(self) -> str:
        """The same subject, text and audience make the same id: one item, sent once."""
        said = json.dumps([self.subject, self.body, self.group, self.area], ensure_ascii=False)
        return "n-" + hashlib.sha256(said.encode()).hexdigest()[:20]

    @property
    def audience(self) -> str:
        if self.group:
            return f"group {self.group}"
        return f"area {self.area}" if self.area else "every group"


def check_news(
    subject: str, body: str, *, deployment: Deployment, group: str | None, area: str | None
) -> News:
    """The news as it will be sent; InvalidNews listing every problem at once."""
    problems: list[str] = []
    subject = " ".join(subject.split())
    if not subject:
        problems.append("the subject is empty")
    elif len(subject) > MAX_SUBJECT:
        problems.append(f"the subject has {len(subject)} characters; keep it to {MAX_SUBJECT}")
    else:
        try:
            check_text("subject", subject)  # what the mail's header will refuse, refused now
        except ValueError:
            problems.append(
                "the subject holds a control or format character (a zero-width joiner in an "
                "emoji, a soft hyphen, a direction mark); leave it out"
            )
    body = body.replace("\r\n", "\n").strip()
    if not body:
        problems.append("the body is empty")
    elif len(body) > MAX_BODY:
        problems.append(f"the body has {len(body)} characters; keep it to {MAX_BODY}")
    if group is not None and area is not None:
        problems.append("give --group or --area, not both")
    elif group is not None and deployment.group(group) is None:
        known = ", ".join(g.id for g in deployment.groups)
        problems.append(f"no group {group!r} in the deployment file (groups: {known})")
    elif area is not None and deployment.area(area) is None:
        known = ", ".join(a.id for a in deployment.areas)
        problems.append(f"no area {area!r} in the deployment file (areas: {known})")
    if problems:
        raise InvalidNews(problems)
    return News(subject=subject, body=body, group=group, area=area)


def recipients(news: News, store: Store) -> list[Signup]:
    """The active members the news is for (of its group or area, if it names one)."""
    active = SignupStatus.ACTIVE.value
    return store.signups(status=active, group=news.group, area=news.area)


@dataclass(frozen=True, slots=True)
class NewsReport:
    news_id: str
    queued: int = 0  # mails queued by this run
    already: int = 0  # members sent this item by an earlier run
    gone: int = 0  # members who left (or stopped being active) while it ran
    raced: int = 0  # members whose sign-up kept changing: run the command again for them
    sent_before: bool = False  # the item was complete already: nothing was done


def send_news(
    news: News,
    *,
    store: Store,
    clock: Clock,
    per_second: float,
    pause: Callable[[float], None] = time.sleep,
) -> NewsReport:
    """Queue the news for each of its members once, ``per_second`` mails a second."""
    item = store.news_item(news.id)
    if item is not None and item.get("queued_all_at") is not None:
        return NewsReport(news.id, sent_before=True)
    now = clock.now()
    store.start_news(
        news.id,
        {
            "subject": news.subject,
            "audience": news.audience,
            "body_sha256": hashlib.sha256(news.body.encode()).hexdigest(),
            "created_at": now,
            "queued_all_at": None,
        },
    )
    outcomes: Counter[str] = Counter()
    for signup in recipients(news, store):
        outcome = _send_to(signup, news, store=store, clock=clock)
        outcomes[outcome] += 1
        if outcome == "queued":
            pause(1 / per_second)
    queued, already = outcomes["queued"], outcomes["already"]
    if not outcomes["raced"]:  # else the item stays open, for the same command to finish
        store.finish_news(news.id, {"queued_all_at": clock.now(), "queued": queued + already})
    report = NewsReport(
        news.id, queued=queued, already=already, gone=outcomes["gone"], raced=outcomes["raced"]
    )
    log.info("news queued", extra={"news_id": news.id, "sent": queued, "skipped": already})
    return report


def _send_to(signup: Signup, news: News, *, store: Store, clock: Clock) -> str:
    """One member's step: "queued", "already" (an earlier run), "gone", or "raced" (their
    sign-up kept changing under us)."""
    fresh: Signup | None = signup
    for _round in range(ROUNDS):
        if fresh is None or fresh.status is not SignupStatus.ACTIVE:
            return "gone"
        if news.id in fresh.news_received:
            return "already"
        now = clock.now()
        kept = (*fresh.news_received, news.id)[-NEWS_KEPT:]
        after = replace(fresh, news_received=kept, updated_at=now)
        mail = news_mail(news, to=fresh.email, name=fresh.name, signup_id=fresh.id, now=now)
        step = step_mail_id(fresh.id, fresh.revision + 1)
        try:
            fields = changes(fresh, after)
            store.advance_signup(fresh, fields, [(step, mail)], now, count="news_sent")
        except Conflict:
            fresh = store.get_signup(signup.id)  # changed meanwhile (a step, a leave)
            continue
        except DocumentGone:
            return "gone"
        return "queued"
    return "raced"


PREVIEW_NAME = "(naam van het lid)"


def news_context(news: News, name: str = PREVIEW_NAME) -> dict[str, object]:
    """What the news templates show (by default with the name of nobody: a preview)."""
    return {"name": name, "subject": news.subject, "body": news.body, "news_id": news.id}


def news_mail(
    news: News, *, to: str, name: str, signup_id: str | None, now: datetime
) -> dict[str, object]:
    """The outbox entry of the news to one member (or, without a sign-up, its preview)."""
    return mail_document(
        template=MailTemplate.NEWS if signup_id else MailTemplate.NEWS_PREVIEW,
        to=to,
        data=news_context(news, name),
        signup_id=signup_id,
        now=now,
    )


def send_preview(news: News, to: str, *, store: Store, clock: Clock) -> str:
    """Queue one preview of the news to ``to`` (the maintainer); its mail id."""
    try:
        address = normalise_email(to)
    except ContactError as error:
        raise InvalidNews([f"--to-me: not an address we can send to ({error.detail})"]) from None
    now = clock.now()
    mail_id = f"news-preview-{news.id}-{now:%Y%m%d%H%M%S%f}"
    preview = news_mail(news, to=address, name=PREVIEW_NAME, signup_id=None, now=now)
    store.queue_mail(mail_id, preview)
    return mail_id
