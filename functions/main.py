"""Cloud Functions entry points: each parses, calls one service, and answers. No logic here."""

import functions_framework

from buurtwhatsapp import bootstrap
from buurtwhatsapp.web import signup as signup_page
from buurtwhatsapp.web.http import dispatch


def _templates():
    return bootstrap.runtime().templates


@functions_framework.http
def signup(request):
    """GET the sign-up form; POST a sign-up."""
    return dispatch(
        request,
        _templates,
        get=lambda r: signup_page.show_form(r, bootstrap.runtime()),
        post=lambda r: signup_page.submit(r, bootstrap.runtime()),
    )
