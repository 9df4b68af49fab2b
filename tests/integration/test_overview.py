"""The regiegroep's overview (dekking) against a seeded emulator: its counts and their reads,
the page behind its signed link through the real functions-framework app, the monthly digest
across repeated housekeeping runs with a fixed clock, and ``infra/maintain report``.

The village seeded here (the example deployment):

- Buitenkaag dorp, Kagerdreef: two residents added to the group, one confirmed and waiting;
- Buitenkaag dorp, Lisserweg 480–530: one who has not confirmed;
- Buitenkaag dorp, Dorpsstraat 1–49 (odd): nobody, the street without members;
- the buitengebied (no street list): Lisserweg 12 added, Zandslootweg 5 not confirmed;
- one coordinator application, and one mail that failed.
"""

from __future__ import annotations

import csv
import dataclasses
import email
import io
import re
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.firestore_ops import OperationCounter, install
from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.common.signed_links import Links, Purpose
from buurtwhatsapp.coordinators.applications import apply
from buurtwhatsapp.deployment.layout import Layout
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.mail.delivery import sweep
from buurtwhatsapp.model import CURRENT, DIGESTS, MAIL, PEOPLE, SIGNUPS
from buurtwhatsapp.overview.counts import Counts, build_overview
from buurtwhatsapp.overview.digest import send_monthly_digest
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.residents.signup import sign_up
from buurtwhatsapp.store import Store
from buurtwhatsapp.web import scheduled
from tests.conftest import KEYS, FakeClock
from tests.firestore_documents import documents
from tests.integration.conftest import PUBLIC_BASE_URL, SIGNING_KEY

pytestmark = pytest.mark.emulator

JAN = Person("Jan Regie", "jan.regie@example.org", "+31612340101")
ANNA = Person("Anna Regie", "anna.regie@example.org", "+31612340102")
PIET = Person("Piet Oud", "piet.oud@example.org", "+31612340103")
DORP = ("Kagerdreef", "Lisserweg 480–530", "Dorpsstraat 1–49 (oneven nummers)")
NOVEMBER = datetime(2026, 11, 26, 10, 17, tzinfo=UTC)


def everything(client) -> dict[str, dict[str, dict]]:
    collections = (SIGNUPS, MAIL, "signup_keys", "group_seats", "applications", DIGESTS, PEOPLE)
    return {collection: documents(client, collection) for collection in collections}


class Seeded:
    """The village, with what a test needs to know about it."""

    def __init__(self, deployment, store, clock, client) -> None:
        self.deployment, self.store, self.clock, self.client = deployment, store, clock, client
        self.names: list[str] = []
        self.contacts: list[str] = []
        self.number = 0

    def resident(self, valid_signup, street: str, house_number: str, step: str) -> str:
        """Signs a resident up at the address; then confirms (and marks added) as ``step``."""
        self.number += 1
        raw = {
            **valid_signup,
            "name": f"Bewoner Geheim{self.number}",
            "email": f"geheim{self.number}@example.org",
            "phone": f"06-2345{self.number:04d}",
            "street": street,
            "house_number": house_number,
        }
        self.names.append(str(raw["name"]))
        self.contacts += [str(raw["email"]), f"+316 2345{self.number:04d}"]
        before = set(documents(self.client, SIGNUPS))
        services = {"deployment": self.deployment, "store": self.store, "clock": self.clock}
        sign_up(raw, **services, keys=KEYS)
        [signup_id] = set(documents(self.client, SIGNUPS)) - before
        if step in ("confirmed", "active"):
            confirm(signup_id, **services)
        if step == "active":
            mark_added(signup_id, **services)
        return signup_id


@pytest.fixture
def store(firestore_client, deployment) -> Store:
    return Store(firestore_client, Layout(deployment))


@pytest.fixture
def village(firestore_client, store, deployment, clock, valid_signup) -> Seeded:
    seeded = Seeded(deployment, store, clock, firestore_client)
    seeded.resident(valid_signup, "Kagerdreef", "1", "active")
    seeded.resident(valid_signup, "Kager-dreef", "3", "active")
    seeded.resident(valid_signup, "Kagerdreef", "5", "confirmed")
    seeded.resident(valid_signup, "Lisserweg", "500", "pending")
    seeded.resident(valid_signup, "Lisserweg", "12", "active")
    seeded.resident(valid_signup, "Zandslootweg", "5", "pending")
    application = {
        **{key: valid_signup[key] for key in ("street", "house_number", "postcode", "privacy")},
        "name": "Aspirant Geheim",
        "email": "aspirant@example.org",
        "phone": "06-87650000",
        "motivation": "Ik help graag.",
    }
    apply(application, deployment=deployment, store=store, clock=clock, keys=KEYS)
    firestore_client.collection(MAIL).document("failed-one").set(
        {"status": "failed", "template": "left", "attempts": 8, "error": "bounced"}
    )
    return seeded


def regiegroep(firestore_client, *members: Person) -> None:
    """The regiegroep as the maintainer's command line stores it."""
    people = People(regiegroep=members, version=1)
    firestore_client.collection(PEOPLE).document(CURRENT).set(people.to_document(NOVEMBER))


def overview_now(store, deployment):
    return build_overview(deployment, store.overview_inputs([g.id for g in deployment.groups]))


# --- the counts --------------------------------------------------------------------------------


def test_the_overview_counts_the_seeded_village(village, store, deployment):
    overview = overview_now(store, deployment)

    dorp, buitengebied = overview.areas
    assert [(s.label, s.counts) for s in dorp.streets] == [
        ("Kagerdreef", Counts(active=2, confirmed=1)),
        ("Lisserweg 480–530", Counts(pending=1)),
        ("Dorpsstraat 1–49 (oneven nummers)", Counts()),
    ]
    assert dorp.streets_without_members == ("Dorpsstraat 1–49 (oneven nummers)",)
    assert [(s.label, s.counts) for s in buitengebied.streets] == [
        ("Lisserweg", Counts(active=1)),
        ("Zandslootweg", Counts(pending=1)),
    ]
    assert overview.totals == Counts(active=3, confirmed=1, pending=2)
    # A group's fill is its places, the very count a confirm checks against the capacity.
    assert [(g.id, g.taken) for g in overview.groups] == [("dorp", 3), ("buitengebied", 1)]
    assert [g.taken for g in overview.groups] == [
        store.count_seats("dorp"),
        store.count_seats("buitengebied"),
    ]
    assert (overview.open_applications, overview.failed_mail, overview.without_group) == (1, 1, 0)


@pytest.mark.parametrize("counters", [True, False], ids=["counters", "every sign-up"])
def test_the_counts_take_one_query_a_collection_and_change_nothing(
    counters, village, firestore_client, firestore_emulator, deployment, monkeypatch
):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)
    counter = OperationCounter()
    uninstall = install(counter)
    try:
        from google.cloud import firestore

        client = firestore.Client(project=firestore_client.project)
        counted_store = Store(client, Layout(deployment) if counters else None)
        before = everything(firestore_client)
        with counter.measuring() as counted:
            inputs = counted_store.overview_inputs([g.id for g in deployment.groups])
    finally:
        uninstall()
    operations = counted()
    if counters:
        # The four streets' counters in one query (places taken and waiting are counted
        # there too); a count of the applications, the failed mail, and the sign-ups and
        # households (that the counters are complete); the invite links in one batch read.
        assert inputs.slots is not None and inputs.signups == ()
        assert operations.rpcs == {
            "RunQuery": 1,
            "RunAggregationQuery": 4,
            "BatchGetDocuments": 1,
        }
        assert (operations.reads, operations.writes) == (4 + 4 + 2, 0)
    else:
        # Six sign-ups streamed once; a count for each of the two groups, the applications and
        # the failed mail; the two groups' invite links in one batch read.
        assert inputs.slots is None and len(inputs.signups) == 6
        assert operations.rpcs == {"RunQuery": 1, "RunAggregationQuery": 4, "BatchGetDocuments": 1}
        assert (operations.reads, operations.writes, operations.deletes) == (6 + 2 + 2 + 2, 0, 0)
    assert everything(firestore_client) == before


# --- the page behind the link --------------------------------------------------------------------


@pytest.fixture
def overview_client(app_environment, function_client, firestore_client, monkeypatch):
    monkeypatch.setenv("PEOPLE_CACHE_SECONDS", "0")  # a change of the regiegroep shows at once
    bootstrap.reset()
    regiegroep(firestore_client, JAN, ANNA)
    return function_client("overview")


def overview_link(person_or_key, *, made: datetime | None = None, purpose=Purpose.OVERVIEW) -> str:
    key = person_or_key if isinstance(person_or_key, str) else KEYS.email(person_or_key.email)
    links = Links(SIGNING_KEY, PUBLIC_BASE_URL, FakeClock(made) if made else None)
    url = urlsplit(links.url(purpose, key))
    return f"/overview?{url.query}"


def test_a_regiegroep_member_sees_the_counts_and_no_names(
    village, overview_client, firestore_client
):
    before = everything(firestore_client)

    response = overview_client.get(overview_link(JAN))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Overzicht van de dekking" in html
    assert re.search(r'<th scope="row">Kagerdreef</th><td>2</td><td>1</td><td>0</td>', html), (
        "Kagerdreef's row"
    )
    assert "Nog geen deelnemers in:</strong> Dorpsstraat 1–49 (oneven nummers)." in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    for secret in [*village.names, *village.contacts, "Aspirant Geheim", "aspirant@example.org"]:
        assert secret not in html
    assert JAN.name not in html and ANNA.email not in html
    assert everything(firestore_client) == before  # a GET changes nothing
    assert overview_client.head(overview_link(ANNA)).status_code == 200


def test_the_page_shows_this_months_yearly_checks_rules_accepted_and_news_sent(
    village, overview_client, firestore_client
):
    from datetime import UTC, datetime

    from buurtwhatsapp.model import MONTHLY, month_key

    month = month_key(datetime.now(UTC))
    counts = {"month": month, "checks_asked": 7, "rules_accepted": 3, "news_sent": 40}
    firestore_client.collection(MONTHLY).document(month).set(counts)

    html = overview_client.get(overview_link(JAN)).get_data(as_text=True)

    assert "<h3>De groepen actueel houden</h3>" in html
    for row, count in (
        ("Gevraagd", 7),
        ("Groepsregels geaccepteerd", 3),
        ("E-mails met nieuws", 40),
    ):
        assert f'<th scope="row">{row}</th><td>{count}</td><td>0</td>' in html, row


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_the_page_answers_get_only(village, overview_client, firestore_client, method):
    before = everything(firestore_client)
    response = overview_client.open(overview_link(JAN), method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert everything(firestore_client) == before


def test_a_member_who_left_the_regiegroep_is_refused_at_once_whatever_the_cache(
    app_environment, function_client, firestore_client, monkeypatch
):
    monkeypatch.setenv("PEOPLE_CACHE_SECONDS", "300")  # as deployed
    bootstrap.reset()
    regiegroep(firestore_client, JAN, ANNA)
    client = function_client("overview")
    assert client.get(overview_link(JAN)).status_code == 200  # the people are cached now

    regiegroep(firestore_client, ANNA)

    assert client.get(overview_link(JAN)).status_code == 410
    assert client.get(overview_link(ANNA)).status_code == 200


def test_a_link_for_anyone_outside_the_regiegroep_is_refused_as_expired(overview_client):
    for key in (KEYS.email("geheim1@example.org"), KEYS.email(PIET.email), "signup-id"):
        response = overview_client.get(overview_link(key))
        assert response.status_code == 410
        text = " ".join(response.get_data(as_text=True).split())
        assert "Deze link is verlopen" in text and "Overzicht van de dekking" not in text
        assert "Iedereen in de regiegroep krijgt elke maand een e-mail met een nieuwe link." in text


def test_a_link_stops_working_when_its_holder_leaves_the_regiegroep(
    overview_client, firestore_client
):
    assert overview_client.get(overview_link(ANNA)).status_code == 200
    regiegroep(firestore_client, JAN, PIET)
    assert overview_client.get(overview_link(ANNA)).status_code == 410
    assert overview_client.get(overview_link(PIET)).status_code == 200


def test_expired_damaged_and_other_purpose_links_are_refused(overview_client):
    now = datetime.now(UTC)
    assert overview_client.get(overview_link(JAN, made=now - timedelta(days=29))).status_code == 200
    expired = overview_client.get(overview_link(JAN, made=now - timedelta(days=31)))
    assert expired.status_code == 410
    assert "Deze link is verlopen" in expired.get_data(as_text=True)
    for purpose in (Purpose.CONFIRM, Purpose.ADDED, Purpose.LEAVE):
        response = overview_client.get(overview_link(JAN, purpose=purpose))
        assert response.status_code == 400, purpose
        assert "Deze link klopt niet" in response.get_data(as_text=True)
    damaged = overview_link(JAN)[:-3] + "abc"
    assert overview_client.get(damaged).status_code == 400
    assert overview_client.get("/").status_code == 400


# --- the monthly digest --------------------------------------------------------------------------


def housekeeping(runtime) -> dict[str, int]:
    """One scheduled run, as Cloud Scheduler's call runs it, with the runtime's clock."""
    return scheduled.housekeeping(None, runtime).get_json()


def digest_mails(firestore_client) -> dict[str, dict]:
    return {
        mail_id: mail
        for mail_id, mail in documents(firestore_client, MAIL).items()
        if mail.get("template") == "regiegroep-digest"
    }


def delivered_digests(outbox: Path) -> list[email.message.EmailMessage]:
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]
    return [m for m in messages if str(m["Subject"]).startswith("Maandoverzicht")]


def plain_text(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_digest_goes_out_once_a_month_with_what_changed(
    village,
    app_environment,
    firestore_client,
    function_client,
    clock,
    deployment,
    tmp_path,
    monkeypatch,
    valid_signup,
):
    monkeypatch.setenv("PEOPLE_CACHE_SECONDS", "0")
    bootstrap.reset()
    regiegroep(firestore_client, JAN, ANNA)
    clock.current = NOVEMBER
    runtime = dataclasses.replace(bootstrap.runtime(), clock=clock)

    first, again = housekeeping(runtime), housekeeping(runtime)

    assert (first["digest_mails"], again["digest_mails"]) == (2, 0)
    november = digest_mails(firestore_client)
    assert sorted(november) == ["digest-2026-11-0", "digest-2026-11-1"]
    assert sorted(mail["to"] for mail in november.values()) == [ANNA.email, JAN.email]
    assert {mail["data"]["changes"] is None for mail in november.values()} == {True}
    [stored] = documents(firestore_client, DIGESTS).values()
    assert stored["month"] == "2026-11"
    assert stored["figures"] == overview_now(Store(firestore_client), deployment).figures()
    assert stored["figures"]["active"] == 3 and stored["figures"]["streets_without_members"] == 1

    # Later the same month, and a run that read the month as not done yet (two instances at
    # once): the month's document is taken, so nothing more goes out.
    clock.current = NOVEMBER + timedelta(days=4)
    assert housekeeping(runtime)["digest_mails"] == 0

    class Stale(Store):
        def latest_digest(self):
            return None

    stale = Stale(firestore_client)
    assert (
        send_monthly_digest(deployment=deployment, people=runtime.people, store=stale, clock=clock)
        == 0
    )
    assert sorted(digest_mails(firestore_client)) == sorted(november)

    # Delivered, each mail's link opens the page for its recipient.
    clock.current = NOVEMBER + timedelta(minutes=1)
    sweep(runtime.mailer)
    outbox = tmp_path / "outbox"
    delivered = delivered_digests(outbox)
    assert sorted(str(m["To"]) for m in delivered) == [ANNA.email, JAN.email]
    page = function_client("overview")
    for message in delivered:
        text = plain_text(message)
        assert "Dit is het eerste maandoverzicht." in " ".join(text.split())
        [url] = re.findall(r"^http://localhost:8080/overview\?token=\S+$", text, re.M)
        answer = page.get(f"/overview?{urlsplit(url).query}")
        assert answer.status_code == 200, message["To"]

    # One more resident in the group; the next month's digest says so.
    village.store = runtime.store
    village.resident(valid_signup, "Kagerdreef", "7", "active")
    clock.current = datetime(2026, 12, 1, 0, 17, tzinfo=UTC)
    assert housekeeping(runtime)["digest_mails"] == 2
    assert housekeeping(runtime)["digest_mails"] == 0
    december = {k: v for k, v in digest_mails(firestore_client).items() if "2026-12" in k}
    assert sorted(december) == ["digest-2026-12-0", "digest-2026-12-1"]
    data = next(iter(december.values()))["data"]
    assert data["since_label"] == "november 2026"
    assert data["figures"]["active"] == 4 and data["changes"]["active"] == 1
    assert data["changes"]["failed_mail"] == 0
    assert [(a["name"], a["change"]) for a in data["areas"]] == [
        ("Buitenkaag dorp", 1),
        ("Buitengebied Buitenkaag", 0),
    ]
    assert sorted(documents(firestore_client, DIGESTS)) == ["2026-11", "2026-12"]

    clock.current += timedelta(minutes=1)
    sweep(runtime.mailer)
    text = plain_text(delivered_digests(outbox)[-1])
    assert re.search(r"^Actief in een WhatsApp-groep: +4  \+1$", text, re.M)


def test_no_digest_without_a_regiegroep(village, store, deployment, clock, firestore_client):
    assert (
        send_monthly_digest(deployment=deployment, people=People(), store=store, clock=clock) == 0
    )
    assert documents(firestore_client, DIGESTS) == {} and digest_mails(firestore_client) == {}


def test_the_scheduled_function_sends_the_digest(
    village, app_environment, function_client, firestore_client
):
    regiegroep(firestore_client, JAN)
    answer = function_client("housekeeping").post("/")
    assert answer.status_code == 200
    assert answer.get_json()["digest_mails"] == 1
    assert function_client("housekeeping").post("/").get_json()["digest_mails"] == 0
    assert [mail["to"] for mail in digest_mails(firestore_client).values()] == [JAN.email]


# --- infra/maintain report -----------------------------------------------------------------------


def maintain(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def test_report_prints_the_overview_as_a_table(village, app_environment):
    code, text = maintain("report")
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("Buurt WhatsApp Buitenkaag: overview (dekking) at ")
    [kagerdreef] = [line for line in lines if line.startswith("  Kagerdreef ")]
    assert kagerdreef.split()[1:] == ["2", "1", "0", "3", "5%", "of", "40", "households"]
    [empty] = [line for line in lines if line.startswith("  Dorpsstraat 1–49")]
    assert empty.endswith("0  no members; 0% of 25 households")
    assert "Streets without members: 1" in lines
    assert "Open coordinator applications: 1" in lines
    assert "Failed mail: 1  (infra/maintain mail failed)" in lines
    for secret in [*village.names, *village.contacts]:
        assert secret not in text


def test_report_writes_csv_to_standard_output_or_a_file(village, app_environment, tmp_path):
    code, text = maintain("report", "--csv", "-")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    streets = {(r["area"], r["name"]): r["total"] for r in rows if r["kind"] == "street"}
    assert streets == {
        ("Buitenkaag dorp", "Kagerdreef"): "3",
        ("Buitenkaag dorp", "Lisserweg 480–530"): "1",
        ("Buitenkaag dorp", "Dorpsstraat 1–49 (oneven nummers)"): "0",
        ("Buitengebied Buitenkaag", "Lisserweg"): "1",
        ("Buitengebied Buitenkaag", "Zandslootweg"): "1",
    }
    figures = {
        r["kind"]: r["total"]
        for r in rows
        if r["kind"] in ("total", "open_applications", "failed_mail")
    }
    assert figures == {"total": "6", "open_applications": "1", "failed_mail": "1"}

    target = tmp_path / "dekking.csv"
    code, text = maintain("report", "--csv", str(target))
    assert code == 0
    assert text == f"{len(rows)} row(s) written to {target}\n"
    assert list(csv.DictReader(target.open(encoding="utf-8"))) == rows
