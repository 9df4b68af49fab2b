"""What a cold start pays at import: every function imports functions/main.py, so nothing
that only some requests need may load there (the transports' libraries, the validation stack,
pydantic). Each is loaded where it is used, once per instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE_DEPLOYMENT, REPOSITORY

# Not at import: boto3 (SES only), email-validator and phonenumbers (the forms and the mails
# about members), pydantic (the deployment file, read once at the first request), markdown-it
# (news mail only).
LAZY = (
    "boto3", "botocore", "email_validator", "phonenumbers", "pydantic", "pydantic_core",
    "markdown_it",
)  # fmt: skip


def modules_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running ``code``: this test
    process has long imported all of them through other tests."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    probe = f"{code}\nimport json, sys\n{listing}"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY / "functions")},
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_entry_points_loads_none_of_what_only_some_requests_need():
    loaded = modules_after("import main")
    assert not loaded & set(LAZY), sorted(loaded & set(LAZY))
    assert "google" in loaded and "functions_framework" in loaded  # the floor itself


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "from buurtwhatsapp.common import contacts; contacts.normalise_email('a@b.org')",
            "email_validator",
        ),
        (
            "from buurtwhatsapp.common import contacts; contacts.phone_display('+31612345678')",
            "phonenumbers",
        ),
        (
            "from buurtwhatsapp.settings import Settings\n"
            "from buurtwhatsapp.mail.transports import transport_from_settings\n"
            "transport_from_settings(Settings.from_env({'MAIL_TRANSPORT': 'ses', "
            "'SIGNING_KEY': 'k' * 40, 'KEY_PEPPER': 'p' * 40, 'AWS_ACCESS_KEY_ID': 'a', "
            "'AWS_SECRET_ACCESS_KEY': 'b'}))",
            "boto3",
        ),
        (
            "from buurtwhatsapp.common.rendering import template_environment\n"
            "from pathlib import Path\n"
            "template_environment(Path('templates')).from_string('{{ t | markdown_text }}')"
            ".render(t='*x*')",
            "markdown_it",
        ),
    ],
    ids=["e-mail", "phone", "ses", "news"],
)
def test_each_library_loads_where_it_is_used(code, expected):
    assert expected in modules_after(code)


def test_a_staged_function_reads_its_deployment_without_checking_it_again(tmp_path):
    """The upload carries the deployment file checked at staging: the first request of every
    function skips pydantic and the contact libraries (about 100 ms of cold start)."""
    from infra.deploy import stage

    upload = stage(EXAMPLE_DEPLOYMENT, tmp_path)
    code = (
        "import os, sys, json\n"
        "os.environ.update(GOOGLE_CLOUD_PROJECT='demo-x', MAIL_TRANSPORT='file',"
        " FIRESTORE_EMULATOR_HOST='127.0.0.1:9')\n"
        "import main\n"
        "from buurtwhatsapp import bootstrap\n"
        "runtime = bootstrap.runtime()\n"
        "print(runtime.deployment.initiative.name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=upload,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(upload)},
    )
    assert result.returncode == 0, result.stderr
    name, loaded = result.stdout.strip().splitlines()[-2:]
    assert name == "Buurt WhatsApp Buitenkaag"
    assert not set(json.loads(loaded)) & set(LAZY)


def test_a_changed_deployment_file_is_checked_again_not_read_from_its_stale_copy(tmp_path):
    from buurtwhatsapp.deployment.loading import compile_deployment, load_deployment
    from buurtwhatsapp.deployment.structure import ConfigError

    path = tmp_path / "deployment.toml"
    path.write_text(EXAMPLE_DEPLOYMENT.read_text())
    compile_deployment(path)
    assert load_deployment(path).initiative.place == "Buitenkaag"
    path.write_text(EXAMPLE_DEPLOYMENT.read_text().replace('place = "Buitenkaag"', "place = 12"))
    with pytest.raises(ConfigError, match="place"):
        load_deployment(path)
