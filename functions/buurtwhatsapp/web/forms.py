"""The two public forms (sign-up and coordinator application): show, submit, thank.

Both behave alike: a browser gets the form back with what was typed and every problem beside
its field (422) or a 303 to the thank-you page; a JSON client gets 422 with the errors or 201.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import flask

from ..bootstrap import Runtime
from ..coordinators.applications import apply
from ..forms.validation import InvalidInput
from ..residents.signup import sign_up
from .http import json_response, page_response, read_submission, redirect_response, wants_json

# A service takes what was posted and the runtime's collaborators it needs.
Service = Callable[[Mapping[str, object], Runtime], None]


def _sign_up(raw: Mapping[str, object], runtime: Runtime) -> None:
    sign_up(
        raw,
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        keys=runtime.keys,
    )


def _apply(raw: Mapping[str, object], runtime: Runtime) -> None:
    apply(
        raw,
        deployment=runtime.deployment,
        store=runtime.store,
        clock=runtime.clock,
        keys=runtime.keys,
        people=runtime.people,
    )


@dataclass(frozen=True, slots=True)
class Form:
    template: str
    received_template: str
    received_message: str
    service: Service

    def show(self, request: flask.Request, runtime: Runtime) -> flask.Response:
        if request.args.get("received") is not None:
            return page_response(runtime.templates, self.received_template)
        return page_response(runtime.templates, self.template, values={}, errors={})

    def submit(self, request: flask.Request, runtime: Runtime) -> flask.Response:
        raw: Mapping[str, object] = read_submission(request, runtime.settings.max_body_bytes)
        try:
            self.service(raw, runtime)
        except InvalidInput as invalid:
            if wants_json(request):
                return json_response({"errors": invalid.errors}, 422)
            return page_response(
                runtime.templates, self.template, 422, values=raw, errors=invalid.errors
            )
        if wants_json(request):
            return json_response({"status": "received", "message": self.received_message}, 201)
        return redirect_response("?received=1")


SIGNUP = Form(
    template="pages/signup.html",
    received_template="pages/signup_received.html",
    received_message=(
        "Dank u wel voor uw aanmelding. U krijgt een e-mail met de werkwijze en een link om uw "
        "e-mailadres te bevestigen."
    ),
    service=_sign_up,
)

COORDINATOR = Form(
    template="pages/coordinator.html",
    received_template="pages/coordinator_received.html",
    received_message=(
        "Dank u wel voor uw aanmelding als coördinator. De regiegroep neemt zo snel mogelijk "
        "contact met u op."
    ),
    service=_apply,
)
