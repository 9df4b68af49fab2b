"""What the request path pays at import: pydantic only where the deployment file is read."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPOSITORY


def test_importing_the_entry_points_does_not_import_pydantic():
    # A fresh interpreter: this test process has long imported pydantic through test_config.
    probe = "import sys, main; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY / "functions")},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
