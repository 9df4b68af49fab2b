"""The maintainer's commands make keys under the deployment's pepper, read from Secret Manager
with the maintainer's gcloud login: never the local pepper against a real project."""

from __future__ import annotations

import io
import stat

import pytest

from buurtwhatsapp import cli
from infra import deploy_settings


@pytest.fixture
def fake_gcloud(tmp_path, monkeypatch):
    """A gcloud on PATH that answers ``secrets versions access`` as Secret Manager would."""

    def install(script: str) -> None:
        gcloud = tmp_path / "gcloud"
        gcloud.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\n{script}\n')
        gcloud.chmod(gcloud.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")

    return install


def test_the_pepper_is_read_from_secret_manager_for_a_real_project(fake_gcloud, tmp_path):
    fake_gcloud("printf 'the-deployed-pepper-%s' 0123456789abcdef")
    environ = {"GOOGLE_CLOUD_PROJECT": "buurt-test"}
    cli._load_pepper(environ)
    assert environ["KEY_PEPPER"] == "the-deployed-pepper-0123456789abcdef"
    args = (tmp_path / "args").read_text().split()
    assert args[:5] == [
        "secrets",
        "versions",
        "access",
        "latest",
        "--secret=buurtwhatsapp-key-pepper",
    ]
    assert "--project=buurt-test" in args


def test_a_pepper_that_cannot_be_read_stops_the_command(fake_gcloud):
    fake_gcloud("echo 'ERROR: (gcloud.secrets.versions.access) PERMISSION_DENIED' >&2; exit 1")
    environ = {"GOOGLE_CLOUD_PROJECT": "buurt-test"}
    with pytest.raises(cli.PepperUnavailable, match=r"PERMISSION_DENIED.*set KEY_PEPPER"):
        cli._load_pepper(environ)
    assert "KEY_PEPPER" not in environ


@pytest.mark.parametrize(
    "environ",
    [{"KEY_PEPPER": "given"}, {"FIRESTORE_EMULATOR_HOST": "localhost:8081"}],
    ids=["given", "emulator"],
)
def test_a_given_pepper_or_an_emulator_needs_no_secret_manager(environ, fake_gcloud, tmp_path):
    fake_gcloud("exit 1")
    before = dict(environ)
    cli._load_pepper(environ)
    assert environ == before and not (tmp_path / "args").exists()


def test_an_erasure_request_without_a_project_says_what_to_set(monkeypatch):
    for name in ("KEY_PEPPER", "FIRESTORE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    out = io.StringIO()
    assert cli.main(["erase", "--email", "zoe@example.org"], out=out) == 2
    assert out.getvalue() == "error: set GOOGLE_CLOUD_PROJECT to the project's id\n"


def test_the_secret_name_is_the_one_the_deploy_generates():
    assert deploy_settings.DEFAULT_SECRET_NAMES["KEY_PEPPER"] == cli.KEY_PEPPER_SECRET
    assert "KEY_PEPPER" in deploy_settings.GENERATED_SECRETS
