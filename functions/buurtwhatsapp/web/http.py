"""Request parsing and response building shared by every HTTP function."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

import flask
import jinja2
from werkzeug.exceptions import HTTPException

from ..common.errors import BuurtWhatsAppError

log = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
# The forms take one flat object of scalars; a little nesting still gets a per-field answer
# ("Vul hier tekst in."), deeper is refused before parsing, long before json's recursion limit.
MAX_JSON_DEPTH = 20
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})


def content_security_policy(
    *, form_action: str = "'self'", frame_ancestors: str = "'none'", script_src: str | None = None
) -> str:
    """Our CSP: nothing loads but inline styles and our own images; a form posts to ourselves;
    no site frames us. The forms widen the last two for the sites that show or post them
    (web/embedding.py), and a framed form loads its one script."""
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors {frame_ancestors}; base-uri 'none'"
    )
    return policy + (f"; script-src {script_src}" if script_src else "")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Tokens travel in query strings: never hand them to another site. (Not "no-referrer":
    # under it browsers send "Origin: null" even to our own forms; see web/guard.py.)
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": content_security_policy(),
    "Cache-Control": "no-store",
}
# On answers to HTTPS requests only (see is_https). Without includeSubDomains (and so without
# preload): it would bind every name below the host that answered, and that host is a function
# URL under a domain Google owns, or a name of the initiative's whose other subdomains (an old
# HTTP-only site, say) are its owner's to decide on, not this backend's.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

# What a request may carry besides its body. functions-framework's gunicorn reads a request
# line of any length (it sets limit_request_line=0) and up to 100 header fields of 8190 bytes
# each, and Google documents no such limit for its front end on Cloud Run (README, "Slow and
# oversized requests"). Our links are under 400 bytes and a browser's headers under 4 KiB; what
# is longer is refused before anything is built or read for it.
MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024

METHOD_NOT_ALLOWED = "Deze methode wordt hier niet ondersteund."
NOT_PROCESSABLE = "Dit verzoek kan hier niet worden verwerkt."
NOT_UTF8 = (
    "De gegevens zijn niet als UTF-8 verstuurd. Verstuur het formulier opnieuw vanaf de "
    "website van het initiatief."
)


class HttpProblem(BuurtWhatsAppError):
    """An answer other than success, with a Dutch message for people and a status for clients."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def read_submission(request: flask.Request, max_bytes: int) -> dict[str, object]:
    """The submitted fields of a form or JSON body; HttpProblem for anything else.

    Everything a client can get wrong is refused here, with a Dutch sentence, before a single
    value reaches validation or storage: text that is not UTF-8 or holds lone surrogates (which
    Firestore cannot store and a page cannot show), nesting deep enough to exhaust the stack,
    compression, a foreign charset, a body that stops early.
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    if request.mimetype not in (FORM_TYPE, JSON_TYPE):
        raise HttpProblem(
            415,
            "Dit formulier accepteert alleen formuliergegevens of JSON "
            f"({FORM_TYPE} of {JSON_TYPE}).",
        )
    if request.headers.get("Content-Encoding", "").strip().lower() not in ("", "identity"):
        raise HttpProblem(
            415,
            "Dit formulier accepteert geen gecomprimeerde gegevens. Verstuur ze zonder "
            "compressie (Content-Encoding).",
        )
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in UTF8_CHARSETS:
        raise HttpProblem(415, NOT_UTF8)
    body = _read_body(request, max_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpProblem(400, NOT_UTF8) from error
    if request.mimetype == FORM_TYPE:
        try:
            # Strict: a percent-encoded byte that is not UTF-8 would otherwise become U+FFFD,
            # and the resident's name would be stored as something they never typed.
            return dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
        except UnicodeDecodeError as error:
            raise HttpProblem(400, NOT_UTF8) from error
    if _nested_deeper_than(text, MAX_JSON_DEPTH):
        raise HttpProblem(
            400,
            "De JSON-gegevens zijn te diep genest. Verstuur één JSON-object met per veld "
            "tekst of true/false.",
        )
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise HttpProblem(400, "De JSON-gegevens zijn niet leesbaar.") from error
    if not isinstance(document, dict):
        raise HttpProblem(400, "Verstuur de gegevens als één JSON-object met velden.")
    if _holds_lone_surrogate(document):
        raise HttpProblem(
            400,
            "De gegevens bevatten tekens die niet als tekst te lezen zijn. Controleer wat u "
            "heeft ingevuld en verstuur het opnieuw.",
        )
    return document


def _read_body(request: flask.Request, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of the body; 413 beyond, 400 if it stops before its end."""
    # A body without Content-Length (chunked) is read only up to one byte past the limit. One
    # read may return less than asked for, so read until the limit or the end.
    chunks: list[bytes] = []
    wanted = max_bytes + 1
    try:
        while wanted > 0 and (chunk := request.stream.read(wanted)):
            chunks.append(chunk)
            wanted -= len(chunk)
    except Exception as error:
        # Cut off before its Content-Length (werkzeug: ClientDisconnected; gunicorn:
        # NoMoreData, an OSError) or badly chunked (gunicorn: InvalidChunkSize and its kin,
        # plain Exceptions): either way the client's bytes, not our failure.
        raise HttpProblem(
            400, "Het verzoek is niet volledig aangekomen. Probeer het opnieuw."
        ) from error
    body = b"".join(chunks)
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    return body


def _discard_unread_body(request: flask.Request) -> None:
    """Read what is left of the body and throw it away, whatever state it is in.

    functions-framework reads every body to its end after the answer, keeping all of it in
    memory, and turns a body cut off before its end (which we already answered with 400) into
    a 500. Here the rest is discarded as it comes, and an empty stream is left for it.
    """
    try:
        while request.stream.read(64 * 1024):
            pass
    except Exception:
        pass  # as in _read_body: the client is gone or its framing is broken
    request.stream = io.BytesIO()


# Outside strings only brackets count; inside them a backslash escapes the next character.
_JSON_STRUCTURE = re.compile(r'[\[\]{}"\\]')
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text opens more than ``limit`` arrays or objects inside each other.

    A linear scan of the raw text, so that no parser recurses on a hostile document. Text that
    is not JSON at all may be counted oddly; json.loads refuses it right after.
    """
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_STRUCTURE.finditer(text):
        position = match.start()
        if position == escaped_at:
            continue
        token = match.group()
        if in_string:
            if token == "\\":
                escaped_at = position + 1
            elif token == '"':
                in_string = False
        elif token == '"':
            in_string = True
        elif token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _holds_lone_surrogate(value: object) -> bool:
    """Whether a parsed JSON value holds a lone surrogate (``"\\ud800"``) in any key or string.

    json.loads turns an escaped surrogate pair into one character and a lone one into a
    surrogate, which no UTF-8 encoder (Firestore's, the page's) can write.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(k) or _holds_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_lone_surrogate(item) for item in value)
    return False


def _refuse_constant(name: str) -> object:
    # NaN and Infinity are Python's extension, not JSON.
    raise ValueError(f"not JSON: {name}")


def _too_large(max_bytes: int) -> HttpProblem:
    return HttpProblem(413, f"Het verzoek is te groot (hoogstens {max_bytes // 1024} kB).")


def wants_json(request: flask.Request) -> bool:
    """JSON clients get JSON answers: they send JSON, or prefer it over HTML."""
    if request.mimetype == JSON_TYPE:
        return True
    best = request.accept_mimetypes.best_match(["text/html", JSON_TYPE], default="text/html")
    return best == JSON_TYPE


def json_response(
    body: object, status: int, headers: Mapping[str, str] | None = None
) -> flask.Response:
    response = flask.Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=JSON_TYPE
    )
    response.headers.update(headers or {})
    return response


def page_response(
    templates: jinja2.Environment,
    template: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: object,
) -> flask.Response:
    html = templates.get_template(template).render(**context)
    response = flask.Response(html, status=status, mimetype="text/html")
    response.headers.update(headers or {})
    return response


def redirect_response(location: str) -> flask.Response:
    return flask.Response("", status=303, headers={"Location": location})


def secured(request: flask.Request, response: flask.Response) -> flask.Response:
    """``response`` with every security header, and HSTS when the request came over HTTPS: the
    one way out of every answer (dispatch, framework_refusal), so the builders above add none."""
    if is_https(request):
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def is_https(request: flask.Request) -> bool:
    """Whether the client reached us over HTTPS.

    Cloud Run ends TLS in Google's front end and forwards plain HTTP, naming the client's scheme
    in X-Forwarded-Proto; a proxy appends its entry, so the last one is the front end's. A client
    that forges it only gets HSTS over HTTP, which browsers ignore (RFC 6797, section 8.1).
    """
    if request.scheme == "https":
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return forwarded.rsplit(",", 1)[-1].strip().lower() == "https"


def framework_refusal(request: flask.Request, error: HTTPException) -> flask.Response:
    """functions-framework's own refusals (its CloudEvent route answering a GET with 405, a
    404 for /robots.txt, a 400 for an unreadable event) answered as ours are.

    Never the framework's description: for an unreadable event it quotes the request's headers,
    its body and an exception back to the client.
    """
    status = error.code or 500
    message = {404: "Niet gevonden.", 405: METHOD_NOT_ALLOWED}.get(status, NOT_PROCESSABLE)
    allow = dict(error.get_headers()).get("Allow")
    headers = {"Allow": allow} if allow else {}
    if wants_json(request):
        return secured(request, json_response({"error": message}, status, headers))
    response = flask.Response(message, status=status, mimetype="text/plain", headers=headers)
    return secured(request, response)


Handler = Callable[[flask.Request], flask.Response]


def dispatch(
    request: flask.Request,
    templates: Callable[[], jinja2.Environment],
    handlers: Mapping[str, Handler],
) -> flask.Response:
    """Route by method and turn every failure into a clear answer, never a stack trace.

    ``handlers`` maps methods to handlers (HEAD follows GET). ``templates`` is a callable so
    that a broken deployment still gets a plain error answer. Every answer, a preflight's too,
    leaves with the security headers.
    """
    response = _dispatch(request, templates, handlers)
    if response.status_code == 413:
        # Too large to read: the rest is not waited for (a client that announced more than it
        # sends would hold the answer back), and the server ends the connection after it.
        request.stream = io.BytesIO()
    else:
        _discard_unread_body(request)
    return secured(request, response)


def _dispatch(
    request: flask.Request,
    templates: Callable[[], jinja2.Environment],
    handlers: Mapping[str, Handler],
) -> flask.Response:
    method = "GET" if request.method == "HEAD" else request.method
    try:
        _check_request_size(request)
        handler = handlers.get(method)
        if handler is None:
            allowed = sorted({*handlers, "HEAD"} if "GET" in handlers else set(handlers))
            allowed = [m for m in allowed if m != "OPTIONS"]
            raise HttpProblem(405, METHOD_NOT_ALLOWED, {"Allow": ", ".join(allowed)})
        return handler(request)
    except HttpProblem as problem:
        return problem_response(request, templates, problem)
    except Exception as error:
        if isinstance(error, HTTPException) and error.code and 400 <= error.code < 500:
            # werkzeug refusing what the client sent (a malformed request, say): the client's
            # doing, so answered like our own refusals, not as a failure of ours.
            return problem_response(
                request,
                templates,
                HttpProblem(error.code, NOT_PROCESSABLE),
            )
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


def _check_request_size(request: flask.Request) -> None:
    """HttpProblem 414 for a request-target (path and query) over MAX_TARGET_BYTES, 431 for a
    header section over MAX_HEADER_BYTES."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    if len(target) > MAX_TARGET_BYTES:
        raise HttpProblem(
            414,
            "Het webadres van dit verzoek is te lang. Open de link opnieuw vanuit de e-mail, of "
            "ga naar het formulier op de website van het initiatief.",
        )
    header_bytes = sum(len(name) + len(value) + 4 for name, value in request.headers.items())
    if header_bytes > MAX_HEADER_BYTES:
        raise HttpProblem(
            431,
            "Dit verzoek heeft te veel of te grote kopregels. Probeer het opnieuw vanuit een "
            "gewone webbrowser.",
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
        return response
