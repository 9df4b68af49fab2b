"""The deploy against a scripted project (tests/fake_gcloud.py): the exact plan for a fresh
project, nothing but "unchanged" on a second run, only the one change where one thing differs,
and clear stops where it cannot go on."""

from __future__ import annotations

import io
import re
import shlex
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from google.cloud import firestore

from buurtwhatsapp.common.clock import SystemClock
from buurtwhatsapp.coordinators.changes import set_coordinator
from buurtwhatsapp.deployment.people import People
from buurtwhatsapp.deployment.structure import Person
from buurtwhatsapp.store import Store
from infra import deploy, steps
from infra.functions import FUNCTIONS
from tests.conftest import KEYS
from tests.fake_gcloud import PROJECT_NUMBER_DEFAULT as PROJECT_NUMBER
from tests.integration.fake_project import AWS_SECRET, ENV_FILE, PROJECT, Run


def normalised(command: str, build_dir: Path) -> str:
    """A printed command with what varies per machine and per source replaced."""
    command = command.replace(str(build_dir), "BUILD")
    command = "gcloud " + command.split(" ", 1)[1]
    command = command.replace(f" --project={PROJECT}", "")
    words = shlex.split(command)
    words = [
        f"--update-labels={steps.FINGERPRINT_LABEL}=FINGERPRINT"
        if w.startswith("--update-labels=")
        else w
        for w in words
    ]
    return shlex.join(words)


ACCOUNT = "{}@buurt-test.iam.gserviceaccount.com"
EVENTARC_AGENT = "service-123456789012@gcp-sa-eventarc.iam.gserviceaccount.com"
SECRETS = (
    "SIGNING_KEY=buurtwhatsapp-signing-key:1,"
    "KEY_PEPPER=buurtwhatsapp-key-pepper:1,"
    "AWS_ACCESS_KEY_ID=buurtwhatsapp-aws-access-key-id:1,"
    "AWS_SECRET_ACCESS_KEY=buurtwhatsapp-aws-secret-access-key:1"
)


def function_deploy(name: str, entry_point: str, *trigger: str) -> str:
    return shlex.join(
        [
            "gcloud", "functions", "deploy", name, "--gen2", "--region=europe-west4",
            "--runtime=python311", "--source=BUILD/functions", f"--entry-point={entry_point}",
            "--env-vars-file=BUILD/env.yaml", f"--set-secrets={SECRETS}",
            f"--service-account={ACCOUNT.format('buurtwhatsapp-runtime')}",
            "--build-service-account=projects/buurt-test/serviceAccounts/"
            + ACCOUNT.format("buurtwhatsapp-build"),
            "--memory=256Mi", "--timeout=120s", "--max-instances=10",
            *(() if name in ("sweep-mail", "housekeeping") else ("--cpu=1",)), *trigger,
            f"--update-labels={steps.FINGERPRINT_LABEL}=FINGERPRINT",
        ]
    )  # fmt: skip


def job(name: str, schedule: str) -> str:
    url = f"https://{name}-123456789012.europe-west4.run.app"
    return shlex.join(
        [
            "gcloud", "scheduler", "jobs", "create", "http", name, "--location=europe-west4",
            f"--schedule={schedule}", "--time-zone=Europe/Amsterdam", f"--uri={url}",
            "--http-method=POST",
            f"--oidc-service-account-email={ACCOUNT.format('buurtwhatsapp-scheduler')}",
            f"--oidc-token-audience={url}", "--attempt-deadline=180s",
        ]
    )  # fmt: skip


def index(collection: str, *fields: str) -> str:
    configs = " ".join(f"--field-config=field-path={f},order=ascending" for f in fields)
    return (
        f"gcloud firestore indexes composite create '--database=(default)' "
        f"--collection-group={collection} --query-scope=COLLECTION {configs} --async"
    )


FRESH_PLAN = [
    "gcloud services enable " + " ".join(steps.SERVICES),
    "gcloud firestore databases create '--database=(default)' --location=eur3 "
    "--type=firestore-native --delete-protection",
    *(
        f"gcloud iam service-accounts create {a.name} '--display-name={a.display_name}'"
        for a in steps.ACCOUNTS
    ),
    "gcloud beta services identity create --service=eventarc.googleapis.com",
    *(
        f"gcloud projects add-iam-policy-binding buurt-test "
        f"--member=serviceAccount:{member} --role={role} --condition=None"
        for member, role in [
            (ACCOUNT.format("buurtwhatsapp-runtime"), "roles/datastore.user"),
            (ACCOUNT.format("buurtwhatsapp-build"), "roles/cloudbuild.builds.builder"),
            (ACCOUNT.format("buurtwhatsapp-trigger"), "roles/eventarc.eventReceiver"),
            (EVENTARC_AGENT, "roles/eventarc.serviceAgent"),
        ]
    ),
    *(
        line
        for secret in (
            "buurtwhatsapp-signing-key",
            "buurtwhatsapp-key-pepper",
            "buurtwhatsapp-aws-access-key-id",
            "buurtwhatsapp-aws-secret-access-key",
        )
        for line in (
            f"gcloud secrets create {secret} --replication-policy=user-managed "
            "--locations=europe-west4",
            f"gcloud secrets versions add {secret} --data-file=- --format=json",
            f"gcloud secrets add-iam-policy-binding {secret} "
            f"--member=serviceAccount:{ACCOUNT.format('buurtwhatsapp-runtime')} "
            "--role=roles/secretmanager.secretAccessor",
        )
    ),
    index("mail", "status", "not_before"),
    index("signups", "status", "check_due_at"),
    index("signups", "status", "rules_offered"),
    index("signups", "status", "confirm_reminder_sent", "created_at"),
    index("signups", "status", "coordinator_reminder_sent", "confirmed_at"),
    index("signups", "status", "created_at"),
    *(
        f"gcloud firestore fields ttls update expire_at '--database=(default)' "
        f"--collection-group={collection} --enable-ttl --async"
        for collection in steps.TTL_COLLECTIONS
    ),
    "gcloud logging sinks update _Default " + shlex.quote(
        "--add-exclusion=name=buurtwhatsapp-link-tokens,description=Signed link tokens in "
        "request URLs,filter=" + steps.LOG_EXCLUSION_FILTER
    ),
    *(function_deploy(n, n, "--trigger-http", "--allow-unauthenticated")
      for n in ("signup", "coordinator", "confirm", "added", "leave", "overview", "join", "group",
                "still", "rules")),
    function_deploy(
        "deliver-mail", "deliver_mail",
        "--trigger-event-filters=type=google.cloud.firestore.document.v1.created",
        "--trigger-event-filters=database=(default)",
        "--trigger-event-filters-path-pattern=document=mail/{mailId}",
        "--trigger-location=eur3",
        f"--trigger-service-account={ACCOUNT.format('buurtwhatsapp-trigger')}",
        "--retry", "--no-allow-unauthenticated",
    ),
    function_deploy("sweep-mail", "sweep_mail", "--trigger-http", "--no-allow-unauthenticated"),
    function_deploy("housekeeping", "housekeeping", "--trigger-http", "--no-allow-unauthenticated"),
    *(
        f"gcloud functions add-invoker-policy-binding {name} --region=europe-west4 "
        f"--member=serviceAccount:{ACCOUNT.format(account)}"
        for name, account in [
            ("deliver-mail", "buurtwhatsapp-trigger"),
            ("sweep-mail", "buurtwhatsapp-scheduler"),
            ("housekeeping", "buurtwhatsapp-scheduler"),
        ]
    ),
    job("sweep-mail", "*/5 * * * *"),
    job("housekeeping", "17 * * * *"),
    # DEPLOY_ALERT_EMAIL: the e-mail channel, two log-based metrics, three alert policies and
    # the month's budget on the project's billing account.
    "gcloud services enable monitoring.googleapis.com billingbudgets.googleapis.com",
    "gcloud beta monitoring channels create '--display-name=Buurt WhatsApp maintainer' "
    "--type=email --channel-labels=email_address=beheer@example.org --format=json",
    "gcloud logging metrics create buurtwhatsapp-mail-failed "
    "--config-from-file=BUILD/buurtwhatsapp-mail-failed.json",
    "gcloud logging metrics create buurtwhatsapp-scheduled-runs "
    "--config-from-file=BUILD/buurtwhatsapp-scheduled-runs.json",
    *(
        f"gcloud alpha monitoring policies create --policy-from-file=BUILD/alert-policy-{n}.json"
        for n in (1, 2, 3)
    ),
    "gcloud billing budgets create --billing-account=0X0X0X-0X0X0X-0X0X0X "
    "'--display-name=Buurt WhatsApp buurt-test' --budget-amount=5EUR --calendar-period=month "
    "--filter-projects=projects/buurt-test --threshold-rule=percent=0.5 "
    "--threshold-rule=percent=0.9 --threshold-rule=percent=1.0 "
    "--notifications-rule-monitoring-notification-channels="
    "projects/buurt-test/notificationChannels/NEW_CHANNEL",
    "gcloud artifacts repositories set-cleanup-policies gcf-artifacts --location=europe-west4 "
    "--policy=BUILD/cleanup-policies.json --no-dry-run",
]  # fmt: skip


def plan_of(run: Run, build_dir: Path) -> list[str]:
    return [normalised(command.split("  # stdin:")[0], build_dir) for command in run.changes]


def test_a_dry_run_on_a_fresh_project_plans_every_step_and_changes_nothing(project):
    before = project.state
    run = project.run("--dry-run")

    assert run.code == 0, run.output
    assert plan_of(run, project.build_dir) == FRESH_PLAN
    assert project.state == before
    reads = {" ".join(call[:3]) for call in run.calls}
    assert all(
        any(verb in call for verb in ("list", "describe", "get-iam-policy")) for call in run.calls
    ), reads
    # Every secret's value goes on stdin, never on the command line: the plan says from where.
    assert "# stdin: generated, 64 random characters" in run.output
    assert f"# stdin: AWS_SECRET_ACCESS_KEY from {project.env_file.parent}" in run.output
    assert AWS_SECRET not in run.output
    # Each planned step says so (a slow one also says how long it took to plan).
    untimed = [re.sub(r" in \d+ s$", "", outcome) for outcome in run.outcomes()[:-1]]
    assert all(outcome.endswith("(dry run: not done)") for outcome in untimed), untimed
    assert "and store 2 coordinator(s), 2 regiegroep member(s) from the deployment file" in (
        " ".join(run.output.split())
    )
    # The step that needs the maintainer's own credentials is planned, not skipped.
    assert "would read Firestore with your application-default credentials" in run.output
    people = dict(zip([title for title, _ in steps.STEPS], run.outcomes(), strict=True))[
        "Coordinators and regiegroep (from the file, first deploy only)"
    ]
    assert people.startswith("planned: read the stored people")
    assert Store(firestore.Client(project=PROJECT)).read_people() is None


def test_the_plan_can_be_pasted_into_a_shell_as_printed(project):
    run = project.run()
    assert run.code == 0, run.output
    executed = [call for call in run.calls if call not in _reads(run.calls)]
    printed = [shlex.split(command.split("  # stdin:")[0]) for command in run.changes]
    assert [[w for w in p[1:] if w != f"--project={PROJECT}"] for p in printed] == executed


# Changes that ask for their answer as JSON (the new version's or channel's name).
ANSWERED_CHANGES = (["secrets", "versions", "add"], ["beta", "monitoring", "channels", "create"])


def _reads(calls: list[list[str]]) -> list[list[str]]:
    return [
        c
        for c in calls
        if "--format=json" in c and not any(c[: len(p)] == p for p in ANSWERED_CHANGES)
    ]


def test_a_deploy_then_a_second_deploy_changes_nothing(project, deployment):
    first = project.run()
    assert first.code == 0, first.output
    # Once the functions exist, their sources bucket gets its lifecycle too.
    # The e-mail channel has the name Google gave it, where the dry run could only say "new".
    assert plan_of(first, project.build_dir) == [
        *(
            line.replace("notificationChannels/NEW_CHANNEL", "notificationChannels/100")
            for line in FRESH_PLAN
        ),
        "gcloud storage buckets update gs://gcf-v2-sources-123456789012-europe-west4 "
        "--lifecycle-file=BUILD/source-lifecycle.json",
    ]
    state = project.state
    assert set(state["functions"]) == {spec.name for spec in FUNCTIONS}
    assert state["databases"][0]["locationId"] == "eur3"
    assert state["functions"]["deliver-mail"]["eventTrigger"]["triggerRegion"] == "eur3"

    people = dict(zip([title for title, _ in steps.STEPS], first.outcomes(), strict=True))[
        "Coordinators and regiegroep (from the file, first deploy only)"
    ]
    assert people == "stored 2 coordinator(s), 2 regiegroep member(s) from the deployment file"
    store = Store(firestore.Client(project=PROJECT))
    assert store.read_people() == replace(People.from_deployment(deployment), version=1)
    # The maintainer changes a coordinator; a later deploy must not put the file's one back.
    new = Person("Fenna Nieuw", "fenna@example.org", "+31687654321")
    set_coordinator("dorp", new, deployment=deployment, store=store, clock=SystemClock(), keys=KEYS)

    second = project.run()
    assert second.code == 0, second.output
    assert store.read_people().coordinator_of("dorp") == new
    assert second.changes == []
    assert len(second.outcomes()) == len(steps.STEPS)
    assert all(outcome.startswith("unchanged") for outcome in second.outcomes()), second.outcomes()
    assert project.state == state


def test_secret_values_never_appear_on_a_command_line(project):
    run = project.run()
    assert run.code == 0
    assert [call[:3] for call in run.stdin_calls] == [["secrets", "versions", "add"]] * 4
    for call in run.calls:
        assert not any(AWS_SECRET in word or "AKIAEXAMPLE" in word for word in call)


@pytest.mark.parametrize(
    ("difference", "expected"),
    [
        pytest.param(
            lambda s: s["jobs"]["sweep-mail"].update(schedule="0 * * * *"),
            ["gcloud scheduler jobs update http sweep-mail"],
            id="a schedule changed by hand",
        ),
        pytest.param(
            lambda s: s["functions"]["confirm"].update(state="FAILED"),
            ["gcloud functions deploy confirm"],
            id="a function left failed",
        ),
        pytest.param(
            lambda s: s["sink"]["exclusions"][0].update(disabled="true"),
            ["gcloud logging sinks update _Default"],
            id="the log exclusion disabled",
        ),
        pytest.param(
            lambda s: s["secrets"]["buurtwhatsapp-signing-key"]["policy"].update(bindings=[]),
            ["gcloud secrets add-iam-policy-binding buurtwhatsapp-signing-key"],
            id="a secret's access removed",
        ),
        pytest.param(
            lambda s: s["projectPolicy"]["bindings"].pop(0),
            ["gcloud projects add-iam-policy-binding buurt-test"],
            id="a project role removed",
        ),
        pytest.param(
            lambda s: s["secrets"]["buurtwhatsapp-aws-access-key-id"]["versions"][0].update(
                state="DISABLED"
            ),
            ["gcloud secrets versions add buurtwhatsapp-aws-access-key-id"]
            + [f"gcloud functions deploy {spec.name}" for spec in FUNCTIONS],
            id="a secret's version disabled: a new one, pinned in every function",
        ),
    ],
)
def test_where_one_thing_differs_only_that_is_changed(project, difference, expected):
    project.deployed()
    project.edit(difference)

    run = project.run()
    assert run.code == 0, run.output
    changed = [
        normalised(command.split("  # stdin:")[0], project.build_dir) for command in run.changes
    ]
    assert len(changed) == len(expected), changed
    for command, start in zip(changed, expected, strict=True):
        assert command.startswith(start), (command, start)
    assert project.run().changes == []


def test_an_existing_database_elsewhere_is_used_unless_another_location_is_asked_for(project):
    project.edit(
        lambda s: s["databases"].append(
            {
                "name": "projects/buurt-test/databases/(default)",
                "locationId": "europe-west1",
                "type": "FIRESTORE_NATIVE",
            }
        )
    )
    run = project.run("--dry-run")
    assert run.code == 0
    assert "--trigger-location=europe-west1" in run.output
    assert "firestore databases create" not in run.output

    project.env_file.write_text(ENV_FILE + 'DEPLOY_DATABASE_LOCATION: "eur3"\n')
    run = project.run()
    assert run.code == 1
    assert "deploy stopped at step 2 (Firestore database)" in run.output
    assert 'Set DEPLOY_DATABASE_LOCATION: "europe-west1" or remove it.' in run.output
    assert project.state["functions"] == {}


def test_a_first_gen_function_of_the_same_name_stops_the_deploy_with_what_to_do(project):
    project.edit(
        lambda s: s["functions"].update(
            leave={
                "name": "projects/buurt-test/locations/europe-west4/functions/leave",
                "environment": "GEN_1",
                "state": "ACTIVE",
            }
        )
    )
    run = project.run()
    assert run.code == 1
    assert "a 1st gen function leave exists in europe-west4" in run.output
    assert "gcloud functions delete leave --region=europe-west4 --project=buurt-test" in run.output


def test_the_first_trigger_waits_for_the_eventarc_service_agent(project):
    message = (
        'ERROR: (gcloud.functions.deploy) Invalid resource state for "": Permission denied '
        "while using the Eventarc Service Agent. If you recently started to use Eventarc, it "
        "may take a few minutes before all necessary permissions are propagated to the Service "
        "Agent. Otherwise, verify that it has Eventarc Service Agent role."
    )
    project.edit(
        lambda s: s["fail"].update(
            {"functions deploy deliver-mail": {"times": 2, "stderr": message}}
        )
    )
    run = project.run()
    assert run.code == 0, run.output
    assert run.output.count("the Eventarc service agent of a new project needs a few minutes") == 2
    assert "deliver-mail" in project.state["functions"]


def test_any_other_failure_stops_at_once_with_the_step_and_what_gcloud_said(project):
    message = "ERROR: (gcloud.functions.deploy) OperationError: code=3, message=Build failed"
    project.edit(
        lambda s: s["fail"].update({"functions deploy confirm": {"times": 1, "stderr": message}})
    )
    run = project.run()
    assert run.code == 1
    assert "deploy stopped at step 10 (Functions)." in run.output
    assert "Build failed" in run.output
    assert "run the deploy again" in run.output
    assert "scheduler jobs create" not in run.output
    # The next run takes it from there: what is done stays done.
    again = project.run()
    assert again.code == 0
    # The APIs step is done: only the alerts' own APIs (a later step) are still to enable.
    enabled = [command for command in again.calls if command[:2] == ["services", "enable"]]
    assert enabled == [
        ["services", "enable", "monitoring.googleapis.com", "billingbudgets.googleapis.com"]
    ]


def test_a_secret_without_a_value_stops_with_where_to_put_it(project):
    project.env_file.write_text(ENV_FILE.replace('DEPLOY_SECRETS_FILE: "secrets.env"\n', ""))
    run = project.run()
    assert run.code == 1
    assert (
        "secret buurtwhatsapp-aws-access-key-id (AWS_ACCESS_KEY_ID) has no value yet" in run.output
    )
    assert "DEPLOY_SECRETS_FILE" in run.output


def test_a_deploy_by_another_python_than_the_runtime_says_what_the_cold_starts_lose(
    project, monkeypatch
):
    assert "compiled by" not in project.run("--dry-run").output  # this Python is the runtime's
    monkeypatch.setattr(steps, "RUNTIME", "python312")
    run = project.run("--dry-run")
    assert run.code == 0, run.output
    assert "compiled by python311, but the functions run python312" in run.output
    assert "deploy with Python 3.12" in run.output


def test_settings_problems_stop_the_deploy_before_gcloud_runs(project):
    project.env_file.write_text('MAIL_TRANSPORT: "pigeon"\nDEPLOY_COLOUR: "blue"\n')
    run = project.run()
    assert run.code == 2
    assert "settings refused" in run.output and "DEPLOY_COLOUR" in run.output
    assert run.calls == []


def test_a_broken_deployment_file_stops_the_deploy_before_gcloud_runs(
    project, tmp_path, fake_gcloud
):
    broken = tmp_path / "broken.toml"
    broken.write_text("[initiative]\nname = 'x'\n")
    out = io.StringIO()
    code = deploy.main(
        ["deploy", f"--project={PROJECT}", f"--gcloud={fake_gcloud}",
         f"--env-file={project.env_file}", f"--deployment={broken}", "--dry-run"],
        out=out,
    )  # fmt: skip
    assert code == 2
    assert "deployment file refused" in out.getvalue()
    assert not project.log_file.exists()


def test_in_a_terminal_a_missing_credential_is_asked_for_and_goes_on_stdin(project, monkeypatch):
    project.env_file.write_text(ENV_FILE.replace('DEPLOY_SECRETS_FILE: "secrets.env"\n', ""))
    asked: list[str] = []

    def typed(prompt: str) -> str:
        asked.append(prompt)
        return f"typed-{len(asked)}-{AWS_SECRET}"

    monkeypatch.setattr(steps, "getpass", typed)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    run = project.run()

    assert run.code == 0, run.output
    assert [prompt.split(" (")[0].strip() for prompt in asked] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]
    assert "# stdin: AWS_SECRET_ACCESS_KEY as typed" in run.output
    assert AWS_SECRET not in run.output
    assert not any(AWS_SECRET in word for call in run.calls for word in call)


def test_a_group_s_invite_link_never_reaches_the_staged_upload_or_the_deploy_s_output(project):
    """The link lives in Firestore only (group_invites): the deploy stages the code and the
    deployment file, and reads the people, never the links."""
    code = "C1adgkdEGki7554BWDdMkd"
    store = Store(firestore.Client(project=PROJECT))
    store.set_group_invite("dorp", f"https://chat.whatsapp.com/{code}", SystemClock().now())
    run = project.run()
    assert run.code == 0, run.output
    assert code not in run.output
    staged = [path for path in project.build_dir.rglob("*") if path.is_file()]
    assert any(path.name == "main.py" for path in staged)  # the upload is there to grep
    for path in staged:
        assert code.encode() not in path.read_bytes(), path


def test_a_project_from_before_april_2021_gets_the_pub_sub_agent_s_token_creator_role(project):
    """Else Eventarc's Firestore trigger never delivers (Eventarc's own documentation)."""
    project.edit(lambda state: state["project"].update(createTime="2019-05-01T10:00:00.000Z"))
    agent = f"service-{PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"
    first = project.run()
    assert first.code == 0, first.output
    assert ["beta", "services", "identity", "create", "--service=pubsub.googleapis.com"] in (
        first.calls
    )
    grant = [
        "projects", "add-iam-policy-binding", PROJECT, f"--member=serviceAccount:{agent}",
        "--role=roles/iam.serviceAccountTokenCreator", "--condition=None",
    ]  # fmt: skip
    assert grant in first.calls
    second = project.run()
    assert second.code == 0 and second.changes == []


def test_a_newer_project_gets_no_pub_sub_grant(project):
    project.edit(lambda state: state["project"].update(createTime="2024-02-01T10:00:00.000Z"))
    run = project.run()
    assert run.code == 0, run.output
    assert not any("gcp-sa-pubsub" in " ".join(change) for change in run.changes)


def test_a_refused_public_grant_stops_the_deploy_and_is_mended_on_the_next_run(project):
    """Domain-restricted sharing: gcloud creates the function, its allUsers grant is refused
    (only a warning from gcloud), and the function would stay private while the fingerprint
    label called it unchanged. The invokers step verifies every public function instead."""
    project.edit(lambda state: state.update(domainRestricted=True))
    run = project.run()
    assert run.code != 0
    assert "organisation policy refuses allUsers" in run.output
    assert "constraints/iam.allowedPolicyMemberDomains" in run.output
    private = project.state["runPolicies"].get("signup", {})
    assert "allUsers" not in str(private)

    project.edit(lambda state: state.update(domainRestricted=False))  # the exception granted
    mended = project.run()
    assert mended.code == 0, mended.output
    public = [spec.name for spec in FUNCTIONS if spec.public]
    for name in public:
        grant = [
            "functions", "add-invoker-policy-binding", name, "--region=europe-west4",
            "--member=allUsers",
        ]  # fmt: skip
        assert grant in mended.calls, name
        assert "allUsers" in str(project.state["runPolicies"][name])
    assert project.run().changes == []  # verified, and nothing left to do


@pytest.mark.parametrize(
    ("command", "verb"),
    [
        ("firestore databases create", "firestore.googleapis.com"),
        ("secrets create buurtwhatsapp-signing-key", "secretmanager.googleapis.com"),
    ],
    ids=["database", "secret"],
)
def test_an_api_still_settling_is_waited_for(project, command, verb):
    settling = (
        f"ERROR: (gcloud) PERMISSION_DENIED: {verb} has not been used in project 123456789012 "
        "before or it is disabled. If you enabled this API recently, wait a few minutes for "
        "the action to propagate to our systems and retry."
    )
    project.edit(lambda s: s["fail"].update({command: {"times": 2, "stderr": settling}}))
    run = project.run()
    assert run.code == 0, run.output
    assert run.output.count("an API enabled moments ago is still being switched on") == 2


def test_a_new_budget_amount_updates_the_budget_and_nothing_else(project):
    first = project.run()
    assert first.code == 0, first.output
    project.env_file.write_text(ENV_FILE + 'DEPLOY_BUDGET: "12EUR"\n')
    second = project.run()
    assert second.code == 0, second.output
    updates = [call for call in second.calls if call[:3] == ["billing", "budgets", "update"]]
    assert updates == [
        ["billing", "budgets", "update", "b1", "--billing-account=0X0X0X-0X0X0X-0X0X0X",
         "--budget-amount=12EUR"],
    ]  # fmt: skip
    assert len(second.changes) == 1
    [budget] = project.state["budgets"]
    assert budget["amount"]["specifiedAmount"] == {"currencyCode": "EUR", "units": "12"}


def test_without_an_alert_address_nothing_is_set_up_and_the_deploy_says_so(project):
    project.env_file.write_text(ENV_FILE.replace('DEPLOY_ALERT_EMAIL: "beheer@example.org"\n', ""))
    run = project.run()
    assert run.code == 0, run.output
    assert "no DEPLOY_ALERT_EMAIL in the env file: nobody hears of failed mail" in run.output
    state = project.state
    assert (state["alertPolicies"], state["channels"], state["budgets"]) == ([], [], [])
    assert "monitoring.googleapis.com" not in state["services"]
