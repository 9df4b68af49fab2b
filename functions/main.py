"""Cloud Functions entry points: each parses, calls one service, and answers. No logic here."""

import functions_framework

from buurtwhatsapp import bootstrap
from buurtwhatsapp.mail.delivery import deliver
from buurtwhatsapp.web import signup as signup_page
from buurtwhatsapp.web import sweep
from buurtwhatsapp.web.events import created_mail_id
from buurtwhatsapp.web.http import dispatch


def _templates():
    return bootstrap.runtime().templates


@functions_framework.http
def signup(request):
    """GET the sign-up form; POST a sign-up."""
    return dispatch(
        request,
        _templates,
        {
            "GET": lambda r: signup_page.show_form(r, bootstrap.runtime()),
            "POST": lambda r: signup_page.submit(r, bootstrap.runtime()),
        },
    )


@functions_framework.cloud_event
def deliver_mail(cloud_event):
    """Triggered by the creation of a document in the ``mail`` collection."""
    mail_id = created_mail_id(cloud_event)
    if mail_id is not None:
        deliver(mail_id, bootstrap.mailer())


@functions_framework.http
def sweep_mail(request):
    """Cloud Scheduler: deliver retries, lapsed leases and mail whose trigger never came."""
    return dispatch(request, _templates, {"POST": lambda r: sweep.run(r, bootstrap.mailer())})
