"""``/sweep_mail``: called by Cloud Scheduler to deliver what is due."""

from __future__ import annotations

import flask

from ..mail.delivery import Mailer, sweep
from .http import json_response


def run(request: flask.Request, mailer: Mailer) -> flask.Response:
    return json_response(sweep(mailer), 200)
