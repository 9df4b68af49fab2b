"""Every shell script of the project passes shellcheck (installed by make setup)."""

from __future__ import annotations

import subprocess

from tests.conftest import REPOSITORY

SHELLS = (b"#!/usr/bin/env bash", b"#!/bin/bash", b"#!/bin/sh", b"#!/usr/bin/env sh")


def shell_scripts() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPOSITORY, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    scripts = []
    for name in tracked:
        path = REPOSITORY / name
        if path.is_file() and (name.endswith(".sh") or path.read_bytes()[:20].startswith(SHELLS)):
            scripts.append(name)
    return sorted(scripts)


def test_every_shell_script_passes_shellcheck():
    scripts = shell_scripts()
    assert {".ci/run", "infra/maintain", "devstack/lock-requirements.sh"} <= set(scripts)
    result = subprocess.run(
        ["shellcheck", "--external-sources", *scripts],
        cwd=REPOSITORY, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_finds_what_it_should(tmp_path):
    script = tmp_path / "broken.sh"
    script.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert result.returncode == 1 and "SC2086" in result.stdout
