"""Functions called by Cloud Scheduler: deliver due mail, and the housekeeping (with the
regiegroep's monthly digest).

Each handler imports what only it uses: the sweep starts cold without housekeeping's modules
(5 ms).
"""

from __future__ import annotations

import logging

import flask

from ..bootstrap import Runtime
from ..common.logs import SCHEDULED_RUN_DONE
from .http import json_response

log = logging.getLogger(__name__)


def sweep_mail(_request: flask.Request, runtime: Runtime) -> flask.Response:
    from ..mail.delivery import sweep

    counts = sweep(runtime.mailer)
    log.info(SCHEDULED_RUN_DONE, extra={"job": "sweep-mail"})
    return json_response(counts, 200)


def housekeeping(_request: flask.Request, runtime: Runtime) -> flask.Response:
    from ..coordinators.applications import send_application_digest
    from ..overview.digest import send_monthly_digest
    from ..overview.recount import count_stragglers
    from ..residents.housekeeping import run_housekeeping

    counts = run_housekeeping(
        deployment=runtime.deployment,
        people=runtime.people,
        store=runtime.store,
        clock=runtime.clock,
        keys=runtime.keys,
    )
    # The applications that came in beyond the hour's alerts, in one mail per member.
    counts["application_digest_mails"] = send_application_digest(
        people=runtime.people, store=runtime.store, clock=runtime.clock
    )
    # What a step of an instance with the deployment file before counted under its streets,
    # counted under today's (none on most runs), before the digest reads the counters.
    counts["counted_anew"] = count_stragglers(
        layout=runtime.layout, store=runtime.store, clock=runtime.clock
    )
    # Then the regiegroep's monthly digest: once a calendar month, however often this runs.
    counts["digest_mails"] = send_monthly_digest(
        deployment=runtime.deployment,
        people=runtime.people,
        store=runtime.store,
        clock=runtime.clock,
    )
    log.info(SCHEDULED_RUN_DONE, extra={"job": "housekeeping"})
    return json_response(counts, 200)
