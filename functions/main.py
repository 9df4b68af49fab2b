"""Cloud Functions entry points: each parses, calls one service, and answers. No logic here.

infra/functions.py lists them with their triggers; the dev server mounts each at its path.
"""

import functions_framework

from buurtwhatsapp import bootstrap
from buurtwhatsapp.mail.delivery import deliver
from buurtwhatsapp.web import links, scheduled
from buurtwhatsapp.web.events import created_mail_id
from buurtwhatsapp.web.forms import COORDINATOR, SIGNUP
from buurtwhatsapp.web.http import dispatch


def _templates():
    return bootstrap.runtime().templates


def _serve(request, get=None, post=None):
    """Answer ``request`` with the handler for its method, given the instance's runtime."""
    handlers = {
        method: (lambda r, handler=handler: handler(r, bootstrap.runtime()))
        for method, handler in (("GET", get), ("POST", post))
        if handler is not None
    }
    return dispatch(request, _templates, handlers)


@functions_framework.http
def signup(request):
    """GET the sign-up form; POST a sign-up."""
    return _serve(request, get=SIGNUP.show, post=SIGNUP.submit)


@functions_framework.http
def coordinator(request):
    """GET the coordinator application form; POST an application."""
    return _serve(request, get=COORDINATOR.show, post=COORDINATOR.submit)


@functions_framework.http
def confirm(request):
    """The resident's confirm link: GET a page with a button, POST confirms."""
    return _serve(request, get=links.show_confirm, post=links.confirm)


@functions_framework.http
def added(request):
    """The coordinator's link: GET a page with a button, POST marks the member added."""
    return _serve(request, get=links.show_added, post=links.added)


@functions_framework.http
def leave(request):
    """The leave link in every resident mail: GET a page with a button, POST erases."""
    return _serve(request, get=links.show_leave, post=links.leave)


@functions_framework.cloud_event
def deliver_mail(cloud_event):
    """Triggered by the creation of a document in the ``mail`` collection."""
    mail_id = created_mail_id(cloud_event)
    if mail_id is not None:
        deliver(mail_id, bootstrap.mailer())


@functions_framework.http
def sweep_mail(request):
    """Cloud Scheduler: deliver retries, lapsed leases and mail whose trigger never came."""
    return dispatch(
        request, _templates, {"POST": lambda r: scheduled.sweep_mail(r, bootstrap.mailer())}
    )


@functions_framework.http
def housekeeping(request):
    """Cloud Scheduler: reminders and the expiry of unconfirmed sign-ups."""
    return _serve(request, post=scheduled.housekeeping)
