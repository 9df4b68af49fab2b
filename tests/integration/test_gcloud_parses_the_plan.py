"""Every gcloud command the deploy, the check, the smoke test, the status and the teardown run
passes gcloud's own argument parser (Google Cloud SDK on this machine, empty configuration, no
account): the expected end of each is "You do not currently have an active account selected"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import REPOSITORY

PARSER = REPOSITORY / "tests" / "gcloud_parser.py"
NOT_LOGGED_IN = "You do not currently have an active account selected"
# Some command groups report the same end by the exception's name; the application-default
# ones by the missing credentials file.
NOT_LOGGED_IN_MARKS = (
    NOT_LOGGED_IN,
    "NoActiveAccountException",
    "Your default credentials were not found",
)


def parsed(result: dict) -> bool:
    """It parsed: it ran (version, auth list need no account) or stopped at the account."""
    return result["code"] == 0 or (
        result["code"] == 1 and any(mark in result["stderr"] for mark in NOT_LOGGED_IN_MARKS)
    )


@pytest.fixture(scope="module")
def gcloud() -> str:
    """The machine's gcloud; without one the set-up is incomplete, and the tests fail (never
    skip: the deploy's commands would go unchecked)."""
    found = shutil.which("gcloud")
    if found is None:
        pytest.fail(
            "gcloud is not on PATH: run `make setup` (devstack/install-gcloud.sh installs "
            "Google's google-cloud-cli)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def empty_config(tmp_path_factory, gcloud) -> dict[str, str]:
    return {
        **os.environ,
        "CLOUDSDK_CONFIG": str(tmp_path_factory.mktemp("gcloud-config")),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",  # never wait for an answer from the terminal
    }


@pytest.fixture(scope="module")
def parse(empty_config, gcloud):
    """Run command lines through gcloud's parser; the result of each, in order."""
    sdk_root, python = subprocess.run(
        [gcloud, "info", "--format=value(installation.sdk_root,basic.python_location)"],
        capture_output=True, text=True, check=True, env=empty_config,
        stdin=subprocess.DEVNULL, timeout=120,
    ).stdout.split()  # fmt: skip

    def run(commands: list[list[str]]) -> list[dict]:
        result = subprocess.run(
            [os.environ.get("CLOUDSDK_PYTHON") or python, str(PARSER), sdk_root],
            input=json.dumps(commands), capture_output=True, text=True, env=empty_config,
            timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout)

    return run


def gcloud_calls(project) -> list[list[str]]:
    """Every call the fake answered, as real gcloud command lines, each once."""
    seen: dict[str, list[str]] = {}
    for line in project.log_file.read_text().splitlines():
        argv = ["gcloud", *json.loads(line)["argv"]]
        seen.setdefault(json.dumps(argv), argv)
    return list(seen.values())


def test_every_command_of_every_operation_parses(project, parse, tmp_path):
    # A fresh project: the whole plan, dry and for real; then what an update, the check, the
    # smoke test, the status and a full teardown run.
    assert project.run("--dry-run").code == 0
    assert project.run().code == 0
    project.edit(lambda s: s["jobs"]["sweep-mail"].update(schedule="0 * * * *"))
    project.edit(lambda s: s["sink"]["exclusions"][0].update(disabled="true"))
    # ... and the alerts' updates: a metric, a policy and the budget changed by hand.
    project.edit(lambda s: s["logMetrics"]["buurtwhatsapp-mail-failed"].update(filter="x"))
    project.edit(lambda s: s["alertPolicies"][0].update(userLabels={}))
    project.edit(lambda s: s["budgets"][0]["amount"]["specifiedAmount"].update(units="9"))
    assert project.run().code == 0
    project.run(command="check")  # its verdict does not matter here, its commands do
    project.run("--base-url=http://127.0.0.1:9", command="smoke")
    assert project.run(command="status").code == 0
    teardown = project.run(
        "--confirm=buurt-test", "--delete-database", "--delete-secrets", command="teardown"
    )
    assert teardown.code == 0, teardown.output

    commands = gcloud_calls(project)
    verbs = {" ".join(c[1:4]) for c in commands}
    assert {"functions deploy signup", "scheduler jobs update", "logging sinks update"} <= verbs
    alerting = {" ".join(c[1:5]) for c in commands}
    assert {
        "alpha monitoring policies update",
        "logging metrics update buurtwhatsapp-mail-failed",
        "billing budgets update b1",
        "beta monitoring channels delete",
    } <= alerting
    assert len(commands) > 60

    results = parse(commands)
    refused = [
        f"{' '.join(r['command'])}\n    -> exit {r['code']}: {r['stderr'].strip()[:400]}"
        for r in results
        if not parsed(r)
    ]
    assert sum(r["code"] == 1 for r in results) > 60  # nearly all needed an account
    assert not refused, "gcloud's parser refused:\n" + "\n".join(refused)


def test_the_parser_check_refuses_what_gcloud_refuses(parse, empty_config, gcloud):
    """The check is not a rubber stamp: a wrong flag fails it, and gcloud itself agrees."""
    good = ["gcloud", "scheduler", "jobs", "update", "http", "j", "--location=europe-west4",
            "--update-headers=a=b", "--project=p"]  # fmt: skip
    bad = [*good[:6], "--location=europe-west4", "--headers=a=b", "--project=p"]
    wrong_choice = ["gcloud", "firestore", "databases", "create", "--location=eur3",
                    "--type=native", "--project=p"]  # fmt: skip
    results = parse([good, bad, wrong_choice])
    assert [r["code"] for r in results] == [1, 2, 2]
    assert NOT_LOGGED_IN in results[0]["stderr"]
    assert "unrecognized arguments: --headers=a=b" in results[1]["stderr"]
    assert "Invalid choice: 'native'" in results[2]["stderr"]
    for command, code in ((good, 1), (bad, 2)):
        itself = subprocess.run(
            [gcloud, *command[1:]], capture_output=True, text=True, env=empty_config,
            stdin=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip
        assert itself.returncode == code, itself.stderr
