"""The regiegroep's monthly digest: what it says (digest.digest_content), how its mail reads
(templates/mail/regiegroep-digest) and the overview link its delivery signs for the recipient.
That it goes out once a month: tests/integration/test_overview.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jinja2
import pytest

from buurtwhatsapp.common.rendering import deployment_environment, render_mail, template_environment
from buurtwhatsapp.common.signed_links import Links, Purpose
from buurtwhatsapp.mail.catalogue import MailTemplate
from buurtwhatsapp.mail.compose import Composer
from buurtwhatsapp.model import OverviewInputs, SignupRow, mail_document
from buurtwhatsapp.overview.counts import build_overview
from buurtwhatsapp.overview.digest import MAIN_FIGURES, digest_content
from tests.conftest import KEYS, FakeClock
from tests.unit.mail.test_mail_templates import (
    CONTACT,
    HOSTILE_NAME,
    HOSTILE_NAME_ESCAPED,
    make_initiative,
)

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
MAIL = MailTemplate.REGIEGROEP_DIGEST.value
OVERVIEW_URL = "https://buurt.example/overview?token=b3ZlcnZpZXc.c2lnbmF0dXJl"
NOVEMBER = datetime(2026, 11, 1, 1, 17, tzinfo=UTC)


def overview_of(deployment, *rows: SignupRow, seats=None):
    inputs = OverviewInputs(rows, seats or {"dorp": 0, "buitengebied": 0}, 1, 0)
    return build_overview(deployment, inputs)


def row(status: str, street: str, number: str, group: str | None = None) -> SignupRow:
    return SignupRow(status, street, number, "2158AB", group)


def sample_digest_context(*, first: bool = False, **overrides: object) -> dict[str, object]:
    """A full context for the digest, as digest.py and its delivery provide it."""
    figures = {
        "active": 42,
        "confirmed": 3,
        "pending": 5,
        "without_group": 0,
        "streets_without_members": 2,
        "open_applications": 1,
        "failed_mail": 2,
    }
    changes = dict.fromkeys(figures, 0) | {"active": 3, "pending": -2}
    context: dict[str, object] = {
        "initiative": make_initiative(),
        "recipient_name": "Jan Voorbeeld",
        "month_label": "november 2026",
        "lifetime_days": 30,
        "since_label": None if first else "oktober 2026",
        "figures": figures,
        "changes": None if first else changes,
        "areas": [
            {
                "name": "Buitenkaag dorp",
                "members": 40,
                "active": 36,
                "change": None if first else 2,
            },
            {"name": "Buitengebied Buitenkaag", "members": 10, "active": 6, "change": None},
        ],
        "groups": [
            {
                "name": "Buurt WhatsApp Buitenkaag Dorp",
                "taken": 39,
                "capacity": 1024,
                "percent": 4,
                "change": None if first else 3,
            },
        ],
        "streets_without_members": [
            {
                "area": "Buitenkaag dorp",
                "streets": ["Lisserweg 480–530", "Dorpsstraat 1–49 (oneven nummers)"],
            }
        ],
        "overview_url": OVERVIEW_URL,
    }
    context.update(overrides)
    return context


@pytest.fixture(scope="module")
def templates() -> jinja2.Environment:
    return template_environment(TEMPLATES)


def render(templates, **context):
    return render_mail(templates, MAIL, sample_digest_context(**context))


def reads(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_subject_names_the_month(templates):
    assert render(templates).subject == "Maandoverzicht van de dekking, november 2026"


def test_the_figures_and_their_changes_are_in_both_parts(templates):
    mail = render(templates)
    html = reads(mail.html)
    assert "Actief in een WhatsApp-groep 42 +3" in html
    assert "Aangemeld, nog niet bevestigd 5 −2" in html
    assert "Straten zonder deelnemers 2 gelijk" in html
    assert re.search(r"^Actief in een WhatsApp-groep: +42  \+3$", mail.text, re.M)
    assert re.search(r"^Aangemeld, nog niet bevestigd: +5  −2$", mail.text, re.M)
    assert "sinds het vorige overzicht (oktober 2026)" in html
    for part in (html, " ".join(mail.text.split())):
        assert "Buitenkaag dorp: Lisserweg 480–530, Dorpsstraat 1–49 (oneven nummers)" in part
        assert "Er zijn 2 e-mails niet bezorgd." in part
        assert "Er staat 1 aanmelding als coördinator open." in part
    assert "- Buitenkaag dorp: 40 deelnemers (+2)" in mail.text
    assert "- Buitengebied Buitenkaag: 10 deelnemers\n" in mail.text


def test_the_first_digest_shows_no_changes_and_says_why(templates):
    mail = render(templates, first=True)
    for part in (reads(mail.html), " ".join(mail.text.split())):
        assert "Dit is het eerste maandoverzicht." in part
        assert "gelijk" not in part and "+3" not in part and "vorige overzicht (" not in part
    assert re.search(r"^Actief in een WhatsApp-groep: +42$", mail.text, re.M)


def test_the_overview_link_is_a_button_and_a_line_of_its_own(templates):
    mail = render(templates)
    assert f'href="{OVERVIEW_URL}"' in mail.html
    assert re.search(rf"^{re.escape(OVERVIEW_URL)}$", mail.text, re.M)
    context = sample_digest_context()
    del context["overview_url"]
    with pytest.raises(jinja2.UndefinedError, match="overview_url"):
        render_mail(templates, MAIL, context)


def test_no_leave_link_for_the_regiegroep(templates):
    mail = render(templates, leave_url="https://buurt.example/leave?token=x")
    for part in (mail.html, mail.text):
        assert "Afmelden" not in part and "leave?token" not in part
        assert CONTACT in part
        assert "omdat u in de regiegroep van Buurt WhatsApp Buitenkaag zit" in " ".join(
            part.split()
        )


def test_the_recipients_name_is_escaped_in_html_and_literal_in_text(templates):
    mail = render(templates, recipient_name=HOSTILE_NAME)
    assert "<script>" not in mail.html and HOSTILE_NAME_ESCAPED in mail.html
    assert HOSTILE_NAME in mail.text


def test_text_lines_fit_in_76_characters(templates):
    long = "Buurt WhatsApp Buitenkaag Lisserweg, Kagerdreef en de Dorpsstraat"
    context = {
        "groups": [{"name": long, "taken": 1000, "capacity": 1024, "percent": 98, "change": 12}],
        "areas": [{"name": long, "members": 1000, "active": 900, "change": -12}],
    }
    for first in (False, True):
        for line in render(templates, first=first, **context).text.split("\n"):
            assert line.startswith("https://") or len(line) <= 76, line


def test_the_content_compares_with_the_previous_digest(deployment):
    now = overview_of(
        deployment,
        row("active", "Kagerdreef", "1", "dorp"),
        row("active", "Kagerdreef", "2", "dorp"),
        row("pending", "Lisserweg", "12"),
        seats={"dorp": 2, "buitengebied": 0},
    )
    figures = now.figures()
    before = {**figures, "active": 5, "pending": 1, "areas": {"dorp": 1}, "groups": {"dorp": 1}}
    content = digest_content(now, figures, ("2026-09", before), NOVEMBER)
    assert content["month_label"] == "november 2026"
    assert content["since_label"] == "september 2026"
    assert content["figures"] == {key: figures[key] for key in MAIN_FIGURES}
    assert content["changes"]["active"] == 2 - 5
    assert content["changes"]["pending"] == 0
    assert [(a["name"], a["members"], a["change"]) for a in content["areas"]] == [
        ("Buitenkaag dorp", 2, 1),
        ("Buitengebied Buitenkaag", 1, None),  # not in the previous digest
    ]
    assert content["groups"][0]["change"] == 1
    assert content["streets_without_members"] == [
        {
            "area": "Buitenkaag dorp",
            "streets": ["Lisserweg 480–530", "Dorpsstraat 1–49 (oneven nummers)"],
        }
    ]
    first = digest_content(now, figures, None, NOVEMBER)
    assert first["changes"] is None and first["since_label"] is None
    assert {a["change"] for a in first["areas"]} == {None}


def test_delivery_signs_the_overview_link_for_the_recipient(deployment):
    links = Links("unit-signing-key-" + "s" * 32, "https://buurt.example", FakeClock(NOVEMBER))
    templates = deployment_environment(TEMPLATES, deployment.initiative)
    composer = Composer(
        templates, links, KEYS, deployment.initiative, "Buurt <noreply@example.org>"
    )
    content = digest_content(
        overview_of(deployment), overview_of(deployment).figures(), None, NOVEMBER
    )
    data = {
        key: value
        for key, value in sample_digest_context().items()
        if key not in ("initiative", "overview_url")
    }
    data.update(content)
    mail = mail_document(template=MAIL, to="Anna@Example.org", data=data, now=NOVEMBER)

    outgoing = composer.compose("digest-2026-11-0", mail)

    [url] = re.findall(r"^(https://buurt\.example/overview\?token=\S+)$", outgoing.text, re.M)
    assert url in unescape(outgoing.html)
    [token] = parse_qs(urlsplit(url).query)["token"]
    assert links.verify(Purpose.OVERVIEW, token) == KEYS.email("anna@example.org")
    assert not [h for h in outgoing.headers if h[0] == "List-Unsubscribe"]
    assert outgoing.attachments == ()


def checks(**counts: int) -> dict[str, object]:
    """The digest's counts of keeping the groups current, as digest.py gives them."""
    events = ("checks_asked", "checks_reminded", "checks_yes", "checks_lapsed")
    zero = dict.fromkeys((*events, "rules_accepted", "news_sent"), 0)
    return {"label": "november 2026", **zero, **counts}


def test_the_month_of_keeping_the_groups_current_is_in_both_parts(templates):
    mail = render(
        templates, checks=checks(checks_asked=12, checks_yes=1, rules_accepted=3, news_sent=40)
    )
    for part in (reads(mail.html), " ".join(mail.text.split())):
        assert (
            "De jaarlijkse vraag in november 2026: 12 gevraagd, 0 herinnerd, 1 doet nog mee, "
            "0 zonder antwoord uitgeschreven." in part
        )
        assert (
            "Ook in november 2026: 3 deelnemers accepteerden nieuwe groepsregels, en er zijn 40 "
            "e-mails met nieuws verstuurd." in part
        )
    one = render(templates, checks=checks(rules_accepted=1, news_sent=1))
    assert "1 deelnemer accepteerde nieuwe groepsregels, en er is 1 e-mail met nieuws" in reads(
        one.html
    )


def test_without_rules_or_news_that_month_the_digest_says_nothing_of_them(templates):
    mail = render(templates, checks=checks(checks_asked=2))
    assert "groepsregels" not in mail.html and "nieuws" not in mail.text
    assert "De jaarlijkse vraag" not in render(templates).text  # a quiet month: no line at all


def test_a_digest_queued_before_rules_and_news_were_counted_still_renders(templates):
    old = {"label": "oktober 2026", "checks_asked": 2, "checks_reminded": 0, "checks_yes": 1}
    mail = render(templates, checks={**old, "checks_lapsed": 0})
    assert "De jaarlijkse vraag in oktober 2026: 2 gevraagd" in mail.text
    assert "groepsregels" not in mail.text


def test_the_streets_ready_for_signs_are_named_where_households_are_known(templates):
    signs = {
        "threshold": 30,
        "areas": [
            {
                "name": "Buitenkaag dorp",
                "percent": 12,
                "ready": ["Kagerdreef", "Lisserweg 480–530"],
            },
            {"name": "Buitengebied Buitenkaag", "percent": 4, "ready": []},
        ],
    }
    mail = render(templates, signs=signs)
    for part in (reads(mail.html), " ".join(mail.text.split())):
        assert "minstens 30% van de huishoudens in een straat meedoet" in part
        assert (
            "Buitenkaag dorp: 12% van de huishoudens doet mee. Klaar voor borden: Kagerdreef, "
            "Lisserweg 480–530." in part
        )
        assert "Buitengebied Buitenkaag: 4% van de huishoudens doet mee. Nog geen straat" in part
    assert "borden" not in render(templates).text  # no households given: nothing said


def test_the_digest_content_gives_participation_as_the_deployment_file_allows(deployment):
    # The example file: Kagerdreef 40 households, the buitengebied 180 in all.
    actives = [row("active", "Kagerdreef", str(n), "dorp") for n in range(1, 13)]
    overview = overview_of(deployment, *actives, row("active", "Zandslootweg", "301"))
    signs = digest_content(overview, overview.figures(), None, NOVEMBER)["signs"]
    assert signs == {
        "threshold": 30,
        "areas": [
            {"name": "Buitenkaag dorp", "percent": 13, "ready": ["Kagerdreef"]},  # 12 of 91
            {"name": "Buitengebied Buitenkaag", "percent": 1, "ready": []},  # 1 of 180
        ],
    }
