"""The layers of the package are enforced, not described: import-linter's contracts in
pyproject.toml hold for the package, and break for a copy with one import the wrong way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(functions: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(REPOSITORY / "pyproject.toml")],
        cwd=functions,
        env={**os.environ, "PYTHONPATH": str(functions)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    target = tmp_path / "functions"
    shutil.copytree(
        REPOSITORY / "functions" / "buurtwhatsapp",
        target / "buurtwhatsapp",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return target


def test_the_package_keeps_every_contract(package_copy):
    result = lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        # The store reaching up into the HTTP adapter.
        ("store.py", "from .web import http", "Layers"),
        # The overview running a step of a resident's journey.
        ("overview/digest.py", "from ..residents import membership", "The overview counts"),
        # A service loading the deployment file's schema (and pydantic) itself.
        ("residents/signup.py", "from ..deployment import schema", "Only loading"),
        # A page (or any module but the maintainer's command line) able to send news.
        ("web/link_pages.py", "from ..residents import news", "Only the maintainer's"),
    ],
)
def test_one_import_the_wrong_way_breaks_a_contract(package_copy, module, wrong_import, broken):
    path = package_copy / "buurtwhatsapp" / module
    text = path.read_text()
    anchor = "from __future__ import annotations\n"
    path.write_text(text.replace(anchor, f"{anchor}\n{wrong_import}  # noqa\n", 1))

    result = lint_imports(package_copy)

    assert result.returncode != 0
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(broken)]
    assert any(line.endswith(" BROKEN") for line in verdicts), result.stdout
    assert ", 0 broken" not in result.stdout
