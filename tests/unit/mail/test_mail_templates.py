"""The mails after the werkwijze, rendered with the real templates and a full sample context.

Residents get confirm-reminder and added (with the leave link in the footer) and left (after
erasure, no leave link). Coordinators and the regiegroep get coordinator-alert,
coordinator-reminder, coordinator-remove and application-alert; an applicant gets
application-ack. None of those carries a leave link.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape, unescape
from pathlib import Path

import jinja2
import pytest

from buurtwhatsapp.common.rendering import RenderedMail, render_mail, template_environment
from buurtwhatsapp.deployment.structure import Initiative

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"

CONTACT = "buurtwhatsapp@buitenkaag.example"
WEBSITE = "https://www.buitenkaag.example/buurtwhatsapp"
PERSON = "Zoë van Dijk"
COORDINATOR = "Jan Voorbeeld"
GROUP = "Buurt WhatsApp Buitenkaag Dorp"
CONFIRM_URL = "https://buurt.example/confirm?token=Y29uZmlybQ.c2lnbmF0dXJl"
LEAVE_URL = "https://buurt.example/leave?token=bGVhdmU.bWFjLXZhbHVl"
ADDED_URL = "https://buurt.example/added?token=YWRkZWQ.dG9rZW4tc2ln"
WA_ME_URL = "https://wa.me/31612345678"
FALLBACK = "Nog geen groep gevonden"
LEAVE_LABEL = "Afmelden en uw gegevens laten wissen"
HOSTILE_NAME = '<script>alert(1)</script> & "Zoë"'
HOSTILE_NAME_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Zoë&#34;"
REGION = "Buitenkaag en het buitengebied"
REMARKS = "Ik ben vaak op reis.\nBel mij liever niet na 21 uur."
LONG_GROUP = "Buurt WhatsApp Buitenkaag Lisserweg en Kagerdreef"
TAGLINE = "Samen alert op verdachte situaties in"

MAILS = (
    "coordinator-alert",
    "coordinator-reminder",
    "confirm-reminder",
    "added",
    "left",
    "coordinator-remove",
    "application-ack",
    "application-alert",
    "application-digest",
    "coordinator-handover",
    "coordinator-thanks",
    "welkom",
    "join-reminder",
    "yearly-check",
    "yearly-check-reminder",
    "rules-changed",
    "news",
    "news-preview",
)
RESIDENT_MAILS = (
    "confirm-reminder", "added", "welkom", "join-reminder", "yearly-check", "yearly-check-reminder",
    "rules-changed", "news",
)  # fmt: skip
STILL_URL = "https://buurt.example/still?token=c3RpbGw.dG9rZW4tc2ln"
RULES_URL = "https://buurt.example/rules?token=cnVsZXM.dG9rZW4tc2ln"
NEWS_SUBJECT = "Informatieavond met de wijkagent op 12 maart"
NEWS_BODY = """Op **12 maart** vertelt de wijkagent in het dorpshuis over inbraakpreventie.

# Praktisch

- Inloop vanaf 19.30 uur
- Aanmelden hoeft niet

Meer op [de website](https://www.buitenkaag.example/nieuws).
"""
JOIN_URL = "https://buurt.example/join?token=am9pbg.dG9rZW4tc2ln"
GROUP_URL = "https://buurt.example/group?token=Z3JvdXA.dG9rZW4tc2ln"
# Mail that may reach an address nobody confirmed: it quotes nothing typed into a form (a name
# can hold a link), so its context has no name at all.
TO_AN_UNCONFIRMED_ADDRESS = ("confirm-reminder", "left", "application-ack")
NO_LEAVE_LINK = (
    "news-preview",
    "coordinator-alert",
    "coordinator-reminder",
    "coordinator-remove",
    "application-alert",
    "application-ack",
    "left",
    "coordinator-handover",
    "coordinator-thanks",
)
TO_A_COORDINATOR = (
    "coordinator-alert",
    "coordinator-reminder",
    "coordinator-remove",
    "application-alert",
    "coordinator-handover",
    "coordinator-thanks",
)
URLS = {
    "coordinator-alert": {"wa_me_url": WA_ME_URL, "added_url": ADDED_URL},
    "coordinator-reminder": {"wa_me_url": WA_ME_URL, "added_url": ADDED_URL},
    "confirm-reminder": {"confirm_url": CONFIRM_URL, "leave_url": LEAVE_URL},
    "added": {"leave_url": LEAVE_URL},
    "welkom": {"join_url": JOIN_URL, "leave_url": LEAVE_URL},
    "join-reminder": {"join_url": JOIN_URL, "leave_url": LEAVE_URL},
    "yearly-check": {"still_url": STILL_URL, "leave_url": LEAVE_URL},
    "yearly-check-reminder": {"still_url": STILL_URL, "leave_url": LEAVE_URL},
    "rules-changed": {"rules_url": RULES_URL, "leave_url": LEAVE_URL},
    "news": {"leave_url": LEAVE_URL},
}
SUBJECTS = {
    "coordinator-alert": f"Nieuwe deelnemer voor {GROUP}: {PERSON}",
    "coordinator-reminder": f"Herinnering: wilt u {PERSON} toevoegen aan de groep?",
    "confirm-reminder": "Herinnering: bevestig uw aanmelding bij Buurt WhatsApp Buitenkaag",
    "added": f"U bent toegevoegd aan de WhatsApp-groep {GROUP}",
    "left": "U bent afgemeld bij Buurt WhatsApp Buitenkaag",
    "coordinator-remove": f"Graag uit de groep halen: {PERSON} heeft zich afgemeld",
    "application-ack": "Bedankt voor uw aanmelding als coördinator bij Buurt WhatsApp Buitenkaag",
    "application-alert": f"Nieuwe aanmelding als coördinator: {PERSON}",
    "application-digest": "2 nieuwe aanmeldingen als coördinator",
    "coordinator-handover": f"Welkom als coördinator van {GROUP}",
    "coordinator-thanks": f"Bedankt voor uw inzet als coördinator van {GROUP}",
    "welkom": f"Nog één stap: vraag toegang tot de WhatsApp-groep {GROUP}",
    "join-reminder": f"Zit u al in de WhatsApp-groep {GROUP}?",
    "yearly-check": "Doet u nog mee met Buurt WhatsApp Buitenkaag?",
    "yearly-check-reminder": "Herinnering: doet u nog mee met Buurt WhatsApp Buitenkaag?",
    "rules-changed": "Nieuwe groepsregels voor Buurt WhatsApp Buitenkaag",
    "news": NEWS_SUBJECT,
    "news-preview": f"Voorbeeld: {NEWS_SUBJECT}",
}
FALLBACK_SUBJECTS = {
    "coordinator-alert": f"Nog geen groep voor nieuwe deelnemer {PERSON}",
    "coordinator-reminder": f"Herinnering: nog geen groep voor {PERSON}",
}
# Where each mail's context holds the name of the person the mail is about.
PERSON_KEY = {
    "coordinator-alert": "member",
    "coordinator-reminder": "member",
    "coordinator-remove": "member",
    "application-alert": "applicant",
    "application-digest": "applicants",  # the first of them
    "coordinator-handover": "members",  # the first of them
    "coordinator-thanks": "successor",
}
# The one value each mail cannot do without, for the missing-value test.
REQUIRED = {
    "coordinator-alert": "added_url",
    "coordinator-reminder": "days_waiting",
    "confirm-reminder": "retention_days",
    "added": "group_name",
    "coordinator-remove": "was_added",
    "application-alert": "applicant",
    "coordinator-handover": "members",
    "coordinator-thanks": "successor",
    "welkom": "join_url",
    "join-reminder": "join_url",
    "yearly-check": "still_url",
    "yearly-check-reminder": "lapse_on",
    "rules-changed": "new_version",
    "news": "body",
    "news-preview": "subject",
}


def make_initiative(website: str | None = WEBSITE, region: str = REGION) -> Initiative:
    return Initiative(
        name="Buurt WhatsApp Buitenkaag",
        place="Buitenkaag",
        contact_email=CONTACT,
        website=website,
        rules_version="2026-11",
        privacy_version="2026-11",
        privacy_retention_days=30,
        region=region,
    )


def sample_context(mail: str, **overrides: object) -> dict[str, object]:
    """A full context for ``mail``, as the code that queues it provides it."""
    member = {
        "name": PERSON,
        "street": "Kagerdreef",
        "house_number": "12a",
        "postcode_display": "2158 AB",
        "phone_display": "06 12345678",
        "email": "zoe@example.org",
        "remarks": REMARKS,
    }
    alert = {
        "recipient_name": COORDINATOR,
        "member": member,
        "group_name": GROUP,
        "member_count": 12,
        "capacity": 250,
        "fallback": False,
        "wa_me_url": WA_ME_URL,
        "added_url": ADDED_URL,
    }
    contexts: dict[str, dict[str, object]] = {
        "coordinator-alert": alert,
        "coordinator-reminder": {**alert, "days_waiting": 3},
        "confirm-reminder": {
            "confirm_url": CONFIRM_URL,
            "leave_url": LEAVE_URL,
            "retention_days": 30,
        },
        "added": {"name": PERSON, "group_name": GROUP, "leave_url": LEAVE_URL},
        "left": {},
        "coordinator-remove": {
            "recipient_name": COORDINATOR,
            "member": {"name": PERSON, "phone_display": "06 12345678"},
            "group_name": GROUP,
            "was_added": True,
        },
        "application-ack": {},
        "application-alert": {
            "recipient_name": COORDINATOR,
            "applicant": {
                "name": PERSON,
                "email": "zoe@example.org",
                "phone_display": "06 12345678",
                "street": "Kagerdreef",
                "house_number": "12a",
                "postcode_display": "2158 AB",
                "motivation": "Ik woon hier al twintig jaar.\nIk ken veel buren.",
            },
        },
    }
    contexts["application-digest"] = {
        "recipient_name": COORDINATOR,
        "applicants": [
            contexts["application-alert"]["applicant"],  # type: ignore[index]
            {
                "name": "Sem de Boer",
                "email": "sem@example.org",
                "phone_display": "06 23456789",
                "street": "Lisserweg",
                "house_number": "3",
                "postcode_display": "2158 AB",
                "motivation": "Ik help graag.",
            },
        ],
    }
    contexts["coordinator-handover"] = {
        "recipient_name": COORDINATOR,
        "group_name": GROUP,
        "predecessor_name": "Kees Vorig",
        "members": [
            {**member, "phone": "+31612345678", "wa_me_url": WA_ME_URL},
            {
                "name": "Sem de Boer",
                "street": "Lisserweg",
                "house_number": "3",
                "postcode_display": "2158 AC",
                "phone": "+31623456789",
                "phone_display": "06 23456789",
                "wa_me_url": "https://wa.me/31623456789",
            },
        ],
        "waiting_count": 2,
    }
    contexts["coordinator-thanks"] = {
        "recipient_name": COORDINATOR,
        "group_name": GROUP,
        "successor": {"name": PERSON, "phone": "+31612345678", "phone_display": "06 12345678"},
    }
    way_in = {
        "name": PERSON,
        "group_name": GROUP,
        "coordinator_name": COORDINATOR,
        "join_url": JOIN_URL,
        "leave_url": LEAVE_URL,
    }
    contexts["welkom"] = way_in
    contexts["join-reminder"] = way_in
    check = {
        "name": PERSON,
        "group_name": GROUP,
        "lapse_on": "3 februari 2028",
        "still_url": STILL_URL,
        "leave_url": LEAVE_URL,
    }
    contexts["yearly-check"] = check
    contexts["yearly-check-reminder"] = check
    news = {"name": PERSON, "subject": NEWS_SUBJECT, "body": NEWS_BODY, "news_id": "n-0123"}
    contexts["news"] = {**news, "leave_url": LEAVE_URL}
    contexts["news-preview"] = news
    contexts["rules-changed"] = {
        "name": PERSON,
        "group_name": GROUP,
        "old_version": "2026-11",
        "new_version": "2027-03",
        "rules_url": RULES_URL,
        "leave_url": LEAVE_URL,
    }
    context: dict[str, object] = {"initiative": make_initiative(), **contexts[mail]}
    context.update(overrides)
    return context


def with_person_name(mail: str, name: str) -> dict[str, object]:
    context = sample_context(mail)
    key = PERSON_KEY.get(mail)
    if key is None:
        context["name"] = name
    elif isinstance(context[key], list):
        first, *others = context[key]  # type: ignore[misc]
        context[key] = [{**first, "name": name}, *others]
    else:
        context[key] = {**context[key], "name": name}  # type: ignore[dict-item]
    return context


def hrefs(html: str) -> set[str]:
    return {unescape(href) for href in re.findall(r'href="([^"]*)"', html)}


def plain(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def reads(body: str) -> str:
    """What a part says, tags stripped (HTML) and runs of whitespace made one space."""
    return " ".join(plain(body).split()) if "<html" in body else " ".join(body.split())


@pytest.fixture(scope="module")
def templates() -> jinja2.Environment:
    return template_environment(TEMPLATES)


@pytest.fixture(scope="module")
def rendered(templates: jinja2.Environment) -> dict[str, RenderedMail]:
    return {mail: render_mail(templates, mail, sample_context(mail)) for mail in MAILS}


# --- Every mail -------------------------------------------------------------------------------


@pytest.mark.parametrize("mail", MAILS)
def test_subject_is_one_nonempty_line(rendered, mail):
    subject = rendered[mail].subject
    assert subject.strip()
    assert not any(character in subject for character in "\n\r\v\f\u2028\u2029")
    assert subject == SUBJECTS[mail]


@pytest.mark.parametrize(("mail", "key"), [(m, k) for m, urls in URLS.items() for k in urls])
def test_every_given_url_is_linked_in_html_and_written_in_text(rendered, mail, key):
    url = URLS[mail][key]
    assert url in hrefs(rendered[mail].html), f"{key} is no link in the HTML part of {mail}"
    assert re.search(rf"^{re.escape(url)}$", rendered[mail].text, re.M), (
        f"{key} is not on a line of its own in the text part of {mail}"
    )


@pytest.mark.parametrize("mail", [m for m in MAILS if m not in TO_AN_UNCONFIRMED_ADDRESS])
def test_the_person_is_named_in_both_parts(rendered, mail):
    names = [PERSON, COORDINATOR] if mail in TO_A_COORDINATOR else [PERSON]
    for name in names:
        assert name in rendered[mail].html, f"{name!r} missing from the HTML part of {mail}"
        assert name in rendered[mail].text, f"{name!r} missing from the text part of {mail}"


@pytest.mark.parametrize("mail", TO_AN_UNCONFIRMED_ADDRESS)
def test_mail_to_an_unconfirmed_address_names_nobody(rendered, mail):
    for part in (rendered[mail].subject, rendered[mail].html, rendered[mail].text):
        assert PERSON not in part and COORDINATOR not in part


@pytest.mark.parametrize("mail", [m for m in MAILS if m not in TO_AN_UNCONFIRMED_ADDRESS])
def test_a_name_is_escaped_in_html_and_literal_in_text(templates, mail):
    mail_parts = render_mail(templates, mail, with_person_name(mail, HOSTILE_NAME))
    assert "<script>" not in mail_parts.html
    assert HOSTILE_NAME_ESCAPED in mail_parts.html
    assert HOSTILE_NAME in mail_parts.text
    assert "&lt;" not in mail_parts.text and "&amp;" not in mail_parts.text


@pytest.mark.parametrize("mail", MAILS)
def test_text_part_has_every_link_and_heading_of_the_html_part(rendered, mail):
    html, text = rendered[mail].html, rendered[mail].text
    links = hrefs(html)
    assert links, f"{mail} has no links"
    for href in links:
        assert href.removeprefix("mailto:") in text, f"{href} missing from the text of {mail}"
    headings = [plain(h) for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html, re.S)]
    assert len(headings) >= 2, f"{mail} has fewer than two headings"
    for heading in headings:
        assert heading in text, f"section {heading!r} missing from the text of {mail}"


@pytest.mark.parametrize("mail", MAILS)
def test_text_part_is_plain_and_tidy(rendered, mail):
    text = rendered[mail].text
    assert "<" not in text and "&lt;" not in text and "&amp;" not in text and "&#" not in text
    assert "{{" not in text and "{%" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert CONTACT in text


@pytest.mark.parametrize("mail", MAILS)
def test_missing_values_are_never_written_as_none(templates, mail):
    sparse = {
        "initiative": make_initiative(website=None),
        "group_name": None,
        "member_count": None,
        "capacity": None,
    }
    context = sample_context(mail)
    context.update({key: value for key, value in sparse.items() if key in context})
    parts = render_mail(templates, mail, context)
    for body in (parts.subject, parts.html, parts.text):
        assert "None" not in body
    assert WEBSITE not in parts.html and WEBSITE not in parts.text


@pytest.mark.parametrize("mail", REQUIRED)
def test_a_missing_context_value_raises(templates, mail):
    context = sample_context(mail)
    del context[REQUIRED[mail]]
    with pytest.raises(jinja2.UndefinedError):
        render_mail(templates, mail, context)


@pytest.mark.parametrize("mail", MAILS)
def test_without_the_initiative_nothing_renders(templates, mail):
    context = sample_context(mail)
    del context["initiative"]
    with pytest.raises(jinja2.UndefinedError):
        render_mail(templates, mail, context)


@pytest.mark.parametrize("mail", MAILS)
def test_the_header_names_the_region_of_the_initiative(rendered, mail):
    for body in (rendered[mail].html, rendered[mail].text):
        assert f"{TAGLINE} {REGION}" in body


@pytest.mark.parametrize("mail", MAILS)
def test_without_a_region_the_place_is_named_and_no_buitengebied_is_made_up(templates, mail):
    context = sample_context(mail, initiative=make_initiative(region=""))
    parts = render_mail(templates, mail, context)
    for body in (parts.html, parts.text):
        assert f"{TAGLINE} Buitenkaag\n" in body or f"{TAGLINE} Buitenkaag<" in body
        assert "buitengebied" not in body.lower()


def with_long_group_name(mail: str) -> dict[str, object]:
    context = sample_context(mail)
    if "group_name" in context:
        context["group_name"] = LONG_GROUP
    return context


@pytest.mark.parametrize("mail", MAILS)
def test_text_lines_fit_in_76_characters_even_with_a_long_group_name(templates, mail):
    text = render_mail(templates, mail, with_long_group_name(mail)).text
    for line in text.split("\n"):
        if line.startswith("https://"):
            continue  # a link on a line of its own must not be broken
        assert len(line) <= 76, f"{len(line)} characters in {mail}: {line!r}"


@pytest.mark.parametrize(
    "mail", ["coordinator-alert", "coordinator-reminder", "coordinator-remove"]
)
def test_text_reason_breaks_before_the_group_name(templates, mail):
    text = render_mail(templates, mail, with_long_group_name(mail)).text
    assert f"U krijgt deze e-mail als coördinator van de groep\n{LONG_GROUP} bij" in text
    without_group = render_mail(templates, mail, sample_context(mail, group_name=None)).text
    assert "U krijgt deze e-mail als coördinator bij Buurt WhatsApp Buitenkaag.\n" in (
        without_group
    )


@pytest.mark.parametrize(
    "mail", ["coordinator-alert", "coordinator-reminder", "coordinator-remove", "application-alert"]
)
def test_the_number_is_labelled_mobiel_nummer(rendered, mail):
    html, text = rendered[mail].html, rendered[mail].text
    assert re.search(r">Mobiel nummer</td><td[^>]*>06 12345678</td>", html)
    assert re.search(r"^Mobiel nummer: +06 12345678$", text, re.M)
    for body in (html, text):
        assert "Telefoon" not in body
        assert not re.search(r"\bMobiel\b(?! nummer)", body)


# --- Leave links ------------------------------------------------------------------------------


@pytest.mark.parametrize("mail", NO_LEAVE_LINK)
def test_mails_to_non_members_carry_no_leave_link(templates, mail):
    # Even with a leave_url at hand, the mail must not offer it.
    parts = render_mail(templates, mail, sample_context(mail, leave_url=LEAVE_URL))
    for body in (parts.html, parts.text):
        assert "Afmelden" not in body
        assert LEAVE_URL not in body
    assert CONTACT in parts.html and CONTACT in parts.text


@pytest.mark.parametrize("mail", RESIDENT_MAILS)
def test_resident_mails_carry_the_leave_link_in_the_footer(rendered, mail):
    html, text = rendered[mail].html, rendered[mail].text
    assert re.search(rf'<a href="{re.escape(LEAVE_URL)}"[^>]*>{LEAVE_LABEL}</a>', html)
    assert f"{LEAVE_LABEL}:\n{LEAVE_URL}\n" in text


@pytest.mark.parametrize("mail", RESIDENT_MAILS)
def test_resident_mails_need_the_leave_url(templates, mail):
    context = sample_context(mail)
    del context["leave_url"]
    with pytest.raises(jinja2.UndefinedError, match="leave_url"):
        render_mail(templates, mail, context)


def test_left_says_no_more_mail_follows(rendered):
    for body in (rendered["left"].html, rendered["left"].text):
        assert "U ontvangt geen e-mail meer van ons" in body


# --- Coordinator alert and reminder -------------------------------------------------------------

ALERTS = ("coordinator-alert", "coordinator-reminder")
NO_GROUP = {"fallback": True, "group_name": None, "member_count": None, "capacity": None}


@pytest.mark.parametrize("mail", ALERTS)
def test_fallback_wording_only_when_no_group_could_take_the_resident(templates, mail):
    normal = render_mail(templates, mail, sample_context(mail))
    fallback = render_mail(templates, mail, sample_context(mail, **NO_GROUP))
    for body in (normal.subject, normal.html, normal.text):
        assert FALLBACK.lower() not in body.lower() and "nog geen groep" not in body.lower()
        assert "regiegroep" not in body
    for body in (fallback.html, fallback.text):
        assert FALLBACK in body
        assert "regiegroep" in body
        assert GROUP not in body
    assert fallback.subject == FALLBACK_SUBJECTS[mail]


@pytest.mark.parametrize("mail", ALERTS)
def test_member_count_of_capacity_when_both_are_known(templates, mail):
    both = render_mail(templates, mail, sample_context(mail, member_count=12, capacity=250))
    count_only = render_mail(templates, mail, sample_context(mail, member_count=7, capacity=None))
    neither = render_mail(templates, mail, sample_context(mail, member_count=None, capacity=None))
    for body in (both.html, both.text):
        assert "zijn er 12 van de 250 plaatsen in de groep bezet." in reads(body)
    for body in (count_only.html, count_only.text):
        assert "doen er 7 deelnemers mee in de groep." in reads(body)
        assert "7 van" not in body
        assert "None" not in body
    for body in (neither.html, neither.text):
        assert not re.search(r"\d+ van (de )?\d+", body)
        assert " deelnemers" not in reads(body) and "mee in de groep." not in reads(body)


@pytest.mark.parametrize("mail", ALERTS)
@pytest.mark.parametrize(
    ("count", "capacity", "expected"),
    [
        (1, 1024, "Met deze deelnemer meegeteld doet er 1 deelnemer mee in de groep."),
        (7, 1024, "Met deze deelnemer meegeteld doen er 7 deelnemers mee in de groep."),
        (1, 5, "Met deze deelnemer meegeteld is er 1 van de 5 plaatsen in de groep bezet."),
        (5, 5, "Met deze deelnemer meegeteld zijn er 5 van de 5 plaatsen in de groep bezet."),
    ],
)
def test_member_count_is_good_dutch_and_names_only_a_lower_maximum(
    templates, mail, count, capacity, expected
):
    parts = render_mail(
        templates, mail, sample_context(mail, member_count=count, capacity=capacity)
    )
    for body in (parts.html, parts.text):
        assert expected in reads(body)
        # WhatsApp's own maximum is no news to a coordinator.
        assert "1024" not in body
        assert "1 deelnemers" not in reads(body)


@pytest.mark.parametrize("mail", ALERTS)
def test_alert_shows_the_remarks_escaped_with_their_line_breaks(templates, mail):
    remarks = "Eerste regel\nIk ken <b>veel</b> buren & dieren.\n\nGroet"
    context = sample_context(mail)
    context["member"] = {**context["member"], "remarks": remarks}  # type: ignore[dict-item]
    parts = render_mail(templates, mail, context)
    assert "<b>veel</b>" not in parts.html
    assert re.search(
        r"Opmerking van de deelnemer:</strong></p>\s*<table[^>]*>\s*<tr>\s*<td[^>]*"
        r'white-space:pre-line;">' + re.escape(escape(remarks, quote=False)) + "</td>",
        parts.html,
    )
    assert "Opmerking van de deelnemer:\n" in parts.text
    for line in ("Eerste regel", "Ik ken <b>veel</b> buren & dieren.", "Groet"):
        assert re.search(rf"^    {re.escape(line)}$", parts.text, re.M)


@pytest.mark.parametrize("mail", ALERTS)
def test_alert_shows_the_sample_remarks_in_both_parts(rendered, mail):
    for body in (rendered[mail].html, rendered[mail].text):
        assert "Opmerking van de deelnemer:" in body
        for line in REMARKS.split("\n"):
            assert line in body


@pytest.mark.parametrize("mail", ALERTS)
@pytest.mark.parametrize("remarks", ["", None], ids=["empty", "absent"])
def test_alert_without_remarks_says_nothing_about_them(templates, mail, remarks):
    context = sample_context(mail)
    member = dict(context["member"])  # type: ignore[call-overload]
    if remarks is None:
        del member["remarks"]  # a mail queued before remarks were passed on
    else:
        member["remarks"] = remarks
    context["member"] = member
    parts = render_mail(templates, mail, context)
    for body in (parts.html, parts.text):
        assert "Opmerking" not in body
        assert "pre-line" not in body


@pytest.mark.parametrize("mail", ALERTS)
def test_alert_has_the_member_details_vcard_and_added_button(rendered, mail):
    html, text = rendered[mail].html, rendered[mail].text
    for body in (html, text):
        for detail in ("Kagerdreef 12a, 2158 AB", "06 12345678", "zoe@example.org", GROUP):
            assert detail in body, f"{detail!r} missing from {mail}"
        assert f"contactkaartje van {PERSON} (een .vcf-bestand)" in " ".join(body.split())
        assert "Deelnemers toevoegen" in body
        assert "Ik heb deze deelnemer toegevoegd" in body
        assert "vertrouwelijk" in body
    button = re.search(r'<a href="([^"]+)"[^>]*>Ik heb deze deelnemer toegevoegd</a>', html)
    assert button and unescape(button.group(1)) == ADDED_URL
    assert "Ik heb deze deelnemer toegevoegd:\n" + ADDED_URL in text


@pytest.mark.parametrize(("days", "expected"), [(1, "1 dag geleden"), (4, "4 dagen geleden")])
def test_reminder_says_how_long_the_member_waits(templates, days, expected):
    mail = render_mail(
        templates, "coordinator-reminder", sample_context("coordinator-reminder", days_waiting=days)
    )
    for body in (mail.html, mail.text):
        assert expected in body
        assert "Al toegevoegd?" in body


# --- The other mails ----------------------------------------------------------------------------


def test_confirm_reminder_is_the_only_one_and_names_the_retention(templates):
    mail = render_mail(
        templates, "confirm-reminder", sample_context("confirm-reminder", retention_days=45)
    )
    for body in (mail.html, mail.text):
        assert "45 dagen" in body
        assert "30 dagen" not in body
        assert "enige herinnering" in body


@pytest.mark.parametrize(
    ("group_name", "expected"),
    [(GROUP, f"de WhatsApp-groep {GROUP}"), (None, "de WhatsApp-groep van")],
)
def test_added_names_the_group_when_known(templates, group_name, expected):
    mail = render_mail(templates, "added", sample_context("added", group_name=group_name))
    assert expected in mail.subject
    assert expected in plain(mail.html)
    assert expected in " ".join(mail.text.split())


def test_added_recaps_the_rules(rendered):
    for body in (rendered["added"].html, rendered["added"].text):
        for expected in ("112", "0900-8844", "verdachte situaties", CONTACT):
            assert expected in body
        # The police may have been called on 0900-8844 just as well; either way, once is enough.
        assert "Zet in de groep dat de politie al gebeld is." in reads(body)
        assert "niet tien keer dezelfde melding" in reads(body)
        assert "112 al gebeld" not in body


@pytest.mark.parametrize(
    ("was_added", "present", "absent"),
    [
        (
            True,
            f"Wilt u het nummer van {PERSON} (06 12345678) verwijderen uit de groep {GROUP}?",
            "niet meer toe",
        ),
        (False, "Voeg deze deelnemer dus niet meer toe", "Wilt u het nummer"),
    ],
)
def test_coordinator_remove_depends_on_whether_the_member_was_added(
    templates, was_added, present, absent
):
    mail = render_mail(
        templates, "coordinator-remove", sample_context("coordinator-remove", was_added=was_added)
    )
    for body in (mail.html, mail.text):
        # The question names the number it is about; no "dit nummer" before any is shown.
        assert present in reads(body)
        assert absent not in reads(body)
        assert "dit nummer" not in body
        assert "06 12345678" in body
        assert "gewist" in body
        assert "het contact op uw telefoon" in body


def test_application_alert_keeps_the_motivation_readable_and_escaped(templates):
    motivation = "Ik woon hier al twintig jaar.\nIk ken <b>veel</b> buren.\n\nGroet"
    context = sample_context("application-alert")
    context["applicant"] = {**context["applicant"], "motivation": motivation}  # type: ignore[dict-item]
    mail = render_mail(templates, "application-alert", context)
    assert "<b>veel</b>" not in mail.html
    assert re.search(r'white-space:pre-line;">' + re.escape(escape(motivation)), mail.html)
    for line in ("Ik woon hier al twintig jaar.", "Ik ken <b>veel</b> buren.", "Groet"):
        assert re.search(rf"^\s*{re.escape(line)}$", mail.text, re.M)


def test_application_ack_explains_the_role_and_offers_erasure(rendered):
    for body in (rendered["application-ack"].html, rendered["application-ack"].text):
        for expected in ("regiegroep", "wijkagent", "één coördinator", "wissen", CONTACT):
            assert expected in body


def render_both(templates: jinja2.Environment, mail: str, context: dict[str, object]):
    rendered = render_mail(templates, mail, context)
    return reads(rendered.html), reads(rendered.text), rendered


def test_in_invite_mode_the_alert_names_the_request_to_approve_and_keeps_the_fallback(templates):
    context = sample_context("coordinator-alert", invite=True, phone_end="678", group_url=GROUP_URL)
    html, text, mail = render_both(templates, "coordinator-alert", context)
    text = " ".join(text.replace(">>", "").split())  # the notice's quote marks
    for body in (html, text):
        assert f"{PERSON}, nummer eindigt op 678" in body
        assert "Keur alleen dat verzoek goed" in body
        assert "Lukt het niet via de link?" in body
    assert {GROUP_URL, WA_ME_URL, ADDED_URL} <= hrefs(mail.html)  # the fallback stays
    assert GROUP_URL in mail.text and WA_ME_URL in mail.text
    html, text, mail = render_both(
        templates, "coordinator-alert", sample_context("coordinator-alert")
    )
    for body in (html, text):
        assert "nummer eindigt op" not in body
        assert "groepspagina" not in body


def test_the_removal_notice_points_at_the_page_only_for_a_member_who_was_added(templates):
    added = render_mail(
        templates, "coordinator-remove", sample_context("coordinator-remove", group_url=GROUP_URL)
    )
    assert GROUP_URL in hrefs(added.html) and GROUP_URL in added.text
    not_added = render_mail(
        templates,
        "coordinator-remove",
        sample_context("coordinator-remove", group_url=GROUP_URL, was_added=False),
    )
    assert GROUP_URL not in not_added.html and GROUP_URL not in not_added.text


# --- Keeping the groups current -----------------------------------------------------------------

RULE = "Reageer alleen als het veilig en zonder risico kan"


def test_the_rules_mail_names_both_versions_lists_the_rules_and_links_the_full_text(templates):
    initiative = replace(
        make_initiative(),
        rules_changes="Foto’s van personen delen we niet meer in de groep.",
        rules_url="https://www.buitenkaag.example/groepsregels",
    )
    mail = render_mail(
        templates, "rules-changed", sample_context("rules-changed", initiative=initiative)
    )
    for body in (mail.html, mail.text):
        said = reads(body)
        assert "u accepteerde versie 2026-11, nu geldt versie 2027-03" in said
        assert RULE in said and said.count("SAAR-methode") == 1
        assert "Foto’s van personen delen we niet meer in de groep." in said
        assert "https://www.buitenkaag.example/groepsregels" in body
    assert "https://www.buitenkaag.example/groepsregels" in hrefs(mail.html)


def test_the_rules_mail_without_changes_or_full_text_says_nothing_of_them(rendered):
    for body in (rendered["rules-changed"].html, rendered["rules-changed"].text):
        assert "Wat is er veranderd?" not in body and "volledige tekst" not in body
        assert RULE in reads(body)


def test_the_rules_mail_lists_the_rules_of_the_file(templates):
    initiative = replace(make_initiative(), group_rules=("Eén regel <b>alleen</b>.",))
    mail = render_mail(
        templates, "rules-changed", sample_context("rules-changed", initiative=initiative)
    )
    assert "Eén regel &lt;b&gt;alleen&lt;/b&gt;." in mail.html
    assert "- Eén regel <b>alleen</b>." in mail.text
    assert RULE not in mail.html and RULE not in mail.text


@pytest.mark.parametrize("mail", ["yearly-check", "yearly-check-reminder"])
def test_the_yearly_check_asks_to_accept_rules_not_yet_accepted(templates, mail):
    with_rules = render_mail(templates, mail, sample_context(mail, rules_version="2027-03"))
    for body in (with_rules.html, with_rules.text):
        assert "(nu versie 2027-03)" in reads(body) and RULE in reads(body)
    for rules_version in (None, "absent"):
        context = sample_context(mail)
        if rules_version is None:
            context["rules_version"] = None
        without = render_mail(templates, mail, context)
        for body in (without.html, without.text):
            assert "groepsregels" not in body and RULE not in reads(body)


def test_without_a_yearly_check_the_rules_mail_promises_none(templates):
    initiative = replace(make_initiative(), reconfirm_after_days=0)
    mail = render_mail(
        templates, "rules-changed", sample_context("rules-changed", initiative=initiative)
    )
    for body in (mail.html, mail.text):
        assert "jaarlijkse vraag" not in reads(body) and "Meld u dan af" in reads(body)
    with_check = render_mail(templates, "rules-changed", sample_context("rules-changed"))
    assert "vragen wij het u opnieuw bij de jaarlijkse vraag" in reads(with_check.text)
