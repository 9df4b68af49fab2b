#!/usr/bin/env bash
# Regenerate the pinned requirement files from pyproject.toml (run after changing dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q pip-tools
opts=(-q --strip-extras --no-header --annotation-style=line)
.venv/bin/pip-compile "${opts[@]}" -o functions/requirements.txt pyproject.toml
.venv/bin/pip-compile "${opts[@]}" --extra dev -c functions/requirements.txt -o requirements-dev.txt pyproject.toml
