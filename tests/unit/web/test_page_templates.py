"""The pages behind the links in mail, and the coordinator form, rendered with the real templates.

The environment is built as ``bootstrap.runtime()`` builds it: ``template_environment`` on the
templates directory, the initiative as a global and the ``checked`` test. Pages are read with
``html.parser``, as a browser would see them, not by searching the template source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from buurtwhatsapp.common.form_values import is_checked
from buurtwhatsapp.common.rendering import template_environment
from buurtwhatsapp.deployment.structure import Initiative

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"

WEBSITE = "https://www.buitenkaag.example/buurtwhatsapp"
CONTACT = "buurtwhatsapp@buitenkaag.example"
HOSTILE = "Zoë <script>alert('x')</script> & Sem"
HOSTILE_ESCAPED = "Zoë &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sem"
GROUP = "Buurt WhatsApp Buitenkaag Dorp"
REGION = "Buitenkaag en het buitengebied"
WANTED = "We zoeken vooral nog coördinatoren voor het buitengebied van Buitenkaag."

REASONS = ("expired", "invalid", "used")
PURPOSES = ("confirm", "added", "leave")


def make_initiative(
    website: str | None = WEBSITE, region: str = REGION, coordinators_wanted: str | None = WANTED
) -> Initiative:
    return Initiative(
        name="Buurt WhatsApp Buitenkaag",
        place="Buitenkaag",
        contact_email=CONTACT,
        website=website,
        rules_version="2026-11",
        privacy_version="2026-11",
        privacy_retention_days=30,
        region=region,
        coordinators_wanted=coordinators_wanted,
    )


def make_environment(initiative: Initiative) -> jinja2.Environment:
    templates = template_environment(TEMPLATES)
    templates.globals["initiative"] = initiative
    templates.tests["checked"] = is_checked
    return templates


Render = Callable[..., str]


@pytest.fixture(scope="module")
def render() -> Render:
    templates = make_environment(make_initiative())

    def render_page(page: str, **context: object) -> str:
        return templates.get_template(f"pages/{page}").render(**context)

    return render_page


@pytest.fixture(scope="module")
def render_without_website() -> Render:
    templates = make_environment(make_initiative(website=None))

    def render_page(page: str, **context: object) -> str:
        return templates.get_template(f"pages/{page}").render(**context)

    return render_page


@pytest.fixture(scope="module")
def render_plain_initiative() -> Render:
    """No region of its own (so the place) and no sentence about wanted coordinators."""
    templates = make_environment(make_initiative(region="", coordinators_wanted=None))

    def render_page(page: str, **context: object) -> str:
        return templates.get_template(f"pages/{page}").render(**context)

    return render_page


# --- Reading a page ---------------------------------------------------------------------------

VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's text with runs of whitespace made one space, as it reads."""
        return " ".join("".join(self.parts).split())


class Page(HTMLParser):
    """Every element of a page with its attributes and text, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in VOID_TAGS:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.parts.append(data)

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]

    def one(self, tag: str) -> Element:
        found = self.all(tag)
        assert len(found) == 1, f"expected one <{tag}>, found {len(found)}"
        return found[0]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one element with id {element_id!r}, found {len(found)}"
        return found[0]

    def controls(self) -> list[Element]:
        return [e for e in self.elements if e.tag in ("input", "textarea", "select")]


def content(html: str) -> str:
    """The text of the page between its header and its footer: what this page itself says."""
    start = html.index("</header>")
    end = html.index("<footer>")
    return Page(f"<section>{html[start + len('</header>') : end]}</section>").one("section").text


def content_links(html: str) -> list[str]:
    start = html.index("</header>")
    end = html.index("<footer>")
    return [str(a.attrs.get("href")) for a in Page(html[start:end]).all("a")]


# --- Sample contexts ---------------------------------------------------------------------------

CONTEXTS: dict[str, dict[str, object]] = {
    "confirm.html": {},
    "confirmed.html": {"name": "Zoë van Dijk", "group_name": GROUP, "already": False},
    "added.html": {"member_name": "Zoë van Dijk", "group_name": GROUP},
    "added_done.html": {"member_name": "Zoë van Dijk", "already": False},
    "leave.html": {},
    "left.html": {"already": False},
    "link_problem.html": {"reason": "expired", "purpose": "confirm"},
    "coordinator.html": {"values": {}, "errors": {}},
    "coordinator_received.html": {},
    "signup_received.html": {},
}

# The pages with one button that posts back to their own URL (token included), and its text.
BUTTONS = {
    "confirm.html": "Aanmelding bevestigen",
    "added.html": "Ja, ik heb Zoë van Dijk toegevoegd",
    "leave.html": "Afmelden en gegevens wissen",
    "coordinator.html": "Aanmelden als coördinator",
}


@pytest.mark.parametrize("page", sorted(CONTEXTS))
def test_every_page_is_dutch_without_scripts_and_offers_the_contact_address(render, page):
    html = render(page, **CONTEXTS[page])
    assert '<html lang="nl">' in html
    assert "<script" not in html, "pages work without JavaScript, and the CSP forbids scripts"
    assert f'href="mailto:{CONTACT}"' in html
    assert "Buurt WhatsApp Buitenkaag" in Page(html).one("title").text


@pytest.mark.parametrize("page", sorted(BUTTONS))
def test_the_form_posts_back_to_its_own_url_with_one_button(render, page):
    parsed = Page(render(page, **CONTEXTS[page]))
    form = parsed.one("form")
    assert (form.attrs.get("method") or "").lower() == "post"
    # No action: the POST goes to the very URL of the page, with its token (an empty action
    # would too, but is invalid HTML).
    assert "action" not in form.attrs
    button = parsed.one("button")
    assert button.text == BUTTONS[page]
    assert button.attrs.get("type") == "submit"


# Every page, also the sign-up form (which the CONTEXTS above leave to the HTTP tests).
ALL_PAGES = {**CONTEXTS, "signup.html": {"values": {}, "errors": {}}}


@pytest.mark.parametrize("page", sorted(ALL_PAGES))
def test_every_page_header_names_the_region(render, render_plain_initiative, page):
    header = Page(render(page, **ALL_PAGES[page])).one("header").text
    assert f"Samen alert op verdachte situaties in {REGION}." in header
    plain_html = render_plain_initiative(page, **ALL_PAGES[page])
    header = Page(plain_html).one("header").text
    assert "Samen alert op verdachte situaties in Buitenkaag." in header
    assert "buitengebied" not in plain_html.lower()


def test_signup_form_says_who_can_take_part_in_the_region(render):
    assert f"woont of gevestigd bent in {REGION}." in content(
        render("signup.html", values={}, errors={})
    )


def style_rules(html: str) -> dict[str, str]:
    """The page's CSS as selector -> declarations, whitespace made single spaces."""
    css = Page(html).one("style").text
    return {
        " ".join(selector.split()): " ".join(body.split())
        for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)
    }


def test_links_are_accent_green_underlined_and_keep_a_visible_focus(render):
    rules = style_rules(render("confirm.html", name="Zoë van Dijk"))
    links = rules["a, a:visited"]
    assert "color: var(--accent)" in links
    assert "text-decoration: underline" in links
    assert re.search(r"outline: \d+px solid", rules["a:focus"])
    assert "outline: none" not in " ".join(rules.values())
    # Links in the error summary stay red, visited or not.
    assert rules[".summary a, .summary a:visited"] == "color: var(--error);"


@pytest.mark.parametrize("page", ["signup_received.html", "coordinator_received.html"])
def test_e_mail_never_breaks_at_its_hyphen(render, page):
    html = render(page)
    body = html[html.index("</header>") : html.index("<footer>")]
    assert body.count("e-mail") >= 2
    assert body.count("e-mail") == body.count('<span class="nowrap">e-mail</span>')
    assert "white-space: nowrap" in style_rules(html)[".nowrap"]


# Each page with a person's name in it, and the context that puts HOSTILE there.
HOSTILE_CONTEXTS = {
    "confirmed.html": {"name": HOSTILE, "group_name": HOSTILE, "already": False},
    "added.html": {"member_name": HOSTILE, "group_name": HOSTILE},
    "added_done.html": {"member_name": HOSTILE, "already": False},
    "coordinator.html": {"values": {"name": HOSTILE, "motivation": HOSTILE}, "errors": {}},
}


# Pages reached from a mail to an address nobody has confirmed yet: they quote nothing typed.
@pytest.mark.parametrize("page", ["confirm.html", "leave.html"])
def test_pages_before_confirmation_quote_nothing_typed(render, page):
    html = render(page, name="https://ev.il/inloggen")
    assert "ev.il" not in html


@pytest.mark.parametrize("page", sorted(HOSTILE_CONTEXTS))
def test_names_are_escaped(render, page):
    html = render(page, **HOSTILE_CONTEXTS[page])
    assert "<script>" not in html
    assert HOSTILE_ESCAPED in html


# --- Confirm ------------------------------------------------------------------------------------


def test_confirm_says_that_the_coordinator_then_gets_the_details(render):
    text = content(render("confirm.html"))
    assert "Klik op de knop om uw aanmelding" in text
    assert "coördinator van uw buurtgroep uw gegevens" in text


def test_confirmed_names_the_group_and_what_happens_next(render):
    text = content(render("confirmed.html", name="Zoë van Dijk", group_name=GROUP, already=False))
    assert "uw aanmelding is bevestigd" in text
    assert f"U komt in de groep {GROUP}." in text
    assert "De coördinator voegt uw mobiele nummer toe aan de WhatsApp-groep." in text
    assert "vanzelf in WhatsApp" in text
    assert "geen nummers op te slaan" in text
    assert "werkwijze" in text
    assert "al bevestigd" not in text
    assert "zoekt een plek" not in text


def test_confirmed_without_a_group_says_the_regiegroep_finds_a_place(render):
    text = content(render("confirmed.html", name="Zoë van Dijk", group_name=None, already=False))
    assert "nog geen groep" in text
    assert "De regiegroep heeft uw aanmelding gekregen en zoekt een plek voor u." in text
    assert "U komt in de groep" not in text
    assert "None" not in text


def test_confirmed_again_says_kindly_that_nothing_changed(render):
    text = content(render("confirmed.html", name="Zoë van Dijk", group_name=GROUP, already=True))
    assert "Uw aanmelding was al bevestigd" in text
    assert "Er is niets veranderd" in text
    assert "uw aanmelding is bevestigd!" not in text


# --- Added --------------------------------------------------------------------------------------


def test_added_names_member_and_group_and_announces_the_mail(render):
    text = content(render("added.html", member_name="Zoë van Dijk", group_name=GROUP))
    assert f"toegevoegd aan de WhatsApp-groep {GROUP}." in text
    assert "Zoë van Dijk krijgt daarna van ons een e-mail ter bevestiging." in text


def test_added_without_a_group_still_reads_well(render):
    text = content(render("added.html", member_name="Zoë van Dijk", group_name=None))
    assert "toegevoegd aan de WhatsApp-groep." in text
    assert "None" not in text


@pytest.mark.parametrize(
    ("already", "expected", "absent"),
    [
        (False, "We hebben genoteerd dat Zoë van Dijk in de WhatsApp-groep zit.", "al eerder"),
        (True, "U had eerder al laten weten dat u Zoë van Dijk", "We hebben genoteerd"),
    ],
)
def test_added_done_thanks_the_coordinator(render, already, expected, absent):
    text = content(render("added_done.html", member_name="Zoë van Dijk", already=already))
    assert expected in text
    assert absent not in text
    assert "Dank u wel voor uw inzet als coördinator." in text


# --- Leave --------------------------------------------------------------------------------------


def test_leave_says_what_is_erased_and_that_it_cannot_be_undone(render):
    text = content(render("leave.html"))
    assert "uw naam, adres, mobiele nummer en e-mailadres" in text
    assert "coördinator van die groep om uw nummer uit de groep te halen" in text
    assert "Dit kunt u niet ongedaan maken." in text
    assert "altijd opnieuw aanmelden" in text


def test_left_confirms_the_erasure_and_announces_the_mail(render):
    text = content(render("left.html", already=False))
    assert "We hebben uw gegevens gewist." in text
    assert "U krijgt van ons nog één e-mail ter bevestiging." in text
    assert "al eerder gewist" not in text


def test_left_again_sends_no_mail_and_says_nothing_changed(render):
    text = content(render("left.html", already=True))
    assert "Uw gegevens waren al eerder gewist." in text
    assert "e-mail ter bevestiging" not in text


def test_left_links_the_website_only_when_there_is_one(render, render_without_website):
    with_site = render("left.html", already=False)
    assert WEBSITE in content_links(with_site)
    assert "opnieuw aanmelden via het aanmeldformulier" in content(with_site)

    without_site = render_without_website("left.html", already=False)
    assert content_links(without_site) == []
    assert "None" not in without_site
    assert "aanmeldformulier op de website van Buurt WhatsApp Buitenkaag" in content(without_site)


# --- Links that do not work ---------------------------------------------------------------------

# What each reason's page must say, whatever the purpose.
REASON_TEXTS = {
    "expired": "Deze link is inmiddels verlopen.",
    "invalid": "Kopieer de hele link uit de e-mail",
    "used": "",  # differs per purpose; see PURPOSE_TEXTS
}
PURPOSE_TEXTS = {
    ("expired", "confirm"): "Meld u opnieuw aan met dezelfde gegevens",
    ("expired", "added"): (
        "Misschien heeft u al eerder doorgegeven dat deze deelnemer is toegevoegd."
    ),
    ("expired", "leave"): "Gebruik de afmeldlink in een recentere e-mail van ons.",
    ("used", "confirm"): "Misschien heeft u zich inmiddels afgemeld",
    ("used", "added"): "De deelnemer bij deze link staat niet meer bij ons ingeschreven",
    ("used", "leave"): "er valt niets te wissen",
}


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("reason", REASONS)
def test_link_problem_explains_the_reason_and_offers_the_contact_address(render, reason, purpose):
    html = render("link_problem.html", reason=reason, purpose=purpose)
    text = content(html)
    assert REASON_TEXTS[reason] in text
    if (reason, purpose) in PURPOSE_TEXTS:
        assert PURPOSE_TEXTS[reason, purpose] in text
    # Offered in the page's own text, not only in the footer.
    assert f"mailto:{CONTACT}" in content_links(html)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_link_problem_says_something_different_for_each_reason(render, purpose):
    texts = {
        reason: content(render("link_problem.html", reason=reason, purpose=purpose))
        for reason in REASONS
    }
    assert len(set(texts.values())) == len(REASONS)
    headings = {
        reason: Page(render("link_problem.html", reason=reason, purpose=purpose)).all("h2")[0].text
        for reason in REASONS
    }
    assert len(set(headings.values())) == len(REASONS)


@pytest.mark.parametrize("reason", ["expired", "used"])
def test_link_problem_says_something_different_for_each_purpose(render, reason):
    texts = {content(render("link_problem.html", reason=reason, purpose=p)) for p in PURPOSES}
    assert len(texts) == len(PURPOSES)


@pytest.mark.parametrize("reason", ["expired", "used"])
def test_link_problem_points_to_the_signup_form_on_the_website_only_when_there_is_one(
    render, render_without_website, reason
):
    assert WEBSITE in content_links(render("link_problem.html", reason=reason, purpose="confirm"))
    without_site = render_without_website("link_problem.html", reason=reason, purpose="confirm")
    assert [link for link in content_links(without_site) if not link.startswith("mailto:")] == []
    assert "aanmeldformulier op de website van" in content(without_site)


# --- The coordinator application form -----------------------------------------------------------

COORDINATOR_FIELDS = {
    "name",
    "email",
    "phone",
    "street",
    "house_number",
    "postcode",
    "motivation",
    "privacy",
    "website",
}
TYPED = {
    "name": "Zoë van Dijk",
    "email": "zoe@",
    "phone": "071-5123456",
    "street": "Lisserweg",
    "house_number": "12a",
    "postcode": "2158 AB",
    "motivation": "Ik woon in het buitengebied\nen ben vaak thuis.",
    "privacy": "on",
    "website": "http://spam.example",
}
# As validation answers TYPED: a ticked box has no problem.
ERRORS = {
    "email": "Dit is geen geldig e-mailadres.",
    "phone": "Dit is een vast nummer. Vul een mobiel nummer in.",
    "motivation": "Vertel in een paar zinnen waarom u coördinator wilt worden.",
}
PRIVACY_ERROR = "Vink aan dat de regiegroep uw gegevens mag gebruiken."


def test_coordinator_form_ties_every_label_to_its_control(render):
    parsed = Page(render("coordinator.html", values={}, errors={}))
    controls = parsed.controls()
    assert {control.attrs.get("name") for control in controls} == COORDINATOR_FIELDS
    ids = [control.attrs.get("id") for control in controls]
    assert len(set(ids)) == len(ids), "ids are unique"
    labels = {label.attrs.get("for"): label.text for label in parsed.all("label")}
    for control in controls:
        assert control.attrs.get("id") == control.attrs.get("name")
        assert labels.get(control.attrs["id"]), f"no label for {control.attrs['id']}"
    assert set(labels) <= set(ids), "every label points to a control"
    assert labels["motivation"] == "Waarom wilt u coördinator worden?"
    assert "regiegroep" in labels["privacy"]


def test_coordinator_form_has_a_required_motivation_and_privacy_checkbox(render):
    parsed = Page(render("coordinator.html", values={}, errors={}))
    motivation = parsed.by_id("motivation")
    assert motivation.tag == "textarea"
    assert "required" in motivation.attrs
    privacy = parsed.by_id("privacy")
    assert privacy.attrs.get("type") == "checkbox"
    assert privacy.attrs.get("value") == "on"
    assert "required" in privacy.attrs
    assert "checked" not in privacy.attrs


def test_coordinator_form_explains_the_role(render):
    text = content(render("coordinator.html", values={}, errors={}))
    assert "Elke WhatsApp-groep van Buurt WhatsApp Buitenkaag heeft één coördinator." in text
    assert "voegt nieuwe deelnemers toe" in text
    assert "Hoogstens drie coördinatoren vormen samen de regiegroep." in text
    assert "wijkagent" in text
    assert f"{WANTED} Meld u hieronder aan;" in text


def test_coordinator_form_shows_where_coordinators_are_wanted_only_when_configured(
    render_plain_initiative,
):
    html = render_plain_initiative("coordinator.html", values={}, errors={})
    text = content(html)
    assert "We zoeken vooral" not in text
    assert (
        "Meld u hieronder aan; de regiegroep neemt dan zo snel mogelijk contact met u op." in text
    )
    assert "None" not in html


def test_coordinator_motivation_hint_names_the_region(render, render_plain_initiative):
    hint = Page(render("coordinator.html", values={}, errors={})).by_id("motivation-hint").text
    assert f"voor welke buurt of welk deel van {REGION} u het zou willen doen." in hint
    plain = Page(render_plain_initiative("coordinator.html", values={}, errors={}))
    hint = plain.by_id("motivation-hint").text
    assert "voor welke buurt of welk deel van Buitenkaag u het zou willen doen." in hint


def test_coordinator_form_without_errors_shows_no_error_marks(render):
    html = render("coordinator.html", values={}, errors={})
    parsed = Page(html)
    assert not [e for e in parsed.elements if "aria-invalid" in e.attrs]
    assert 'class="summary"' not in html
    assert not Page(html).one("title").text.startswith("Controleer")


def test_coordinator_form_keeps_what_was_typed(render):
    parsed = Page(render("coordinator.html", values=TYPED, errors=ERRORS))
    for name in ("name", "email", "phone", "street", "house_number", "postcode"):
        assert parsed.by_id(name).attrs.get("value") == TYPED[name]
    assert parsed.by_id("motivation").text == " ".join(TYPED["motivation"].split())
    assert "".join(parsed.by_id("motivation").parts) == TYPED["motivation"]
    assert "checked" in parsed.by_id("privacy").attrs
    # The honeypot never echoes what a bot typed.
    assert parsed.by_id("website").attrs.get("value") == ""


def test_coordinator_form_marks_each_problem_next_to_its_field(render):
    html = render("coordinator.html", values=TYPED, errors=ERRORS)
    parsed = Page(html)
    for name, message in ERRORS.items():
        control = parsed.by_id(name)
        assert control.attrs.get("aria-invalid") == "true", name
        described_by = (control.attrs.get("aria-describedby") or "").split()
        assert f"{name}-error" in described_by, name
        assert parsed.by_id(f"{name}-error").text == message
    assert parsed.by_id("motivation").attrs.get("aria-describedby") == (
        "motivation-hint motivation-error"
    )
    for name in ("name", "street", "house_number", "postcode"):
        assert "aria-invalid" not in parsed.by_id(name).attrs, name
    assert Page(html).one("title").text.startswith("Controleer uw gegevens")


def test_coordinator_form_marks_an_unticked_privacy_box(render):
    typed = {**TYPED, "privacy": ""}
    parsed = Page(render("coordinator.html", values=typed, errors={"privacy": PRIVACY_ERROR}))
    privacy = parsed.by_id("privacy")
    assert "checked" not in privacy.attrs
    assert privacy.attrs.get("aria-invalid") == "true"
    assert privacy.attrs.get("aria-describedby") == "privacy-error"
    assert parsed.by_id("privacy-error").text == PRIVACY_ERROR
    assert "aria-invalid" not in parsed.by_id("motivation").attrs


def test_coordinator_motivation_without_a_problem_is_described_by_its_hint_only(render):
    motivation = Page(render("coordinator.html", values={}, errors={})).by_id("motivation")
    assert motivation.attrs.get("aria-describedby") == "motivation-hint"
    assert Page(render("coordinator.html", values={}, errors={})).by_id("motivation").text == ""


def test_coordinator_form_summarises_the_problems_with_links_to_the_fields(render):
    parsed = Page(render("coordinator.html", values=TYPED, errors=ERRORS))
    summary = [e for e in parsed.all("div") if e.attrs.get("class") == "summary"]
    assert len(summary) == 1
    assert summary[0].attrs.get("role") == "alert"
    links = {
        a.attrs.get("href"): a.text
        for a in parsed.all("a")
        if a.attrs.get("href", "") and str(a.attrs["href"]).startswith("#")
    }
    assert links == {f"#{name}": message for name, message in ERRORS.items()}


def test_coordinator_received_says_the_regiegroep_will_get_in_touch(render):
    text = content(render("coordinator_received.html"))
    assert "aanmelding als coördinator" in text
    assert "De regiegroep neemt zo snel mogelijk contact met u op" in text


# --- Strict about the context -------------------------------------------------------------------

MISSING = [(page, key) for page, context in sorted(CONTEXTS.items()) for key in context] + [
    # A missing group_name must fail both with and without a group in the other values.
    ("confirmed.html", "group_name"),
]


@pytest.mark.parametrize(("page", "key"), MISSING)
def test_a_missing_context_value_raises(render, page, key):
    context = dict(CONTEXTS[page])
    del context[key]
    with pytest.raises(jinja2.UndefinedError):
        render(page, **context)
