"""The deploy script, without Google Cloud: what it stages and which steps it would run."""

from __future__ import annotations

import ast
import io
import subprocess
import sys

import pytest

from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.people import People
from infra import deploy, deploy_settings, steps
from infra.functions import FUNCTIONS
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
    assert (upload / "buurtwhatsapp" / "deployment" / "loading.py").is_file()
    assert (upload / "templates" / "mail" / "werkwijze" / "body.html").is_file()
    assert (upload / "deployment.toml").read_text() == deploy.without_people(
        EXAMPLE_DEPLOYMENT.read_text()
    )
    assert (upload / "deployment.toml.checked.json").is_file()
    assert not list(upload.rglob("__pycache__"))


def test_no_coordinators_personal_data_is_in_the_upload(tmp_path, deployment):
    """Names, addresses and numbers of coordinators live in Firestore, never in an image."""
    named = People.from_deployment(deployment)
    people = [*named.coordinators.values(), *named.regiegroep]
    assert people, "the example file names people: the test must see them dropped"
    upload = deploy.stage(EXAMPLE_DEPLOYMENT, tmp_path)

    needles = set()
    for person in people:
        local = person.phone.removeprefix("+31")
        needles |= {person.name, person.email, person.phone, local, f"0{local}"}
        needles |= {f"06-{local[1:]}", person.email.split("@")[0]}
    files = [path for path in upload.rglob("*") if path.is_file()]
    found = [
        (str(path.relative_to(upload)), needle)
        for path in files
        for needle in needles
        if needle.encode() in path.read_bytes()
    ]
    assert found == []
    staged = load_deployment(upload / "deployment.toml")
    assert [group.id for group in staged.groups] == [group.id for group in deployment.groups]
    assert staged.areas == deployment.areas  # the structure stays whole


def test_without_people_drops_exactly_the_tables_that_name_people():
    text = (
        '[initiative]\nname = "X"\n'
        '[[groups]]\nid = "a"\n'
        '  [[ groups.coordinators ]]  # the beheerder\nname = "Jan"\nphone = "06"\n'
        '[[groups]]\nid = "b"\n'
        '[[regiegroep]]\nname = "Jan"\n'
        '[[areas]]\nid = "dorp"\n'
    )
    assert deploy.without_people(text) == (
        '[initiative]\nname = "X"\n[[groups]]\nid = "a"\n[[groups]]\nid = "b"\n'
        '[[areas]]\nid = "dorp"\n'
    )


def test_people_written_inline_stop_the_staging(tmp_path):
    inline = 'regiegroep = [{ name = "In", email = "in@example.org", phone = "0612340009" }]\n'
    source = tmp_path / "inline.toml"
    source.write_text(inline + deploy.without_people(EXAMPLE_DEPLOYMENT.read_text()))
    load_deployment(source)  # a valid file: only the upload must not hold it

    with pytest.raises(deploy.StageError, match="the staged deployment file still names people"):
        deploy.stage(source, tmp_path / "build")


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


def test_function_names_are_the_paths_the_links_use():
    # PUBLIC_BASE_URL/<name> is each function's URL under cloudfunctions.net.
    names = {spec.entry_point: spec.name for spec in FUNCTIONS}
    assert names["confirm"] == "confirm" and names["added"] == "added"
    assert names["leave"] == "leave" and names["deliver_mail"] == "deliver-mail"


# ---- the env file ----------------------------------------------------------------------------


def write(tmp_path, text: str):
    env_file = tmp_path / "env.yaml"
    env_file.write_text(text, encoding="utf-8")
    return env_file


SES = 'MAIL_TRANSPORT: "ses"\nMAIL_SENDER: "Buurt <buurt@example.org>"\n'


def test_the_env_file_gives_the_functions_settings_and_the_deploy_its_own(tmp_path):
    (tmp_path / "secrets.env").write_text("AWS_ACCESS_KEY_ID=AKIA\n")
    env_file = write(
        tmp_path,
        SES
        + "# a comment\n"
        + "SES_REGION: eu-west-1  # plain words may go unquoted\n"
        + "FIRESTORE_DATABASE: 'buurt'\n"
        + 'DEPLOY_DATABASE_LOCATION: "europe-west4"\n'
        + 'DEPLOY_SECRETS_FILE: "secrets.env"\n'
        + 'DEPLOY_SECRET_SIGNING_KEY: "my-signing-key"\n',
    )
    settings = deploy_settings.load("my-project", "europe-west4", env_file)

    assert settings.database == "buurt"
    assert (settings.database_location, settings.database_location_given) == ("europe-west4", True)
    assert settings.secrets_file == tmp_path / "secrets.env"
    assert settings.secret_names == {
        "SIGNING_KEY": "my-signing-key",
        "KEY_PEPPER": "buurtwhatsapp-key-pepper",
        "AWS_ACCESS_KEY_ID": "buurtwhatsapp-aws-access-key-id",
        "AWS_SECRET_ACCESS_KEY": "buurtwhatsapp-aws-secret-access-key",
    }
    environment = settings.function_environment()
    assert not any(key.startswith("DEPLOY_") for key in environment)
    assert environment["GOOGLE_CLOUD_PROJECT"] == "my-project"
    assert environment["SES_REGION"] == "eu-west-1"
    # Without a domain of its own, the links point at Google's address of the functions.
    assert environment["PUBLIC_BASE_URL"] == "https://europe-west4-my-project.cloudfunctions.net"


def test_what_the_functions_get_reads_back_exactly(tmp_path):
    settings = deploy_settings.load(
        "my-project", "europe-west4", write(tmp_path, SES + "SES_TAGS: 'a=b,c=d'\n")
    )
    written = deploy_settings.write_env_file(settings.function_environment(), tmp_path / "out.yaml")
    assert deploy_settings.read_env_file(written) == settings.function_environment()


@pytest.mark.parametrize(
    ("transport", "secrets"),
    [
        ('MAIL_TRANSPORT: "file"\n', ["SIGNING_KEY", "KEY_PEPPER"]),
        (SES, ["SIGNING_KEY", "KEY_PEPPER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
        ('MAIL_TRANSPORT: "smtp"\nSMTP_HOST: "smtp.example.org"\n', ["SIGNING_KEY", "KEY_PEPPER"]),
        (
            'MAIL_TRANSPORT: "smtp"\nSMTP_HOST: "smtp.example.org"\nSMTP_USERNAME: "buurt"\n',
            ["SIGNING_KEY", "KEY_PEPPER", "SMTP_PASSWORD"],
        ),
    ],
)
def test_the_mail_transport_decides_which_secrets_the_functions_need(tmp_path, transport, secrets):
    settings = deploy_settings.load("my-project", "europe-west4", write(tmp_path, transport))
    assert list(settings.secret_names) == secrets


def test_every_problem_of_the_settings_is_named_at_once(tmp_path):
    env_file = write(
        tmp_path,
        'MAIL_TRANSPORT: "pigeon"\n'
        "SIGNING_KEY: 'in the env file'\n"
        'DEPLOY_SECRET_SIGNING_KEY: "has spaces"\n'
        'DEPLOY_COLOUR: "blue"\n'
        'PUBLIC_BASE_URL: "http://buurt.example.org"\n',
    )
    with pytest.raises(deploy_settings.DeploySettingsError) as caught:
        deploy_settings.load("P", "west", env_file)
    message = str(caught.value)
    for expected in (
        "PROJECT must be a Google Cloud project id",
        "REGION must be a Google Cloud region",
        "SIGNING_KEY is set by the deploy",
        "DEPLOY_SECRET_SIGNING_KEY must be a secret name",
        "unknown deploy setting DEPLOY_COLOUR",
        "MAIL_TRANSPORT",
        "PUBLIC_BASE_URL must be an https:// address",
    ):
        assert expected in message
    assert "in the env file" not in message  # a secret's value is never repeated


@pytest.mark.parametrize(
    "line",
    [
        "MAIL_TRANSPORT:\n  - ses",
        "  MAIL_TRANSPORT: ses",
        "MAIL_TRANSPORT: [ses]",
        "MAIL_TRANSPORT: {a: b}",
        'MAIL_TRANSPORT: "ses',
        "MAIL_TRANSPORT: |",
        "mail-transport: ses",
        "MAIL_TRANSPORT ses",
    ],
)
def test_an_env_file_line_gcloud_would_misread_is_refused_with_its_number(tmp_path, line):
    env_file = write(tmp_path, f"# settings\n{line}\n")
    with pytest.raises(deploy_settings.DeploySettingsError, match=r"env.yaml:2: "):
        deploy_settings.read_env_file(env_file)


def test_a_key_set_twice_is_refused(tmp_path):
    with pytest.raises(deploy_settings.DeploySettingsError, match="set twice"):
        deploy_settings.read_env_file(write(tmp_path, "A: 'x'\nA: 'y'\n"))


# ---- what a deployed function is made from ------------------------------------------------------


def test_a_functions_fingerprint_follows_its_source_environment_and_flags(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "main.py").write_text("x = 1\n")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("A: 'b'\n")
    args = ["--gen2", f"--source={source}", f"--env-vars-file={env_file}", "--memory=256Mi"]
    first = steps.function_fingerprint(args, steps.tree_hash(source), env_file)

    moved = [a.replace(str(tmp_path), "/elsewhere") for a in args]
    assert steps.function_fingerprint(moved, steps.tree_hash(source), env_file) == first
    env_file.write_text("A: 'c'\n")
    assert steps.function_fingerprint(args, steps.tree_hash(source), env_file) != first
    env_file.write_text("A: 'b'\n")
    (source / "main.py").write_text("x = 2\n")
    assert steps.function_fingerprint(args, steps.tree_hash(source), env_file) != first
    assert len(first) <= 63  # a label value


def test_cleanup_policies_as_the_api_answers_them_equal_ours():
    answered = {
        "cleanupPolicies": {
            "keep-latest": {
                "id": "keep-latest",
                "action": "KEEP",
                "mostRecentVersions": {"keepCount": 2},
            },
            "delete-old": {
                "id": "delete-old",
                "action": "DELETE",
                "condition": {"tagState": "ANY", "olderThan": "604800s"},
            },
        }
    }
    ours = {"cleanupPolicies": steps._policy_map()}
    assert steps._policies(answered) == steps._policies(ours)
    answered["cleanupPolicies"]["delete-old"]["condition"]["olderThan"] = "86400s"
    assert steps._policies(answered) != steps._policies(ours)


def test_the_pinned_requirements_name_nothing_of_the_machine_that_locked_them():
    for name in ("functions/requirements.txt", "requirements-dev.txt"):
        text = (REPOSITORY / name).read_text()
        for mark in ("--extra-index-url", "--index-url", "--find-links", "file://", "/opt/"):
            assert mark not in text, (name, mark)
    lock = (REPOSITORY / "devstack" / "lock-requirements.sh").read_text()
    assert "--no-emit-index-url" in lock and "--no-emit-find-links" in lock


def test_the_example_env_file_is_valid_as_written(tmp_path):
    assert deploy.main(["examples", str(tmp_path)], out=io.StringIO()) == 0
    env_file = tmp_path / "my-env.yaml"
    settings = deploy_settings.load("my-project", "europe-west4", env_file)
    assert settings.environment["MAIL_TRANSPORT"] == "ses"
    assert set(deploy_settings.read_secrets_file(settings.secrets_file)) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    }


def test_the_examples_are_never_written_over_a_file_filled_in(tmp_path):
    (tmp_path / "secrets.env").write_text("AWS_SECRET_ACCESS_KEY=mine\n")
    out = io.StringIO()
    assert deploy.main(["examples", str(tmp_path)], out=out) == 1
    assert (tmp_path / "secrets.env").read_text() == "AWS_SECRET_ACCESS_KEY=mine\n"
    assert "exists already" in out.getvalue()


def test_the_examples_make_the_folder_they_are_asked_for(tmp_path):
    folder = tmp_path / "new" / "config"
    assert deploy.main(["examples", str(folder)], out=io.StringIO()) == 0
    assert sorted(path.name for path in folder.iterdir()) == ["my-env.yaml", "secrets.env"]


def test_a_folder_that_cannot_be_written_gets_a_sentence_not_a_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = io.StringIO()
    assert deploy.main(["examples", str(blocker / "config")], out=out) == 1
    assert out.getvalue().startswith("cannot write ")
    assert "Traceback" not in out.getvalue()
