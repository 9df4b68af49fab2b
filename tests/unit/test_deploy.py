"""The deploy script, without Google Cloud: what it stages and which steps it would run."""

from __future__ import annotations

import ast
import subprocess
import sys

from infra import deploy
from infra.functions import FUNCTIONS, Trigger
from tests.conftest import EXAMPLE_DEPLOYMENT, REPOSITORY


def entry_points_in_main() -> set[str]:
    """Every function in functions/main.py that carries a functions_framework decorator."""
    tree = ast.parse((REPOSITORY / "functions" / "main.py").read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("functions_framework" in ast.unparse(d) for d in node.decorator_list)
    }


def test_the_manifest_lists_exactly_the_entry_points_of_main():
    assert {spec.entry_point for spec in FUNCTIONS} == entry_points_in_main()


def test_the_upload_holds_the_code_the_templates_and_the_deployment(tmp_path):
    upload = deploy.stage(EXAMPLE_DEPLOYMENT, tmp_path)
    assert (upload / "main.py").is_file()
    assert (upload / "requirements.txt").is_file()
    assert (upload / "buurtwhatsapp" / "config.py").is_file()
    assert (upload / "templates" / "mail" / "werkwijze" / "body.html").is_file()
    assert (upload / "deployment.toml").read_bytes() == EXAMPLE_DEPLOYMENT.read_bytes()
    assert not list(upload.rglob("__pycache__"))


def test_the_settings_find_the_staged_files(tmp_path):
    """In the upload, the defaults point at the staged deployment and templates."""
    upload = deploy.stage(EXAMPLE_DEPLOYMENT, tmp_path)
    probe = (
        "from buurtwhatsapp.settings import Settings; s = Settings.from_env({}); "
        "print(s.deployment_file); print(s.templates_dir)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=upload,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(upload)},
    ).stdout.split()
    assert out == [str(upload / "deployment.toml"), str(upload / "templates")]


def test_every_function_is_deployed_with_its_trigger_and_access(tmp_path):
    steps = deploy.commands(
        database="buurt",
        project="p",
        region="europe-west4",
        source=tmp_path,
        env_file=tmp_path / "env.yaml",
        secrets=deploy.SECRETS,
        scheduler_account="sched@p.iam.gserviceaccount.com",
    )
    deployed = {step[3]: step for step in steps if step[:3] == ["gcloud", "functions", "deploy"]}
    assert set(deployed) == {spec.entry_point.replace("_", "-") for spec in FUNCTIONS}
    for spec in FUNCTIONS:
        step = deployed[spec.entry_point.replace("_", "-")]
        assert f"--entry-point={spec.entry_point}" in step
        assert "--set-secrets=SIGNING_KEY=buurtwhatsapp-signing-key:latest" in step
        if spec.trigger is Trigger.MAIL_CREATED:
            assert "--trigger-event-filters=type=google.cloud.firestore.document.v1.created" in step
            assert "--trigger-event-filters=database=buurt" in step
            assert "--trigger-event-filters-path-pattern=document=mail/{mailId}" in step
        else:
            assert ("--allow-unauthenticated" in step) is spec.public
            assert ("--no-allow-unauthenticated" in step) is not spec.public
    schedules = [step for step in steps if step[:3] == ["gcloud", "scheduler", "jobs"]]
    assert [step[5] for step in schedules] == ["sweep-mail", "housekeeping"]
    assert "--http-method=POST" in schedules[0]
    # The scheduler's account exists and may call exactly the scheduled functions.
    assert steps[1][:5] == ["gcloud", "iam", "service-accounts", "create", "sched"]
    invokers = [step[3] for step in steps if step[2] == "add-invoker-policy-binding"]
    assert invokers == ["sweep-mail", "housekeeping"]
    for step in steps:
        if step[1] == "firestore":
            assert "--database=buurt" in step


def test_the_database_comes_from_the_env_file(tmp_path):
    env_file = tmp_path / "env.yaml"
    env_file.write_text('MAIL_TRANSPORT: "ses"\nFIRESTORE_DATABASE: "buurt"\n')
    assert deploy.database_in(env_file) == "buurt"
    env_file.write_text("MAIL_TRANSPORT: ses\n")
    assert deploy.database_in(env_file) == "(default)"


def test_a_broken_deployment_file_stops_the_deploy_before_anything_runs(tmp_path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text("[initiative]\nname = 'x'\n")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("MAIL_TRANSPORT: file\n")
    code = deploy.main(
        ["--project=p", f"--deployment={broken}", f"--env-file={env_file}", "--dry-run"]
    )
    assert code == 2
    assert "deployment file refused" in capsys.readouterr().err


def test_a_dry_run_prints_every_step_and_runs_none(tmp_path, capsys):
    env_file = tmp_path / "env.yaml"
    env_file.write_text("MAIL_TRANSPORT: file\n")
    code = deploy.main(
        [
            "--project=p",
            f"--deployment={EXAMPLE_DEPLOYMENT}",
            f"--env-file={env_file}",
            "--dry-run",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.count("+ gcloud functions deploy") == len(FUNCTIONS)


def test_request_log_entries_with_a_link_token_are_kept_out_of_cloud_logging(tmp_path):
    steps = deploy.commands(
        database="(default)",
        project="p",
        region="europe-west4",
        source=tmp_path,
        env_file=tmp_path / "env.yaml",
        secrets={},
        scheduler_account="s@p.iam.gserviceaccount.com",
    )
    [exclusion] = [step for step in steps if step[:4] == ["gcloud", "logging", "sinks", "update"]]
    assert exclusion[4] == "_Default"
    [flag] = [part for part in exclusion if part.startswith("--add-exclusion=")]
    assert 'httpRequest.requestUrl:"token="' in flag
    assert 'log_id("run.googleapis.com/requests")' in flag
    assert "," not in flag.split("filter=", 1)[1]  # gcloud splits the flag's value on commas
