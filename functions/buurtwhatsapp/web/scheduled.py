"""Functions called by Cloud Scheduler: deliver due mail, and the daily housekeeping."""

from __future__ import annotations

import flask

from ..bootstrap import Runtime
from ..housekeeping import run_housekeeping
from ..mail.delivery import sweep
from .http import json_response


def sweep_mail(_request: flask.Request, runtime: Runtime) -> flask.Response:
    return json_response(sweep(runtime.mailer), 200)


def housekeeping(_request: flask.Request, runtime: Runtime) -> flask.Response:
    counts = run_housekeeping(
        deployment=runtime.deployment,
        people=runtime.people,
        store=runtime.store,
        clock=runtime.clock,
    )
    return json_response(counts, 200)
