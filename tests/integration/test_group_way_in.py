"""Into the group (issue 16): a group's invite link, the resident's /join page and the
coordinator's /group page, through the real functions on the emulator, with signed links as
residents and coordinators receive them."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from markupsafe import escape

from buurtwhatsapp import bootstrap
from buurtwhatsapp.common.signed_links import Purpose, group_subject
from buurtwhatsapp.coordinators.changes import set_coordinator
from buurtwhatsapp.coordinators.group_desk import set_invite_link
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.mail.catalogue import MailTemplate
from buurtwhatsapp.model import MAIL, REMOVALS, SIGNUPS
from buurtwhatsapp.overview.reading import read_overview
from buurtwhatsapp.privacy.erasure import erase_person
from buurtwhatsapp.residents.housekeeping import run_housekeeping
from tests.conftest import FakeClock
from tests.firestore_documents import documents
from tests.integration.conftest import link

pytestmark = pytest.mark.emulator

LINK = "https://chat.whatsapp.com/C1adgkdEGki7554BWDdMkd"
NEW_LINK = "https://chat.whatsapp.com/Zx9adgkdEGki7554BWDd22"


def shown(text: str) -> str:
    """``text`` as a page shows it (escaped)."""
    return str(escape(text))


def mails(client, template=None):
    found = documents(client, MAIL).values()
    return [mail for mail in found if template is None or mail.get("template") == template]


@pytest.fixture
def runtime(app_environment):
    return bootstrap.runtime()


@pytest.fixture
def invite_mode(runtime):
    set_invite_link(
        "dorp", LINK, deployment=runtime.deployment, store=runtime.store, clock=runtime.clock
    )


def group_link(runtime, group_id="dorp", email=None, *, made=None) -> str:
    coordinator = runtime.people.coordinator_of(group_id)
    key = runtime.keys.email(email or coordinator.email)
    return link(Purpose.GROUP, group_subject(group_id, key), made=made)


def confirmed(function_client, firestore_client, valid_signup, **fields) -> str:
    """A resident of the village (group "dorp") who signed up and confirmed."""
    before = set(documents(firestore_client, SIGNUPS))
    answer = function_client("signup").post(
        "/signup", data={**valid_signup, "street": "Kagerdreef", "house_number": "7", **fields}
    )
    assert answer.status_code == 303
    [signup_id] = set(documents(firestore_client, SIGNUPS)) - before
    answer = function_client("confirm").post(link(Purpose.CONFIRM, signup_id))
    assert answer.status_code == 200
    return signup_id


def test_in_invite_mode_the_resident_is_sent_to_the_link_and_the_coordinator_told_whom(
    function_client, firestore_client, valid_signup, invite_mode
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    join_path = link(Purpose.JOIN, signup_id)

    [welcome] = mails(firestore_client, MailTemplate.WELCOME)
    assert welcome["to"] == valid_signup["email"] and welcome["signup_id"] == signup_id
    [alert] = mails(firestore_client, MailTemplate.COORDINATOR_ALERT)
    assert alert["data"]["invite"] is True
    assert alert["data"]["phone_end"] == "678"
    assert alert["data"]["group_id"] == "dorp"

    page = function_client("join").get(join_path).get_data(as_text=True)
    assert f'href="{LINK}"' in page
    assert "keurt het" in page


def test_the_confirmed_page_in_invite_mode_links_the_resident_s_own_join_page(
    function_client, firestore_client, valid_signup, invite_mode
):
    answer = function_client("signup").post(
        "/signup", data={**valid_signup, "street": "Kagerdreef", "house_number": "7"}
    )
    assert answer.status_code == 303
    [signup_id] = documents(firestore_client, SIGNUPS)
    page = function_client("confirm").post(link(Purpose.CONFIRM, signup_id))
    html = page.get_data(as_text=True)
    assert "/join?token=" in html
    assert LINK not in html  # the link itself only behind the resident's own /join page


def test_replacing_the_link_sends_residents_already_told_to_the_new_one(
    function_client, firestore_client, valid_signup, invite_mode, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    answer = function_client("group").post(
        group_link(runtime), data={"action": "link", "link": NEW_LINK + "?mode=ems_copy_t"}
    )
    assert answer.status_code == 303
    page = function_client("join").get(link(Purpose.JOIN, signup_id)).get_data(as_text=True)
    assert f'href="{NEW_LINK}"' in page and LINK not in page

    answer = function_client("group").post(group_link(runtime), data={"action": "clear"})
    assert answer.status_code == 303
    page = function_client("join").get(link(Purpose.JOIN, signup_id)).get_data(as_text=True)
    assert "chat.whatsapp.com" not in page
    assert "De coördinator voegt u zelf toe" in page


def test_a_link_that_is_not_a_whatsapp_invite_is_refused_in_dutch_and_nothing_changes(
    function_client, invite_mode, runtime
):
    answer = function_client("group").post(
        group_link(runtime), data={"action": "link", "link": "https://evil.example/C1adgkdEGki"}
    )
    assert answer.status_code == 422
    assert "Dit is geen uitnodigingslink van een WhatsApp-groep" in answer.get_data(as_text=True)
    assert runtime.store.group_invite("dorp") == LINK


def test_the_join_page_is_refused_before_the_confirm_and_after_leaving(
    function_client, firestore_client, valid_signup, invite_mode
):
    answer = function_client("signup").post(
        "/signup", data={**valid_signup, "street": "Kagerdreef", "house_number": "7"}
    )
    assert answer.status_code == 303
    [signup_id] = documents(firestore_client, SIGNUPS)
    before = function_client("join").get(link(Purpose.JOIN, signup_id))
    assert before.status_code == 409 and LINK not in before.get_data(as_text=True)

    function_client("confirm").post(link(Purpose.CONFIRM, signup_id))
    function_client("leave").post(link(Purpose.LEAVE, signup_id))
    after = function_client("join").get(link(Purpose.JOIN, signup_id))
    assert after.status_code == 410 and LINK not in after.get_data(as_text=True)


def test_the_group_page_lists_whom_to_add_and_reads_only(
    function_client, firestore_client, valid_signup, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    before = documents(firestore_client, MAIL)
    answer = function_client("group").get(group_link(runtime))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    assert shown(valid_signup["name"]) in html and "nummer eindigt op" in html
    assert 'name="member" value="' + signup_id + '"' in html
    assert '<meta name="robots" content="noindex">' in html
    assert documents(firestore_client, MAIL) == before
    assert documents(firestore_client, SIGNUPS)[signup_id]["status"] == "confirmed"

    card = function_client("group").get(group_link(runtime) + f"&vcard={signup_id}")
    assert card.status_code == 200 and card.mimetype == "text/vcard"
    assert b"TEL;TYPE=CELL:+31612345678" in card.data


def test_two_toegevoegd_posts_at_once_make_one_step(
    function_client, firestore_client, valid_signup, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    path = group_link(runtime)
    answers = []

    failures = []
    clients = [function_client("group") for _ in range(4)]  # apps made one at a time

    def click(client):
        try:
            answers.append(client.post(path, data={"action": "added", "member": signup_id}))
        except Exception as error:  # reported below, with its type
            failures.append(repr(error))

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(a.status_code for a in answers) == [303] * 4
    notices = sorted(a.headers["Location"].rsplit("done=", 1)[1] for a in answers)
    assert notices.count("added") == 1 and notices.count("already") == 3
    assert documents(firestore_client, SIGNUPS)[signup_id]["status"] == "active"
    assert len(mails(firestore_client, MailTemplate.ADDED)) == 1


def test_a_member_of_another_group_cannot_be_marked_from_this_page(
    function_client, firestore_client, valid_signup, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    other = next(g.id for g in runtime.deployment.groups if g.id != "dorp")
    set_coordinator(
        other,
        Person("Otto Ander", "otto@example.org", "+31687654321"),
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        keys=runtime.keys,
    )
    answer = function_client("group").post(
        group_link(runtime, other, "otto@example.org"),
        data={"action": "added", "member": signup_id},
    )
    assert answer.headers["Location"].endswith("done=gone")
    assert documents(firestore_client, SIGNUPS)[signup_id]["status"] == "confirmed"


def test_verwijderd_clears_the_removal_of_a_member_who_left_and_nothing_of_them_remains(
    function_client, firestore_client, valid_signup, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    path = group_link(runtime)
    function_client("group").post(path, data={"action": "added", "member": signup_id})
    function_client("leave").post(link(Purpose.LEAVE, signup_id))

    [(removal_id, task)] = documents(firestore_client, REMOVALS).items()
    assert task["group"] == "dorp" and task["expire_at"] > task["left_at"]
    html = function_client("group").get(path).get_data(as_text=True)
    assert "Nummers om te verwijderen (1)" in html and shown(valid_signup["name"]) in html

    answer = function_client("group").post(path, data={"action": "removed", "removal": removal_id})
    assert answer.headers["Location"].endswith("done=removed")
    again = function_client("group").post(path, data={"action": "removed", "removal": removal_id})
    assert again.headers["Location"].endswith("done=removed-already")
    assert documents(firestore_client, REMOVALS) == {}
    html = function_client("group").get(path).get_data(as_text=True)
    assert shown(valid_signup["name"]) not in html and "612345678" not in html.replace(" ", "")


def test_an_erasure_request_takes_the_removal_of_an_earlier_leave(
    function_client, firestore_client, valid_signup, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    function_client("group").post(
        group_link(runtime), data={"action": "added", "member": signup_id}
    )
    function_client("leave").post(link(Purpose.LEAVE, signup_id))
    assert len(documents(firestore_client, REMOVALS)) == 1
    report = erase_person(
        email=valid_signup["email"],
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        keys=runtime.keys,
    )
    assert report.removals == 1
    assert documents(firestore_client, REMOVALS) == {}
    html = function_client("group").get(group_link(runtime)).get_data(as_text=True)
    assert shown(valid_signup["name"]) not in html


def test_forged_expired_and_foreign_tokens_get_the_dutch_page(function_client, runtime):
    good = group_link(runtime)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    assert function_client("group").get(forged).status_code == 400
    expired = group_link(runtime, made=runtime.clock.now() - timedelta(days=31))
    answer = function_client("group").get(expired)
    assert answer.status_code == 410
    assert "Deze link is verlopen" in answer.get_data(as_text=True)
    # A coordinator's own token for another group, or another person's for this one.
    other = next(g.id for g in runtime.deployment.groups if g.id != "dorp")
    coordinator = runtime.people.coordinator_of("dorp")
    for path in (
        group_link(runtime, other, coordinator.email),
        group_link(runtime, "dorp", "x@example.org"),
    ):
        answer = function_client("group").get(path)
        assert answer.status_code == 410
        assert answer.mimetype == "text/html"


def test_a_replaced_coordinator_loses_the_page_at_once_and_the_successor_gets_theirs(
    function_client, firestore_client, runtime
):
    old = group_link(runtime)
    assert function_client("group").get(old).status_code == 200
    successor = Person("Nina Nieuw", "nina@example.org", "+31611112222")
    set_coordinator(
        "dorp",
        successor,
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        keys=runtime.keys,
    )
    assert function_client("group").get(old).status_code == 410  # no cache in between
    [handover] = mails(firestore_client, MailTemplate.COORDINATOR_HANDOVER)
    assert handover["to"] == "nina@example.org" and handover["data"]["group_id"] == "dorp"
    key = runtime.keys.email("nina@example.org")
    assert (
        function_client("group").get(link(Purpose.GROUP, group_subject("dorp", key))).status_code
        == 200
    )


def test_reminders_follow_the_mode_once(
    function_client, firestore_client, valid_signup, invite_mode, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    later = FakeClock(runtime.clock.now() + timedelta(days=4))
    for _run in range(2):
        run_housekeeping(
            deployment=runtime.deployment,
            store=runtime.store,
            clock=later,
            keys=runtime.keys,
            people=runtime.people,
        )
    [reminder] = mails(firestore_client, MailTemplate.COORDINATOR_REMINDER)
    assert reminder["data"]["group_id"] == "dorp" and reminder["data"]["invite"] is True
    [nudge] = mails(firestore_client, MailTemplate.JOIN_REMINDER)
    assert nudge["signup_id"] == signup_id


def test_the_overview_counts_mode_and_waiting_and_names_nobody(
    function_client, firestore_client, valid_signup, invite_mode, runtime
):
    confirmed(function_client, firestore_client, valid_signup)
    overview = read_overview(
        runtime.deployment, runtime.store, runtime.clock.now() + timedelta(days=5)
    )
    dorp = next(group for group in overview.groups if group.id == "dorp")
    assert (dorp.mode, dorp.waiting, dorp.oldest_wait_days) == ("invite", 1, 5)
    others = [group for group in overview.groups if group.id != "dorp"]
    assert all(group.mode == "add" and group.waiting == 0 for group in others)
    assert "waiting" in overview.figures()


def test_the_invite_link_is_in_no_log_line_no_mail_and_no_page_for_anyone_else(
    function_client, firestore_client, valid_signup, runtime, caplog, tmp_path
):
    caplog.set_level(logging.INFO)  # as the functions log (common/logs.py)
    set_invite_link(
        "dorp", LINK, deployment=runtime.deployment, store=runtime.store, clock=runtime.clock
    )
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    served = [
        function_client("signup").get("/signup"),
        function_client("confirm").get(link(Purpose.CONFIRM, signup_id)),
        function_client("leave").get(link(Purpose.LEAVE, signup_id)),
        function_client("added").get(link(Purpose.ADDED, signup_id)),
        function_client("join").get(link(Purpose.JOIN, "forged-id")),
    ]
    for answer in served:
        assert "C1adgkdEGki7554BWDdMkd" not in answer.get_data(as_text=True)
    for record in caplog.records:
        assert "C1adgkdEGki7554BWDdMkd" not in repr(record.__dict__)
    for mail in mails(firestore_client):
        assert "C1adgkdEGki7554BWDdMkd" not in repr(mail)
    from buurtwhatsapp.mail.delivery import sweep

    sweep(runtime.mailer)
    for eml in (tmp_path / "outbox").glob("*.eml"):
        assert b"C1adgkdEGki7554BWDdMkd" not in eml.read_bytes()


def test_a_key_migration_moves_the_removal_tasks_so_an_erasure_request_still_finds_them(
    function_client, firestore_client, valid_signup, runtime
):
    signup_id = confirmed(function_client, firestore_client, valid_signup)
    function_client("group").post(
        group_link(runtime), data={"action": "added", "member": signup_id}
    )
    function_client("leave").post(link(Purpose.LEAVE, signup_id))
    [task] = documents(firestore_client, REMOVALS).values()
    moved = {key: f"new-{key}" for key in task["subject_keys"]}
    assert runtime.store.rekey_mail_subjects(moved, collection=REMOVALS) == 1
    assert runtime.store.erase_removals_about(next(iter(moved.values()))) == 1
    assert documents(firestore_client, REMOVALS) == {}
