"""Before and after a deploy, against a scripted project: the preflight check, the smoke test (its
HTTP half against the real functions), the status (failed mail counted in a real emulator) and
the teardown."""

from __future__ import annotations

import http.server
import json
import threading
import uuid

import boto3
import pytest
from google.cloud import firestore

from devstack.serve import serving
from tests.integration.fake_project import AWS_SECRET, ENV_FILE


def lines(output: str, mark: str) -> list[str]:
    return [line[4:] for line in output.splitlines() if line.startswith(mark)]


# ---- check ------------------------------------------------------------------------------------


NO_KEYS_AT_HAND = ENV_FILE.replace('DEPLOY_SECRETS_FILE: "secrets.env"\n', "")


def test_the_check_of_a_fresh_project_says_what_the_deploy_will_make(project):
    project.env_file.write_text(NO_KEYS_AT_HAND)
    run = project.run(command="check")
    assert run.code == 0, run.output
    assert "ready to deploy" in run.output
    said = "\n".join(lines(run.output, "ok "))
    assert "logged in as maintainer@example.org" in said
    assert "billing enabled" in said
    assert "14 API(s) not enabled yet" in said
    assert "Firestore database (default): the deploy creates it in eur3" in said
    assert "secret buurtwhatsapp-signing-key (SIGNING_KEY): the deploy generates it" in said
    assert "(AWS_ACCESS_KEY_ID) does not exist yet: the deploy asks for it" in said
    assert run.changes == []  # a check changes nothing


@pytest.mark.parametrize(
    ("state", "env", "refusal", "mend"),
    [
        (
            {"billingEnabled": False},
            ENV_FILE,
            "billing is not enabled on buurt-test",
            "gcloud billing projects link buurt-test --billing-account=ACCOUNT_ID",
        ),
        ({"account": ""}, ENV_FILE, "gcloud is not logged in", "gcloud auth login"),
        (
            {},
            ENV_FILE.replace('"ses"', '"file"'),
            "MAIL_TRANSPORT is file",
            'set MAIL_TRANSPORT: "ses"',
        ),
        (
            {
                "services": ["firestore.googleapis.com"],
                "databases": [
                    {
                        "name": "projects/buurt-test/databases/(default)",
                        "locationId": "nam5",
                        "type": "DATASTORE_MODE",
                    }
                ],
            },
            ENV_FILE,
            "Firestore database (default) is in DATASTORE_MODE mode",
            "use another database (FIRESTORE_DATABASE in the env file) or another project",
        ),
    ],
    ids=["no billing", "not logged in", "mail to files", "datastore mode"],
)
def test_the_check_names_what_blocks_a_deploy_and_how_to_mend_it(
    project, state, env, refusal, mend
):
    project.edit(lambda s: s.update(state))
    project.env_file.write_text(env)
    run = project.run(command="check")
    assert run.code == 1
    output = run.output
    assert refusal in "\n".join(lines(output, "NO "))
    assert mend in output
    assert "thing(s) to mend first" in output


def test_the_check_asks_amazon_ses_about_the_sender(project):
    run = project.run(command="check")  # no identity for the sender's domain yet
    assert run.code == 1
    assert "example.org is not an identity in Amazon SES (eu-west-1)" in run.output
    assert "create it with Easy DKIM" in run.output
    assert "(AWS_SECRET_ACCESS_KEY): the deploy stores it from the file" in run.output

    ses = boto3.client(
        "sesv2", region_name="eu-west-1", aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key=AWS_SECRET,
    )  # fmt: skip
    ses.create_email_identity(EmailIdentity="example.org")
    run = project.run(command="check")
    assert "example.org is not verified for sending in Amazon SES (eu-west-1)" in run.output
    assert "publish the DKIM CNAME records" in run.output


def test_without_an_aws_key_at_hand_the_sender_is_not_checked_but_named(project):
    project.env_file.write_text(NO_KEYS_AT_HAND)
    run = project.run(command="check")
    assert "not checked (no AWS key in DEPLOY_SECRETS_FILE)" in run.output


def test_the_check_of_a_deployed_project_finds_nothing_missing(project):
    project.deployed()
    project.env_file.write_text(NO_KEYS_AT_HAND)
    run = project.run(command="check")
    assert run.code == 0
    assert "all APIs enabled" in run.output
    assert "Firestore database (default) in eur3 (Native mode)" in run.output
    assert "secret buurtwhatsapp-signing-key (SIGNING_KEY) exists" in run.output


# ---- smoke ------------------------------------------------------------------------------------


@pytest.fixture
def functions_here(firestore_client, monkeypatch, tmp_path):
    """Every function on a local port, as the smoke test would find them in Google Cloud."""
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    with serving("127.0.0.1", 0) as base_url:
        yield base_url


def test_the_smoke_test_passes_against_working_functions(project, functions_here, firestore_client):
    project.deployed()
    run = project.run(f"--base-url={functions_here}", command="smoke")
    assert run.code == 0, run.output
    passed = lines(run.output, "ok ")
    assert len(passed) == 3, run.output
    assert "answers 200 with the form" in passed[0]
    assert "refused: 422" in passed[1]
    assert "the scheduler ran sweep-mail by hand: it answered OK" in passed[2]
    # It wrote nothing personal: the refused sign-up stored nothing.
    assert list(firestore_client.collection("signups").stream()) == []


def test_the_smoke_test_says_what_failed(project):
    project.deployed()
    project.edit(lambda s: s.update(jobRunStatus={"code": 13}))
    run = project.run("--base-url=http://127.0.0.1:9", command="smoke")
    assert run.code == 1
    failed = lines(run.output, "NO ")
    assert len(failed) == 3
    assert "answered with error code 13" in failed[2]
    assert "3 check(s) failed" in run.output


# ---- status -----------------------------------------------------------------------------------


def test_status_shows_the_functions_the_jobs_and_the_failed_mail(
    project, firestore_emulator, monkeypatch
):
    project.deployed()
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)
    client = firestore.Client(project="buurt-test")
    failed = f"failed-{uuid.uuid4().hex}"
    client.collection("mail").document(failed).set({"status": "failed"})
    try:
        run = project.run(command="status")
    finally:
        client.collection("mail").document(failed).delete()
    assert run.code == 0, run.output
    assert "signup        ACTIVE" in run.output
    assert "https://europe-west4-buurt-test.cloudfunctions.net/signup" in run.output
    assert "sweep-mail    ENABLED  last run never" in run.output
    assert "Failed mail: 1  (infra/maintain mail failed)" in run.output
    alerts = run.output.split("Alerts:\n", 1)[1].splitlines()
    assert [" ".join(line.split()) for line in alerts] == [
        "mail failed for good on mails beheer@example.org",
        "functions answer errors on mails beheer@example.org",
        "a scheduled job stopped on mails beheer@example.org",
        "budget 5 EUR a month, alerts at 50%, 90%, 100%",
    ]


def test_status_says_when_nobody_hears_of_trouble(project, firestore_emulator, monkeypatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator.host)
    run = project.run(command="status")
    assert run.code == 0, run.output
    assert "Alerts:\n  none: nobody hears of trouble without looking" in run.output


# ---- teardown ---------------------------------------------------------------------------------


def test_teardown_needs_the_project_id_and_removes_only_what_it_says(project):
    project.deployed()
    refused = project.run(command="teardown")
    assert refused.code == 2 and "nothing removed" in refused.output
    assert project.state["functions"]

    run = project.run("--confirm=buurt-test", command="teardown")
    assert run.code == 0, run.output
    state = project.state
    assert state["functions"] == {} and state["jobs"] == {}
    assert state["serviceAccounts"] == []
    assert (state["alertPolicies"], state["channels"], state["budgets"]) == ([], [], [])
    assert state["logMetrics"] == {}
    assert "alert mail failed for good" in run.output and "budget" in run.output
    assert state["databases"] and state["secrets"]  # kept unless asked for
    again = project.run("--confirm=buurt-test", "--delete-database", command="teardown")
    assert "removed: database (default)" in again.output
    assert project.run("--confirm=buurt-test", command="teardown").output.endswith(
        "removed: nothing (it was gone already)\n"
    )


def test_a_send_only_key_is_a_note_not_something_to_mend(project, monkeypatch):
    """The README's IAM policy allows ses:SendEmail and ses:SendRawEmail only, so SES refuses
    the check's reads with AccessDenied. moto does not enforce IAM for SES, so SES's answer is
    given by botocore's own Stubber, on the client the check makes."""
    from botocore.stub import Stubber

    made = boto3.client

    def send_only(*args, **kwargs):
        client = made(*args, **kwargs)
        stubber = Stubber(client)
        stubber.add_client_error(
            "get_email_identity",
            service_error_code="AccessDeniedException",
            service_message="not authorized to perform: ses:GetEmailIdentity",
            http_status_code=403,
        )
        stubber.activate()
        return client

    monkeypatch.setattr(boto3, "client", send_only)
    run = project.run(command="check")
    assert "cannot verify with a send-only key" in "\n".join(lines(run.output, "ok "))
    assert "refused the access key" not in run.output
    assert "ses:GetEmailIdentity and ses:GetAccount" in run.output


# ---- the maintainer's application-default credentials ------------------------------------------


def test_without_application_default_credentials_the_check_says_how_to_make_them(project):
    project.edit(lambda state: state.update(adc=False))
    run = project.run(command="check")
    assert run.code == 1
    refused = "\n".join(lines(run.output, "NO "))
    assert "no application-default credentials (the deploy's people step, status" in refused
    assert "      gcloud auth application-default login" in run.output


def test_the_check_names_a_missing_quota_project_and_the_command_that_sets_it(
    project, tmp_path, monkeypatch
):
    config = tmp_path / "gcloud-config"
    config.mkdir(exist_ok=True)
    adc = config / "application_default_credentials.json"
    adc.write_text(json.dumps({"type": "authorized_user", "client_id": "x", "refresh_token": "y"}))
    run = project.run(command="check")
    assert "application-default credentials, without a quota project" in run.output
    assert "gcloud auth application-default set-quota-project buurt-test" in run.output
    adc.write_text(json.dumps({"type": "authorized_user", "quota_project_id": "buurt-test"}))
    run = project.run(command="check")
    assert "ok  application-default credentials, quota project buurt-test" in run.output


def test_a_deployed_project_s_firestore_accepts_the_credentials(project):
    project.deployed()
    project.env_file.write_text(NO_KEYS_AT_HAND)
    run = project.run(command="check")
    assert run.code == 0, run.output
    assert "ok  Firestore accepts your application-default credentials" in run.output


class RefusingFirestore(http.server.BaseHTTPRequestHandler):
    """Answers as Firestore does a login that has no role on the project."""

    def do_GET(self):
        body = json.dumps(
            {"error": {"code": 403, "message": "Missing or insufficient permissions.",
                       "status": "PERMISSION_DENIED"}}
        ).encode()  # fmt: skip
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def test_credentials_firestore_refuses_stop_the_check_with_what_to_do(project, monkeypatch):
    project.deployed()
    project.env_file.write_text(NO_KEYS_AT_HAND)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RefusingFirestore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{server.server_port}")
        run = project.run(command="check")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert run.code == 1
    refused = "\n".join(lines(run.output, "NO "))
    assert "Firestore refuses your application-default credentials for buurt-test" in refused
    assert "403: Missing or insufficient permissions." in refused
