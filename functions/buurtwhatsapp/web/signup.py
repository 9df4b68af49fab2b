"""``/signup``: the sign-up form, its submission and the thank-you page."""

from __future__ import annotations

import flask

from ..bootstrap import Runtime
from ..signups import sign_up
from ..validation import InvalidInput
from .http import (
    json_response,
    page_response,
    read_submission,
    redirect_response,
    wants_json,
)

RECEIVED_MESSAGE = (
    "Dank u wel voor uw aanmelding. U krijgt een e-mail met de werkwijze en een link om uw "
    "e-mailadres te bevestigen."
)


def show_form(request: flask.Request, runtime: Runtime) -> flask.Response:
    if request.args.get("received") is not None:
        return page_response(runtime.templates, "pages/signup_received.html")
    return page_response(runtime.templates, "pages/signup.html", values={}, errors={})


def submit(request: flask.Request, runtime: Runtime) -> flask.Response:
    raw = read_submission(request, runtime.settings.max_body_bytes)
    try:
        sign_up(raw, deployment=runtime.deployment, store=runtime.store, clock=runtime.clock)
    except InvalidInput as invalid:
        if wants_json(request):
            return json_response({"errors": invalid.errors}, 422)
        return page_response(
            runtime.templates,
            "pages/signup.html",
            422,
            values=raw,
            errors=invalid.errors,
        )
    if wants_json(request):
        return json_response({"status": "received", "message": RECEIVED_MESSAGE}, 201)
    return redirect_response("?received=1")
