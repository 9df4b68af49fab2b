"""Builds the real collaborators lazily, once per instance, from one settings object.

Nothing here runs at import: the first request of an instance pays for reading the settings and
the deployment file and for creating the Firestore client; later requests reuse them.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import jinja2
from google.cloud import firestore

from .clock import Clock, SystemClock
from .config import Deployment, load_deployment
from .rendering import template_environment
from .settings import Settings
from .store import Store
from .validation import is_checked


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    deployment: Deployment
    store: Store
    templates: jinja2.Environment
    clock: Clock


@functools.cache
def runtime() -> Runtime:
    settings = Settings.from_env()
    client = firestore.Client(
        project=os.environ.get("GOOGLE_CLOUD_PROJECT") or None,
        database=os.environ.get("FIRESTORE_DATABASE") or "(default)",
    )
    deployment = load_deployment(settings.deployment_file)
    templates = template_environment(settings.templates_dir)
    templates.globals["initiative"] = deployment.initiative
    templates.tests["checked"] = is_checked
    return Runtime(
        settings=settings,
        deployment=deployment,
        store=Store(client),
        templates=templates,
        clock=SystemClock(),
    )


def reset() -> None:
    """Forget the built collaborators, so the next request reads the environment anew."""
    runtime.cache_clear()
