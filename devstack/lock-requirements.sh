#!/usr/bin/env bash
# Regenerate the pinned requirement files from pyproject.toml (run after changing dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q pip-tools
# The index and wheel folders pip is configured with on one machine mean nothing on another.
opts=(-q --strip-extras --no-header --annotation-style=line --no-emit-index-url --no-emit-find-links)
.venv/bin/pip-compile "${opts[@]}" -o functions/requirements.txt pyproject.toml
.venv/bin/pip-compile "${opts[@]}" --extra dev -c functions/requirements.txt -o requirements-dev.txt pyproject.toml
