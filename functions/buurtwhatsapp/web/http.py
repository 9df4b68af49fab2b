"""Request parsing and response building shared by every HTTP function."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

import flask
import jinja2

log = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Tokens travel in query strings: never hand them to another site. (Not "no-referrer":
    # under it browsers send "Origin: null" even to our own forms; see web/guard.py.)
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}


class HttpProblem(Exception):
    """An answer other than success, with a Dutch message for people and a status for clients."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def read_submission(request: flask.Request, max_bytes: int) -> dict[str, object]:
    """The submitted fields of a form or JSON body; HttpProblem for anything else."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    if request.mimetype not in (FORM_TYPE, JSON_TYPE):
        raise HttpProblem(
            415,
            "Dit formulier accepteert alleen formuliergegevens of JSON "
            f"({FORM_TYPE} of {JSON_TYPE}).",
        )
    # A body without Content-Length (chunked) is read only up to one byte past the limit.
    body = request.stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpProblem(400, "De gegevens zijn niet als UTF-8 verstuurd.") from error
    if request.mimetype == FORM_TYPE:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        document = json.loads(text)
    except ValueError as error:
        raise HttpProblem(400, "De JSON-gegevens zijn niet leesbaar.") from error
    if not isinstance(document, dict):
        raise HttpProblem(400, "Verstuur de gegevens als één JSON-object met velden.")
    return document


def _too_large(max_bytes: int) -> HttpProblem:
    return HttpProblem(413, f"Het verzoek is te groot (hoogstens {max_bytes // 1024} kB).")


def wants_json(request: flask.Request) -> bool:
    """JSON clients get JSON answers: they send JSON, or prefer it over HTML."""
    if request.mimetype == JSON_TYPE:
        return True
    best = request.accept_mimetypes.best_match(["text/html", JSON_TYPE], default="text/html")
    return best == JSON_TYPE


def json_response(body: object, status: int, headers: Mapping[str, str] | None = None):
    response = flask.Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON_TYPE
    )
    response.headers.update(headers or {})
    return _secured(response)


def page_response(
    templates: jinja2.Environment,
    template: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: object,
):
    html = templates.get_template(template).render(**context)
    response = flask.Response(html, status=status, mimetype="text/html")
    response.headers.update(headers or {})
    return _secured(response)


def redirect_response(location: str):
    return _secured(flask.Response("", status=303, headers={"Location": location}))


def _secured(response: flask.Response) -> flask.Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


Handler = Callable[[flask.Request], flask.Response]


def dispatch(
    request: flask.Request,
    templates: Callable[[], jinja2.Environment],
    handlers: Mapping[str, Handler],
) -> flask.Response:
    """Route by method and turn every failure into a clear answer, never a stack trace.

    ``handlers`` maps methods to handlers (HEAD follows GET). ``templates`` is a callable so
    that a broken deployment still gets a plain error answer.
    """
    method = "GET" if request.method == "HEAD" else request.method
    try:
        handler = handlers.get(method)
        if handler is None:
            allowed = sorted({*handlers, "HEAD"} if "GET" in handlers else set(handlers))
            allowed = [m for m in allowed if m != "OPTIONS"]
            raise HttpProblem(
                405,
                "Deze methode wordt hier niet ondersteund.",
                {"Allow": ", ".join(allowed)},
            )
        return handler(request)
    except HttpProblem as problem:
        return problem_response(request, templates, problem)
    except Exception:
        # The log gets the stack trace; the client gets a friendly sentence only.
        log.exception("request failed", extra={"path": request.path, "method": request.method})
        return problem_response(
            request,
            templates,
            HttpProblem(
                500,
                "Er ging aan onze kant iets mis. Probeer het over een paar minuten opnieuw; "
                "lukt het dan nog niet, stuur ons dan een e-mail.",
            ),
        )


def problem_response(
    request: flask.Request,
    templates: Callable[[], jinja2.Environment],
    problem: HttpProblem,
) -> flask.Response:
    if wants_json(request):
        return json_response({"error": problem.message}, problem.status, problem.headers)
    try:
        return page_response(
            templates(),
            "pages/problem.html",
            problem.status,
            problem.headers,
            message=problem.message,
        )
    except Exception:
        log.exception("error page could not be rendered")
        response = flask.Response(problem.message, status=problem.status, mimetype="text/plain")
        response.headers.update(problem.headers)
        return _secured(response)
