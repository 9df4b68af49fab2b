"""The outbox against real emulators: claim under a lease, retries, the sweep, CloudEvents."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest

from buurtwhatsapp.common.logs import MAIL_FAILED_FOR_GOOD, SCHEDULED_RUN_DONE
from buurtwhatsapp.common.rendering import template_environment
from buurtwhatsapp.common.signed_links import Links
from buurtwhatsapp.mail.compose import Composer
from buurtwhatsapp.mail.delivery import Mailer, Outcome, deliver, sweep
from buurtwhatsapp.mail.outbox import LEASE, Outbox, retry_delay
from buurtwhatsapp.mail.transports import FileTransport, TransportError
from buurtwhatsapp.model import MAIL, MAIL_CLAIMS, MAX_MAIL_ATTEMPTS, mail_document
from devstack.firestore_events import created_event
from devstack.http_functions import create_function_app
from tests.conftest import KEYS, REPOSITORY

pytestmark = pytest.mark.emulator


class RecordingTransport:
    """The real file transport, counting what it was asked to send (from any thread)."""

    def __init__(self, outbox_dir) -> None:
        self.files = FileTransport(outbox_dir)
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(self, mail):
        with self._lock:
            self.sent.append(mail.mail_id)
        return self.files.send(mail)


class FlakyTransport(RecordingTransport):
    """Fails the first ``failures`` sends with a transient error, then works."""

    def __init__(self, outbox_dir, failures: int, *, permanent: bool = False) -> None:
        super().__init__(outbox_dir)
        self.failures = failures
        self.permanent = permanent

    def send(self, mail):
        if self.failures > 0:
            self.failures -= 1
            raise TransportError("relay refused: 451", permanent=self.permanent)
        return super().send(mail)


def make_mailer(client, deployment, clock, transport) -> Mailer:
    templates = template_environment(REPOSITORY / "templates")
    links = Links("k" * 40, "http://localhost:8080", clock)
    return Mailer(
        outbox=Outbox(client),
        composer=Composer(
            templates, links, KEYS, deployment.initiative, "Buurt <noreply@example.org>"
        ),
        transport=transport,
        clock=clock,
    )


@pytest.fixture
def transport(tmp_path):
    return RecordingTransport(tmp_path / "outbox")


@pytest.fixture
def mailer(firestore_client, deployment, clock, transport):
    return make_mailer(firestore_client, deployment, clock, transport)


def queue(client, clock, mail_id="m1", **overrides) -> str:
    document = mail_document(
        template="werkwijze",
        to="zoe@example.org",
        data={"name": "Zoë van 't Veld"},
        signup_id="s1",
        now=clock.now(),
    )
    client.collection(MAIL).document(mail_id).create({**document, **overrides})
    return mail_id


def mail_of(client, mail_id="m1") -> dict:
    return client.collection(MAIL).document(mail_id).get().to_dict()


def test_a_queued_mail_is_sent_once_and_recorded(firestore_client, mailer, transport, clock):
    queue(firestore_client, clock)
    assert deliver("m1", mailer) is Outcome.SENT
    assert deliver("m1", mailer) is Outcome.SKIPPED

    assert transport.sent == ["m1"]
    mail = mail_of(firestore_client)
    assert mail["status"] == "sent"
    assert mail["attempts"] == 1
    assert mail["sent_at"] == clock.current
    message = BytesParser(policy=policy.default).parse(
        (transport.files.outbox_dir / "m1.eml").open("rb")
    )
    assert message["To"] == "zoe@example.org"
    assert message["List-Unsubscribe"].startswith("<http://localhost:8080/leave?token=")


def test_eight_concurrent_deliveries_of_one_mail_send_once(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: deliver("m1", mailer), range(8)))

    assert transport.sent == ["m1"]
    assert sorted(outcomes) == sorted([Outcome.SENT] + [Outcome.SKIPPED] * 7)
    claims = list(firestore_client.collection(MAIL_CLAIMS).stream())
    assert sorted(claim.id for claim in claims) == ["m1.1"]  # a success closes nothing


def test_the_same_cloudevent_twice_sends_once(
    firestore_client, signup_client, valid_signup, tmp_path
):
    signup_client.post("/signup", data=valid_signup)
    [snapshot] = firestore_client.collection(MAIL).stream()
    headers, body = created_event(
        firestore_client.project, MAIL, snapshot.id, snapshot.to_dict(), event_id="event-1"
    )
    events = create_function_app("deliver_mail", "cloudevent").test_client()

    first = events.post("/", data=body, headers=headers)
    second = events.post("/", data=body, headers=headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [path.name for path in (tmp_path / "outbox").iterdir()] == [f"{snapshot.id}.eml"]
    assert mail_of(firestore_client, snapshot.id)["attempts"] == 1


def test_a_failing_transport_is_retried_with_growing_delays_then_succeeds(
    firestore_client, deployment, clock, tmp_path
):
    flaky = FlakyTransport(tmp_path / "outbox", failures=3)
    mailer = make_mailer(firestore_client, deployment, clock, flaky)
    queue(firestore_client, clock)

    assert deliver("m1", mailer) is Outcome.RETRY
    delays = []
    for _ in range(3):
        mail = mail_of(firestore_client)
        delays.append(mail["not_before"] - clock.current)
        assert mail["status"] == "queued"
        assert mail["last_error"] == "relay refused: 451"
        # Not due yet: the sweep leaves it alone.
        clock.current = mail["not_before"] - timedelta(seconds=1)
        assert sweep(mailer)["retry"] + sweep(mailer)["sent"] == 0
        clock.current = mail["not_before"]
        sweep(mailer)

    assert delays == [retry_delay(1), retry_delay(2), retry_delay(3)]
    assert delays[0] < delays[1] < delays[2]
    mail = mail_of(firestore_client)
    assert (mail["status"], mail["attempts"]) == ("sent", 4)
    assert flaky.sent == ["m1"]


def test_a_transport_that_keeps_failing_ends_in_a_final_error_that_can_be_requeued(
    firestore_client, deployment, clock, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    flaky = FlakyTransport(tmp_path / "outbox", failures=MAX_MAIL_ATTEMPTS)
    mailer = make_mailer(firestore_client, deployment, clock, flaky)
    queue(firestore_client, clock)

    outcomes = [deliver("m1", mailer)]
    while mail_of(firestore_client)["status"] == "queued":
        clock.current = mail_of(firestore_client)["not_before"]
        outcomes.append(deliver("m1", mailer))

    assert outcomes == [Outcome.RETRY] * (MAX_MAIL_ATTEMPTS - 1) + [Outcome.FAILED]
    # Exactly one line for the maintainer's alert (the deploy's log-based metric counts it).
    given_up = [r for r in caplog.records if r.getMessage() == MAIL_FAILED_FOR_GOOD]
    assert [(r.levelname, r.mail_id) for r in given_up] == [("ERROR", "m1")]
    mail = mail_of(firestore_client)
    assert (mail["status"], mail["error"]) == ("failed", "relay refused: 451")
    assert mailer.outbox.failed()[0][0] == "m1"
    clock.current += timedelta(days=1)
    assert sweep(mailer)["sent"] == 0

    assert mailer.outbox.requeue("m1", clock.now())
    assert sweep(mailer)["sent"] == 1
    assert mail_of(firestore_client)["status"] == "sent"


def test_a_permanent_error_fails_at_once(firestore_client, deployment, clock, tmp_path):
    rejecting = FlakyTransport(tmp_path / "outbox", failures=1, permanent=True)
    mailer = make_mailer(firestore_client, deployment, clock, rejecting)
    queue(firestore_client, clock)
    assert deliver("m1", mailer) is Outcome.FAILED
    assert mail_of(firestore_client)["attempts"] == 1


def test_a_mail_that_cannot_be_composed_fails_with_the_reason(
    firestore_client, mailer, transport, clock, caplog
):
    queue(firestore_client, clock, template="no-such-mail")
    assert deliver("m1", mailer) is Outcome.FAILED
    assert [r.reason for r in caplog.records if r.getMessage() == MAIL_FAILED_FOR_GOOD] == [
        "compose: UnknownMailKind"
    ]
    assert mail_of(firestore_client)["error"] == "compose: UnknownMailKind"
    assert transport.sent == []


def test_a_crash_after_the_claim_is_recovered_by_the_sweep_after_the_lease(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    assert mailer.outbox.claim("m1", clock.now()) is not None  # ... and the instance dies

    clock.current += LEASE - timedelta(seconds=1)
    assert sweep(mailer)["sent"] == 0
    clock.current += timedelta(seconds=1)
    assert sweep(mailer)["sent"] == 1

    assert transport.sent == ["m1"]
    assert mail_of(firestore_client)["attempts"] == 2


def test_a_delivery_that_outlived_its_lease_cannot_overwrite_the_takeover(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    slow = mailer.outbox.claim("m1", clock.now())  # ... and it hangs past its lease
    clock.current += LEASE
    assert sweep(mailer)["sent"] == 1  # the takeover sends attempt 2

    mailer.outbox.record_failure(slow, "timeout", permanent=False, now=clock.now())

    mail = mail_of(firestore_client)
    assert (mail["status"], mail["attempts"]) == ("sent", 2)
    assert transport.sent == ["m1"]


def test_a_late_success_after_a_takeover_still_counts_as_sent(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    slow = mailer.outbox.claim("m1", clock.now())  # ... sends, but past its lease
    clock.current += LEASE
    taken_over = mailer.outbox.claim("m1", clock.now())
    assert (slow.attempt, taken_over.attempt) == (1, 2)

    mailer.outbox.record_failure(taken_over, "relay refused", permanent=False, now=clock.now())
    mailer.outbox.record_sent(slow, "late-id", clock.now())
    # It was sent: no retry may send it again.
    assert mail_of(firestore_client)["status"] == "sent"
    clock.current += timedelta(hours=1)
    assert sweep(mailer)["sent"] == 0


def test_deliveries_that_die_one_after_another_are_taken_over_in_turn(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    for _dead in range(2):
        assert mailer.outbox.claim("m1", clock.now()) is not None  # ... and it dies
        assert mailer.outbox.claim("m1", clock.now()) is None  # still within its lease
        clock.current += LEASE

    assert sweep(mailer)["sent"] == 1
    assert transport.sent == ["m1"]
    assert mail_of(firestore_client)["attempts"] == 3
    claims = sorted(c.id for c in firestore_client.collection(MAIL_CLAIMS).stream())
    assert claims == ["m1.1", "m1.1.closed", "m1.2", "m1.2.closed", "m1.3"]


def test_a_successful_delivery_writes_twice_the_claim_and_the_outcome(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    before = mail_of(firestore_client)
    claim = mailer.outbox.claim("m1", clock.now())
    assert mail_of(firestore_client) == before  # the claim leaves the mail as it is
    assert [c.id for c in firestore_client.collection(MAIL_CLAIMS).stream()] == ["m1.1"]
    mailer.outbox.record_sent(claim, "id", clock.now())
    assert mail_of(firestore_client)["status"] == "sent"
    assert [c.id for c in firestore_client.collection(MAIL_CLAIMS).stream()] == ["m1.1"]


def test_a_revision_marker_in_the_outbox_is_never_delivered(
    firestore_client, mailer, transport, clock
):
    queue(firestore_client, clock)
    firestore_client.collection(MAIL).document("step-s1-r2").create(
        {"status": "revision", "expire_at": clock.now() + timedelta(days=2)}
    )
    assert sweep(mailer) == {"sent": 1, "retry": 0, "failed": 0, "skipped": 0}
    assert deliver("step-s1-r2", mailer) is Outcome.SKIPPED
    assert mail_of(firestore_client, "step-s1-r2")["status"] == "revision"
    assert mailer.outbox.failed() == []


def test_the_sweep_delivers_mail_whose_trigger_never_came_oldest_first_within_its_limit(
    firestore_client, mailer, transport, clock
):
    for number in range(5):
        queue(firestore_client, clock, mail_id=f"m{number}")
        clock.current += timedelta(seconds=1)

    assert sweep(mailer, limit=2) == {"sent": 2, "retry": 0, "failed": 0, "skipped": 0}
    assert transport.sent == ["m0", "m1"]
    assert sweep(mailer, limit=10)["sent"] == 3


def test_the_sweep_function_answers_post_only(app_environment):
    client = create_function_app("sweep_mail").test_client()
    assert client.get("/").status_code == 405
    response = client.post("/")
    assert response.status_code == 200
    assert response.json == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}


@pytest.mark.parametrize("job", ["sweep_mail", "housekeeping"])
def test_each_scheduled_run_that_finishes_says_so_for_the_maintainer_s_alert(
    app_environment, caplog, job
):
    caplog.set_level(logging.INFO)
    assert create_function_app(job).test_client().post("/").status_code == 200
    done = [r for r in caplog.records if r.getMessage() == SCHEDULED_RUN_DONE]
    assert [r.job for r in done] == [job.replace("_", "-")]
