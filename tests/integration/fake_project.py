"""A scripted Google Cloud project for the deploy's tests: tests/fake_gcloud.py on PATH as
gcloud, a state file it reads and changes, and a log of every call."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.cloud import firestore
from moto import mock_aws

from buurtwhatsapp.model import PEOPLE
from devstack import emulator
from infra import deploy, steps
from tests.conftest import EXAMPLE_DEPLOYMENT, REPOSITORY
from tests.fake_gcloud import fresh_state

FAKE_GCLOUD = REPOSITORY / "tests" / "fake_gcloud.py"
PROJECT = "buurt-test"
AWS_SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


@dataclass
class Run:
    code: int
    output: str
    calls: list[list[str]]  # every gcloud call, without the executable and --project
    stdin_calls: list[list[str]]

    @property
    def changes(self) -> list[str]:
        """The printed plan: each command it ran (or would run), shell-quoted as printed."""
        return [
            line.strip()[2:] for line in self.output.splitlines() if line.strip().startswith("$ ")
        ]

    def outcomes(self) -> list[str]:
        return [
            line.strip()[3:] for line in self.output.splitlines() if line.strip().startswith("-> ")
        ]


@dataclass
class Project:
    state_file: Path
    log_file: Path
    env_file: Path
    build_dir: Path
    run: Callable[..., Run]
    deployed: Callable[[], None]  # start from a project the deploy has done once

    @property
    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def edit(self, change: Callable[[dict], None]) -> None:
        state = self.state
        change(state)
        self.state_file.write_text(json.dumps(state))


ENV_FILE = """# the functions' settings
MAIL_TRANSPORT: "ses"
MAIL_SENDER: "Buurt WhatsApp Buitenkaag <buurtwhatsapp@example.org>"
SES_REGION: "eu-west-1"
DEPLOY_SECRETS_FILE: "secrets.env"
DEPLOY_ALERT_EMAIL: "beheer@example.org"
"""


@pytest.fixture(scope="session")
def fake_gcloud(tmp_path_factory) -> Path:
    """The fake as an executable that starts fast (no pyenv shim, no site packages): the
    deploy calls gcloud some seventy times a run."""
    wrapper = tmp_path_factory.mktemp("fake") / "gcloud"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S -E "{FAKE_GCLOUD}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.fixture(scope="session")
def deploy_firestore() -> Iterator[str]:
    """The project's Firestore for the deploy's people step, which writes with the real client:
    one emulator, which the client reaches through FIRESTORE_EMULATOR_HOST as any tool does."""
    with emulator.running(emulator.preferred_kind()) as running:
        yield running.host


@pytest.fixture(scope="session")
def deployed_state(tmp_path_factory, fake_gcloud, deploy_firestore) -> dict:
    """The scripted project after one full deploy, made once and copied by the tests that
    start from a deployed project."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        project = _project(
            tmp_path_factory.mktemp("deployed"), monkeypatch, fake_gcloud, deploy_firestore
        )
        run = project.run()
        assert run.code == 0, run.output
        return project.state


@pytest.fixture
def project(
    tmp_path, monkeypatch, fake_gcloud, deploy_firestore, deployed_state
) -> Iterator[Project]:
    # The check asks Amazon SES about the sender with the key from the secrets file: moto
    # answers, so that no test reaches AWS.
    with mock_aws():
        yield _project(tmp_path, monkeypatch, fake_gcloud, deploy_firestore, deployed_state)


def _project(
    tmp_path, monkeypatch, fake_gcloud, firestore_host: str, deployed_state=None
) -> Project:
    state_file, log_file = tmp_path / "state.json", tmp_path / "calls.jsonl"
    state_file.write_text(json.dumps(fresh_state(PROJECT)))
    (tmp_path / "secrets.env").write_text(
        f"AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
    )
    env_file = tmp_path / "env.yaml"
    env_file.write_text(ENV_FILE)
    monkeypatch.setenv("FAKE_GCLOUD_STATE", str(state_file))
    monkeypatch.setenv("FAKE_GCLOUD_LOG", str(log_file))
    monkeypatch.setattr(steps, "EVENTARC_RETRY_SECONDS", 0)
    monkeypatch.setattr(steps, "API_SETTLE_SECONDS", 0)
    monkeypatch.setenv(emulator.ENV_VAR, firestore_host)
    # The maintainer's application-default credentials file (check reads its quota project):
    # none unless a test writes one, never the machine's own.
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud-config"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    people_store = firestore.Client(project=PROJECT)
    for document in people_store.collection(PEOPLE).list_documents():
        document.delete()  # a new project: nobody stored yet
    build_dir = tmp_path / "build"

    def run(*extra: str, command: str = "deploy") -> Run:
        before = log_file.read_text().count("\n") if log_file.exists() else 0
        out = io.StringIO()
        argv = [command, f"--project={PROJECT}", f"--gcloud={fake_gcloud}"]
        if command == "deploy":
            argv += [f"--env-file={env_file}", f"--deployment={EXAMPLE_DEPLOYMENT}"]
            argv += [f"--build-dir={build_dir}"]
        elif command != "teardown":
            argv.append(f"--env-file={env_file}")
        code = deploy.main([*argv, *extra], out=out)
        logged = log_file.read_text().splitlines() if log_file.exists() else []
        entries = [json.loads(line) for line in logged[before:]]
        strip = lambda argv: [a for a in argv if a != f"--project={PROJECT}"]  # noqa: E731
        return Run(
            code,
            out.getvalue(),
            [strip(entry["argv"]) for entry in entries],
            [strip(entry["argv"]) for entry in entries if entry["stdin"]],
        )

    def deployed() -> None:
        assert deployed_state is not None
        state_file.write_text(json.dumps(deployed_state))

    return Project(state_file, log_file, env_file, build_dir, run, deployed)
