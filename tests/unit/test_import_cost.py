"""What a cold start pays at import: every function imports functions/main.py, so nothing
that only some requests need may load there (the transports' libraries, the validation stack,
pydantic). Each is loaded where it is used, once per instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.deploy import stage
from tests.conftest import EXAMPLE_DEPLOYMENT, REPOSITORY

# Not at import: boto3 (SES only), email-validator and phonenumbers (the forms and the mails
# about members), pydantic and tomllib (the deployment file, read once at the first request,
# from its compiled copy in an upload), markdown-it (news mail only).
LAZY = (
    "boto3", "botocore", "email_validator", "phonenumbers", "pydantic", "pydantic_core",
    "markdown_it", "tomllib",
)  # fmt: skip


def modules_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running ``code``: this test
    process has long imported all of them through other tests."""
    listing = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    printed = run_python(
        f"{code}\nimport json, sys\n{listing}", cwd=REPOSITORY, path=REPOSITORY / "functions"
    )
    return set(json.loads(printed.strip().splitlines()[-1]))


def test_importing_the_entry_points_loads_none_of_what_only_some_requests_need():
    loaded = modules_after("import main")
    assert not loaded & set(LAZY), sorted(loaded & set(LAZY))
    assert "google" in loaded and "functions_framework" in loaded  # the floor itself


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "from buurtwhatsapp.common import contacts; contacts.normalise_email('a@bücher.de')",
            "email_validator",
        ),
        (
            "from buurtwhatsapp.common import contacts; contacts.phone_display('+31201234567')",
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


def test_what_nearly_everyone_types_is_read_without_the_contact_libraries():
    """A plain address and a Dutch mobile number, read and shown (common/contacts.py's
    shortcuts): a sign-up's and a coordinator page's cold start skip 30 ms of imports."""
    loaded = modules_after(
        "from buurtwhatsapp.common import contacts\n"
        "assert contacts.normalise_email(' jan@example.org ') == 'jan@example.org'\n"
        "assert contacts.normalise_phone('06-12345678', mobile=True) == '+31612345678'\n"
        "assert contacts.phone_display('+31612345678') == '06 12345678'\n"
    )
    assert not loaded & {"email_validator", "phonenumbers"}


def test_a_staged_function_reads_its_deployment_without_checking_it_again(tmp_path):
    """The upload carries the deployment file checked at staging: the first request of every
    function skips pydantic and the contact libraries (about 100 ms of cold start)."""
    printed = run_in_upload(
        stage(EXAMPLE_DEPLOYMENT, tmp_path),
        "import os, sys, json\n"
        "os.environ.update(GOOGLE_CLOUD_PROJECT='demo-x', MAIL_TRANSPORT='file',"
        " FIRESTORE_EMULATOR_HOST='127.0.0.1:9')\n"
        "import main\n"
        "from buurtwhatsapp import bootstrap\n"
        "runtime = bootstrap.runtime()\n"
        "print(runtime.deployment.initiative.name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n",
    )
    name, loaded = printed.strip().splitlines()[-2:]
    assert name == "Buurt WhatsApp Buitenkaag"
    assert not set(json.loads(loaded)) & set(LAZY)


def test_a_staged_function_makes_every_class_of_its_request_from_the_deploys_code(tmp_path):
    """No method of our dataclasses is compiled in an instance (common/compiled_classes.py):
    18 ms of every function's cold start."""
    upload = stage(EXAMPLE_DEPLOYMENT, tmp_path)
    assert (upload / "buurtwhatsapp" / "__compiled__" / "classes.marshal").is_file()
    printed = run_in_upload(
        upload,
        "import json\n"
        "import main\n"
        "from buurtwhatsapp.web import forms, group_page, link_pages, overview, scheduled\n"
        "from buurtwhatsapp.mail import delivery\n"
        "from buurtwhatsapp.common.compiled_classes import compiled_class_counts\n"
        "print(json.dumps(compiled_class_counts()))\n",
    )
    hits, compiled = json.loads(printed.strip().splitlines()[-1])
    ours = {module: count for module, count in compiled.items() if module.startswith("buurt")}
    assert hits > 200 and not ours, (hits, ours)


def run_in_upload(upload: Path, code: str) -> str:
    """What ``code`` prints, run by a fresh interpreter in the staged ``upload``."""
    return run_python(code, cwd=upload, path=upload)


def run_python(code: str, *, cwd: Path, path: Path) -> str:
    """What ``code`` prints, run by a fresh interpreter in ``cwd`` with ``path`` to import."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(path)},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


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
