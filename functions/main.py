"""Cloud Functions entry points: each names its handlers; the pipeline (web/serve.py) parses,
checks and answers. No logic here.

Every function's instance imports this module, so each entry point imports its own handlers:
a sign-up never loads the mail stack, a delivery never the forms (a shorter cold start).

infra/functions.py lists them with their triggers; the dev server mounts each at its path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import flask
import functions_framework
from functions_framework import errorhandler
from werkzeug.exceptions import HTTPException

from buurtwhatsapp.web.http import framework_refusal
from buurtwhatsapp.web.serve import serve

if TYPE_CHECKING:
    from cloudevents.http import CloudEvent


@functions_framework.http
def signup(request: flask.Request) -> flask.Response:
    """GET the sign-up form; POST a sign-up."""
    from buurtwhatsapp.web.forms import SIGNUP

    routes = {"GET": SIGNUP.show, "POST": SIGNUP.submit}
    return serve(request, routes, rate_limited=True, embeddable=True)


@functions_framework.http
def coordinator(request: flask.Request) -> flask.Response:
    """GET the coordinator application form; POST an application."""
    from buurtwhatsapp.web.forms import COORDINATOR

    routes = {"GET": COORDINATOR.show, "POST": COORDINATOR.submit}
    return serve(request, routes, rate_limited=True, embeddable=True)


@functions_framework.http
def confirm(request: flask.Request) -> flask.Response:
    """The resident's confirm link: GET a page with a button, POST confirms."""
    from buurtwhatsapp.web import link_pages

    return serve(request, {"GET": link_pages.show_confirm, "POST": link_pages.confirm})


@functions_framework.http
def added(request: flask.Request) -> flask.Response:
    """The coordinator's link: GET a page with a button, POST marks the member added."""
    from buurtwhatsapp.web import link_pages

    return serve(request, {"GET": link_pages.show_added, "POST": link_pages.added})


@functions_framework.http
def leave(request: flask.Request) -> flask.Response:
    """The leave link in every resident mail: GET a page with a button, POST erases."""
    from buurtwhatsapp.web import link_pages

    return serve(request, {"GET": link_pages.show_leave, "POST": link_pages.leave})


@functions_framework.http
def join(request: flask.Request) -> flask.Response:
    """The resident's way into an invite-mode group: GET a page with the group's link now."""
    from buurtwhatsapp.web import link_pages

    return serve(request, {"GET": link_pages.show_join})


@functions_framework.http
def still(request: flask.Request) -> flask.Response:
    """The yearly check's answer: GET a page with a button, POST records "ik doe nog mee"."""
    from buurtwhatsapp.web import link_pages

    return serve(request, {"GET": link_pages.show_still, "POST": link_pages.still})


@functions_framework.http
def rules(request: flask.Request) -> flask.Response:
    """New group rules: GET a page with the rules and a button, POST records the acceptance."""
    from buurtwhatsapp.web import link_pages

    return serve(request, {"GET": link_pages.show_rules, "POST": link_pages.rules})


@functions_framework.http
def group(request: flask.Request) -> flask.Response:
    """The coordinator's own page: GET reads it (or a vCard), POST marks a step or sets the
    group's invite link."""
    from buurtwhatsapp.web import group_page

    return serve(request, {"GET": group_page.show, "POST": group_page.act})


@functions_framework.http
def overview(request: flask.Request) -> flask.Response:
    """The regiegroep's overview (dekking) behind their signed link: GET only, counts only."""
    from buurtwhatsapp.web.overview import show

    return serve(request, {"GET": show})


# functions-framework points ``errorhandler`` at the app it is building just before it runs
# this module, so the name imported above registers on that app. Not an entry point.
@errorhandler(HTTPException)  # type: ignore[untyped-decorator]
def refused_by_the_framework(error: HTTPException) -> flask.Response:
    """What functions-framework refuses before any function runs (deliver_mail's route answers
    only POST) leaves with the same headers as every other answer."""
    return framework_refusal(flask.request, error)


@functions_framework.cloud_event
def deliver_mail(cloud_event: CloudEvent) -> None:
    """Triggered by the creation of a document in the ``mail`` collection."""
    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.mail.delivery import deliver
    from buurtwhatsapp.web.events import created_mail_id

    mail_id = created_mail_id(cloud_event)
    if mail_id is not None:
        deliver(mail_id, bootstrap.runtime().mailer)


@functions_framework.http
def sweep_mail(request: flask.Request) -> flask.Response:
    """Cloud Scheduler: deliver retries, lapsed leases and mail whose trigger never came."""
    from buurtwhatsapp.web import scheduled

    return serve(request, {"POST": scheduled.sweep_mail}, browser_facing=False)


@functions_framework.http
def housekeeping(request: flask.Request) -> flask.Response:
    """Cloud Scheduler: reminders and the expiry of unconfirmed sign-ups."""
    from buurtwhatsapp.web import scheduled

    return serve(request, {"POST": scheduled.housekeeping}, browser_facing=False)
