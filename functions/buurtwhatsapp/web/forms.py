"""The two public forms (sign-up and coordinator application): show, submit, thank.

Both behave alike: a browser gets the form back with what was typed and every problem beside
its field (422) or a 303 to the thank-you page; a JSON client gets 422 with the errors or 201.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypedDict

import flask

from ..bootstrap import Runtime
from ..coordinators.applications import apply
from ..forms.validation import InvalidInput, RedirectRefused, check_redirect, prefill_from_link
from ..residents.signup import sign_up
from .embedding import form_headers, is_embedded, resize_script
from .http import json_response, page_response, read_submission, redirect_response, wants_json

REDIRECT_REFUSED = (
    "Na het aanmelden zou u naar een website gaan die niet bij dit initiatief hoort. Daarom "
    "hebben wij niets opgeslagen. Meld u aan via het formulier op de website van het initiatief."
)


class Frame(TypedDict):
    """What the layout needs to show a page inside a site's iframe: no header and footer, and
    the resize script, told which sites to talk to."""

    embed: bool
    embed_parents: str


def _frame(runtime: Runtime, embedded: bool) -> Frame:
    return {"embed": embedded, "embed_parents": " ".join(runtime.settings.embed_origins)}


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
        if request.args.get("script") == "resize":
            return resize_script(runtime.templates)
        # The frame's CSP is serve's (embeddable); the page only says how to look in one.
        frame = _frame(runtime, is_embedded(request))
        if request.args.get("received") is not None:
            return page_response(runtime.templates, self.received_template, **frame)
        prefill = prefill_from_link(request.args, runtime.deployment)
        return page_response(
            runtime.templates,
            self.template,
            values=dict(prefill.values),
            errors={},
            link_area=prefill.area,
            notices=prefill.notices,
            **frame,
        )

    def submit(self, request: flask.Request, runtime: Runtime) -> flask.Response:
        raw: Mapping[str, object] = read_submission(request, runtime.settings.max_body_bytes)
        embedded = is_embedded(request)
        frame = _frame(runtime, embedded)
        try:
            # Checked before anything is stored: a refused redirect loses nothing.
            go_back = check_redirect(raw.get("redirect"), runtime.settings.allowed_origins)
        except RedirectRefused:
            if wants_json(request):
                return json_response({"errors": {"redirect": REDIRECT_REFUSED}}, 400)
            return page_response(
                runtime.templates, "pages/problem.html", 400, message=REDIRECT_REFUSED, **frame
            )
        try:
            self.service(raw, runtime)
        except InvalidInput as invalid:
            if wants_json(request):
                return json_response({"errors": invalid.errors}, 422)
            back = (go_back.origin,) if go_back else ()
            headers = form_headers(runtime.settings, embedded=embedded, redirect_to=back)
            return page_response(
                runtime.templates,
                self.template,
                422,
                headers,
                values=raw,
                errors=invalid.errors,
                redirect=go_back.url if go_back else None,
                link_area=prefill_from_link(request.args, runtime.deployment).area,
                **frame,
            )
        if wants_json(request):
            return json_response({"status": "received", "message": self.received_message}, 201)
        if go_back is not None:
            return redirect_response(go_back.url)
        return redirect_response("?received=1&embed=1" if embedded else "?received=1")


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
