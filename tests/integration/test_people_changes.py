"""Coordinators and the regiegroep as Firestore data: the maintainer's commands against a real
emulator, the handover mails they queue (composed, with their vCards), and the services that
read who coordinates now."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.common.rendering import deployment_environment
from buurtwhatsapp.common.signed_links import Links
from buurtwhatsapp.coordinators.applications import apply
from buurtwhatsapp.coordinators.changes import seed_people, set_coordinator
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.mail.compose import Composer
from buurtwhatsapp.model import CURRENT, MAIL, PEOPLE
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.store import Store
from tests.conftest import KEYS, REPOSITORY
from tests.firestore_documents import signed_up

pytestmark = pytest.mark.emulator

NEW = Person(name="Fenna Nieuw", email="fenna@example.org", phone="+31687654321")


@pytest.fixture
def store(firestore_client) -> Store:
    return Store(firestore_client)


@pytest.fixture
def composer(deployment) -> Composer:
    templates = deployment_environment(REPOSITORY / "templates", deployment.initiative)
    links = Links("people-test-key-" + "p" * 32, "https://buurt.example")
    return Composer(templates, links, KEYS, deployment.initiative, "Buurt <noreply@example.org>")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def mails(client) -> dict[str, dict]:
    return {s.id: s.to_dict() for s in client.collection(MAIL).stream()}


def resident(valid_signup, number: int) -> dict[str, object]:
    return {
        **valid_signup,
        "name": f"Bewoner {number}",
        "email": f"bewoner{number}@example.org",
        "phone": f"06-2345{number:04d}",
        "street": "Lisserweg",
        "house_number": str(480 + number),
    }


@pytest.fixture
def group_with_members(store, deployment, clock, firestore_client, valid_signup):
    """Group "dorp" with two active members and one confirmed, not yet added."""
    ids = [
        signed_up(store, deployment, clock, firestore_client, resident(valid_signup, n))
        for n in (1, 2, 3)
    ]
    for signup_id in ids:
        confirm(signup_id, deployment=deployment, store=store, clock=clock)
    for signup_id in ids[:2]:
        mark_added(signup_id, deployment=deployment, store=store, clock=clock)
    return ids


# --- the maintainer's commands --------------------------------------------------------------


def test_set_refuses_bad_contacts_with_the_files_messages_and_stores_nothing(
    app_environment, firestore_client
):
    code, output = run(
        "coordinators", "set", "dorp", "--name", "Fenna", "--email", "fenna@", "--phone", "12"
    )

    assert code == 2
    lines = output.splitlines()
    assert lines[0].startswith('--email: invalid e-mail address "fenna@": ')
    assert lines[1] == '--phone: invalid phone number "12"'
    assert not firestore_client.collection(PEOPLE).document(CURRENT).get().exists


def test_set_names_the_known_groups_when_the_group_is_unknown(app_environment, firestore_client):
    code, output = run(
        "coordinators", "set", "dorpje", "--name", "Fenna", "--email", NEW.email, "--phone",
        "06-87654321",
    )  # fmt: skip

    assert code == 2
    assert output.strip() == 'group: no group has id "dorpje" (known: "dorp", "buitengebied")'
    assert not firestore_client.collection(PEOPLE).document(CURRENT).get().exists


def test_set_then_list_shows_the_new_coordinator_and_the_rest_from_the_file(
    app_environment, deployment
):
    code, output = run(
        "coordinators", "set", "dorp", "--name", NEW.name, "--email", "Fenna@Example.org",
        "--phone", "06-87654321",
    )  # fmt: skip
    assert code == 0, output
    assert "dorp: Fenna Nieuw is its coordinator (version 1)" in output

    code, listing = run("coordinators", "list")

    assert code == 0
    assert "Coordinators (version 1):" in listing
    assert "dorp\tBuurt WhatsApp Buitenkaag Dorp\tFenna Nieuw <Fenna@example.org> 06 87654321" in (
        listing
    )
    other = deployment.group("buitengebied").coordinator
    assert f"buitengebied\t{deployment.group('buitengebied').name}\t{other.name}" in listing
    assert listing.count("Voorbeeld <") == 1 + len(deployment.regiegroep)


def test_regiegroep_set_applies_the_files_rules(app_environment, firestore_client):
    four = [
        arg
        for n in range(1, 5)
        for arg in ("--member", f"Lid {n}", f"lid{n}@example.org", f"06-1111000{n}")
    ]
    code, output = run("regiegroep", "set", *four)
    assert code == 2
    assert output.strip() == (
        "regiegroep: at most 3 coordinators form the regiegroep "
        "(those in contact with the wijkagent), found 4"
    )

    twice = ["--member", "A", "a@example.org", "06-11110001"] * 2
    code, output = run("regiegroep", "set", *twice)
    assert code == 2
    assert 'regiegroep[2].email: "a@example.org" is already listed at regiegroep[1]' in output
    assert not firestore_client.collection(PEOPLE).document(CURRENT).get().exists

    code, output = run("regiegroep", "set", *four[:8])
    assert code == 0, output
    stored = Store(firestore_client).read_people()
    assert [p.email for p in stored.regiegroep] == ["lid1@example.org", "lid2@example.org"]
    assert stored.regiegroep[0].phone == "+31611110001"


def test_a_new_regiegroep_gets_the_next_coordinator_application(
    app_environment, store, deployment, clock, firestore_client, valid_signup
):
    run("regiegroep", "set", "--member", "Lid Een", "lid1@example.org", "06-11110001")
    application = {**valid_signup, "email": "sem@example.org", "motivation": "Graag."}

    apply(
        application,
        deployment=deployment,
        store=store,
        clock=clock,
        keys=KEYS,
        people=store.read_people(),
    )

    alerts = [m for m in mails(firestore_client).values() if m["template"] == "application-alert"]
    assert [m["to"] for m in alerts] == ["lid1@example.org"]


# --- the handover ---------------------------------------------------------------------------


def test_handover_mails_the_members_with_one_vcard_thanks_and_reannounces_the_waiting(
    store, deployment, clock, firestore_client, group_with_members, composer
):
    old = deployment.group("dorp").coordinator
    before = set(mails(firestore_client))

    change = set_coordinator(
        "dorp", NEW, deployment=deployment, store=store, clock=clock, keys=KEYS
    )

    assert (change.changed, change.version, change.mails, change.reannounced) == (True, 1, 2, 1)
    queued = {i: m for i, m in mails(firestore_client).items() if i not in before}
    by_template = {}
    for mail_id, mail in queued.items():
        by_template.setdefault(mail["template"], []).append((mail_id, mail))
    [(handover_id, handover)] = by_template["coordinator-handover"]
    [(thanks_id, thanks)] = by_template["coordinator-thanks"]
    [(_, alert)] = by_template["coordinator-alert"]
    assert handover["to"] == NEW.email and thanks["to"] == old.email
    assert alert["to"] == NEW.email and alert["signup_id"] == group_with_members[2]
    # Mail naming members expires whatever its state (see HANDOVER_MAIL_LIFETIME).
    assert handover["keep_until"] > clock.now() and thanks["keep_until"] > clock.now()
    # ... and an erasure request of any member it names finds it.
    member = store.get_signup(group_with_members[0])
    assert set(member.keys) <= set(handover["subject_keys"])

    message = composer.compose(handover_id, handover)
    assert message.subject == f"Welkom als coördinator van {deployment.group('dorp').name}"
    for number in (1, 2):
        assert f"Bewoner {number}" in message.text
        assert f"https://wa.me/3162345000{number}" in message.text
        assert f'href="https://wa.me/3162345000{number}"' in message.html
    assert "Bewoner 3" not in message.text  # waiting, announced on its own
    assert "Lisserweg 481, 2158 AB" in message.text
    assert "Jan Voorbeeld" in message.text  # whom they follow
    assert "1 bewoners" not in message.text and "Eén bewoner heeft" in message.text
    [card] = message.attachments
    assert card.filename == f"{deployment.group('dorp').name}.vcf"
    assert card.content_type == "text/vcard"
    vcards = card.content.decode()
    assert vcards.count("BEGIN:VCARD") == 2 and vcards.count("END:VCARD") == 2
    assert "TEL;TYPE=CELL:+31623450001" in vcards and "FN:Bewoner 2" in vcards

    thank_you = composer.compose(thanks_id, thanks)
    assert "Maak Fenna Nieuw beheerder" in thank_you.text
    assert "06 87654321" in thank_you.text
    [successor_card] = thank_you.attachments
    assert successor_card.filename == "Fenna Nieuw.vcf"
    assert "TEL;TYPE=CELL:+31687654321" in successor_card.content.decode()

    announced = composer.compose("a", alert)
    assert "U bent nu coördinator van de groep" in announced.text

    assert store.erase_mail_about(member.keys[0]) == 1
    assert handover_id not in mails(firestore_client)


def test_the_same_coordinator_again_changes_nothing_and_mails_nobody(
    store, deployment, clock, firestore_client, group_with_members
):
    set_coordinator("dorp", NEW, deployment=deployment, store=store, clock=clock, keys=KEYS)
    count = len(mails(firestore_client))

    again = set_coordinator("dorp", NEW, deployment=deployment, store=store, clock=clock, keys=KEYS)

    assert not again.changed and again.version == 1
    assert len(mails(firestore_client)) == count


def test_a_new_phone_for_the_same_coordinator_is_no_handover(
    store, deployment, clock, firestore_client, group_with_members
):
    same = deployment.group("dorp").coordinator
    count = len(mails(firestore_client))

    change = set_coordinator(
        "dorp",
        Person(same.name, same.email, "+31699999999"),
        deployment=deployment,
        store=store,
        clock=clock,
        keys=KEYS,
    )

    assert change.changed and change.mails == 0 and change.reannounced == 0
    assert store.read_people().coordinator_of("dorp").phone == "+31699999999"
    assert len(mails(firestore_client)) == count


def test_after_the_change_a_confirm_alerts_the_new_coordinator(
    store, deployment, clock, firestore_client, valid_signup
):
    set_coordinator("dorp", NEW, deployment=deployment, store=store, clock=clock, keys=KEYS)
    signup_id = signed_up(store, deployment, clock, firestore_client, resident(valid_signup, 7))

    confirm(signup_id, deployment=deployment, store=store, clock=clock, people=store.read_people())

    alerts = [
        m
        for m in mails(firestore_client).values()
        if m["template"] == "coordinator-alert" and m["signup_id"] == signup_id
    ]
    assert [m["to"] for m in alerts] == [NEW.email]


def test_two_maintainers_at_once_lose_neither_change(deployment, clock, firestore_client):
    other = Person(name="Gert Buiten", email="gert@example.org", phone="+31611223344")
    changes = [("dorp", NEW), ("buitengebied", other)]
    both_read = threading.Barrier(2, timeout=20)
    first_reads = iter(range(2))

    class BothReadBeforeEitherWrites(Store):
        """The first read of each maintainer waits for the other's: both decide on the same
        version, so one write must lose and be decided again."""

        def read_people(self):
            people = super().read_people()
            if next(first_reads, None) is not None:
                both_read.wait()
            return people

    store = BothReadBeforeEitherWrites(firestore_client)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda change: set_coordinator(
                    *change, deployment=deployment, store=store, clock=clock, keys=KEYS
                ),
                changes,
            )
        )

    stored = store.read_people()
    assert stored.coordinator_of("dorp") == NEW
    assert stored.coordinator_of("buitengebied") == other
    assert sorted(result.version for result in results) == [1, 2]
    assert stored.version == 2
    versions = {s.id for s in firestore_client.collection(PEOPLE).stream()} - {CURRENT}
    assert versions == {"version-1", "version-2"}


# --- seeding from the file ------------------------------------------------------------------


def test_seeding_stores_the_files_people_once(store, deployment, clock, firestore_client):
    first = seed_people(deployment=deployment, store=store, clock=clock)
    assert first.changed and first.version == 1
    assert store.read_people() == replace(People.from_deployment(deployment), version=1)
    set_coordinator("dorp", NEW, deployment=deployment, store=store, clock=clock, keys=KEYS)

    again = seed_people(deployment=deployment, store=store, clock=clock)

    assert not again.changed
    assert store.read_people().coordinator_of("dorp") == NEW  # the file changes nothing now
    [version] = [
        s.to_dict() for s in firestore_client.collection(PEOPLE).stream() if s.id == "version-1"
    ]
    assert version["kind"] == "seeded from the deployment file"
    assert "email" not in str(version)  # the history names no one


def test_the_runtime_sees_a_change_once_its_cache_expires(
    app_environment, monkeypatch, store, deployment, clock
):
    monkeypatch.setenv("PEOPLE_CACHE_SECONDS", "0")
    bootstrap.reset()
    assert bootstrap.runtime().people.coordinator_of("dorp") == deployment.group("dorp").coordinator

    set_coordinator("dorp", NEW, deployment=deployment, store=store, clock=clock, keys=KEYS)

    assert bootstrap.runtime().people.coordinator_of("dorp") == NEW
