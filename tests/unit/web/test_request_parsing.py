"""What a client can send, read by web/http.py and web/guard.py on real werkzeug requests."""

from __future__ import annotations

import gzip
import io
import json

import flask
import pytest
from gunicorn.http.errors import InvalidChunkSize
from werkzeug.test import EnvironBuilder

from buurtwhatsapp.web.guard import OriginPolicy
from buurtwhatsapp.web.http import (
    FORM_TYPE,
    JSON_TYPE,
    MAX_JSON_DEPTH,
    HttpProblem,
    dispatch,
    is_https,
    read_submission,
)

app = flask.Flask(__name__)
LIMIT = 16384


def environ(body: bytes, content_type: str = JSON_TYPE, **options: object) -> dict:
    builder = EnvironBuilder(method="POST", data=body, content_type=content_type, **options)
    return builder.get_environ()


def read(body: bytes | str, content_type: str = JSON_TYPE, **options: object) -> dict:
    data = body.encode() if isinstance(body, str) else body
    with app.request_context(environ(data, content_type, **options)):
        return read_submission(flask.request, LIMIT)


def refusal(body: bytes | str, content_type: str = JSON_TYPE, **options: object) -> HttpProblem:
    with pytest.raises(HttpProblem) as refused:
        read(body, content_type, **options)
    return refused.value


# ---- text ---------------------------------------------------------------------------------


def test_an_escaped_surrogate_pair_is_one_character_and_accepted():
    assert read('{"name": "Zo\\u00eb \\ud83d\\ude00"}') == {"name": "Zoë 😀"}


@pytest.mark.parametrize(
    "document",
    [
        '{"name": "\\ud800"}',
        '{"name": "x\\udfff"}',
        '{"name": "\\ude00\\ud83d"}',
        '{"\\ud800": "x"}',
        '{"remarks": ["ok", {"a": "\\udbff"}]}',
    ],
    ids=["high", "low", "pair-reversed", "key", "nested"],
)
def test_a_lone_surrogate_anywhere_is_refused(document):
    problem = refusal(document)
    assert problem.status == 400
    assert "tekens" in problem.message


def test_an_escaped_backslash_before_u_d800_is_plain_text():
    """The check is on the parsed text, not on the escapes in the raw JSON."""
    assert read('{"name": "\\\\ud800"}') == {"name": "\\ud800"}


def test_surrogates_encoded_as_utf8_bytes_are_not_utf8():
    problem = refusal(b'{"name": "\xed\xa0\x80"}')
    assert (problem.status, "UTF-8" in problem.message) == (400, True)


@pytest.mark.parametrize("encoded", ["%FF", "%ED%A0%80", "Zo%C3", "%C0%AF"])
def test_a_form_field_that_is_not_utf8_is_refused_not_replaced(encoded):
    problem = refusal(f"name={encoded}&email=a%40b.nl", FORM_TYPE)
    assert (problem.status, "UTF-8" in problem.message) == (400, True)


def test_form_fields_are_percent_decoded_as_utf8():
    assert read("name=Zo%C3%AB+van+%27t+Veld&remarks=", FORM_TYPE) == {
        "name": "Zoë van 't Veld",
        "remarks": "",
    }


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("name=a&name=b", FORM_TYPE), ('{"name": "a", "name": "b"}', JSON_TYPE)],
    ids=["form", "json"],
)
def test_a_repeated_field_counts_once_with_its_last_value_in_either_body(body, content_type):
    assert read(body, content_type) == {"name": "b"}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_pythons_json_extensions_are_not_json(constant):
    assert refusal(f'{{"name": {constant}}}').status == 400


def test_a_number_longer_than_python_converts_is_unreadable_not_a_crash():
    assert refusal('{"house_number": ' + "1" * 5000 + "}").status == 400


# ---- nesting --------------------------------------------------------------------------------


def nested(depth: int) -> str:
    """An object whose ``name`` holds lists ``depth - 1`` deep: ``depth`` levels in all."""
    return '{"name": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_nesting_up_to_the_limit_is_parsed():
    assert read(nested(MAX_JSON_DEPTH))["name"] is not None


def test_nesting_one_past_the_limit_is_refused_before_parsing():
    problem = refusal(nested(MAX_JSON_DEPTH + 1))
    assert (problem.status, "genest" in problem.message) == (400, True)


def test_a_thousand_levels_are_refused_well_within_the_size_limit():
    body = "[" * 1000 + "]" * 1000
    assert len(body) < LIMIT
    assert refusal(body).status == 400


@pytest.mark.parametrize(
    "text",
    ["[" * 5000, '"' + "{" * 5000, "\\" + "[" * 100],
    ids=["brackets", "after-an-escaped-quote", "after-an-escaped-backslash"],
)
def test_brackets_inside_strings_do_not_count_as_nesting(text):
    assert read(json.dumps({"remarks": text})) == {"remarks": text}


def test_an_escaped_quote_does_not_end_the_string_for_the_depth_count():
    body = '{"remarks": "\\"' + "[" * 100 + '"}'
    assert read(body) == {"remarks": '"' + "[" * 100}


# ---- framing, encodings, sizes ------------------------------------------------------------


def test_a_body_of_exactly_the_limit_is_read():
    padding = LIMIT - len('{"remarks": ""}')
    body = '{"remarks": "' + "x" * padding + '"}'
    assert len(body) == LIMIT
    assert len(read(body)["remarks"]) == padding


def test_one_byte_more_is_too_large():
    body = '{"remarks": "' + "x" * (LIMIT - len('{"remarks": ""}') + 1) + '"}'
    assert refusal(body).status == 413


def chunked_environ(body: bytes) -> dict:
    """As the dev server and gunicorn hand over a chunked body: no length, a terminated stream."""
    values = environ(body)
    del values["CONTENT_LENGTH"]
    values["wsgi.input_terminated"] = True
    return values


def test_a_chunked_body_is_read_only_one_byte_past_the_limit():
    with app.request_context(chunked_environ(b"{" + b" " * (10 * LIMIT) + b"}")):
        with pytest.raises(HttpProblem) as refused:
            read_submission(flask.request, LIMIT)
        assert refused.value.status == 413
        assert flask.request.stream.tell() == LIMIT + 1


def test_a_chunked_body_within_the_limit_is_read():
    with app.request_context(chunked_environ(b'{"name": "Zo\xc3\xab"}')):
        assert read_submission(flask.request, LIMIT) == {"name": "Zoë"}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP"])
def test_a_compressed_body_is_unsupported(encoding):
    body = gzip.compress(b'{"name": "Zo"}')
    problem = refusal(body, headers={"Content-Encoding": encoding})
    assert problem.status == 415


def test_identity_content_encoding_is_no_encoding():
    assert read('{"name": "Zo"}', headers={"Content-Encoding": "identity"}) == {"name": "Zo"}


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"', "utf8", "us-ascii"])
def test_utf8_charsets_are_accepted(charset):
    assert read('{"name": "Zo"}', f"{JSON_TYPE}; charset={charset}") == {"name": "Zo"}


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "x-unknown"])
def test_other_charsets_are_refused(charset):
    body = b"name=Zo%EB"
    problem = refusal(body, f"{FORM_TYPE}; charset={charset}")
    assert (problem.status, "UTF-8" in problem.message) == (415, True)


def test_a_body_cut_off_before_its_length_is_a_bad_request_and_leaves_nothing_to_drain():
    """functions-framework reads the body again after the answer; it must find it settled."""
    values = environ(b'{"name": "Zo')
    values["CONTENT_LENGTH"] = "500"

    def handler(request: flask.Request) -> flask.Response:
        read_submission(request, LIMIT)
        raise AssertionError("a cut-off body was read as if whole")

    with app.request_context(values):
        response = dispatch(flask.request, lambda: None, {"POST": handler})
        assert response.status_code == 400
        assert "niet volledig" in response.get_data(as_text=True)
        assert flask.request.get_data() == b""


class GunicornBrokenChunks(io.RawIOBase):
    """The body stream gunicorn hands over when a client's chunk framing is broken: gunicorn
    raises its own parse errors, which are no OSError, from the app's reads."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise InvalidChunkSize(b"zz")


@pytest.mark.parametrize("handler_reads", [True, False], ids=["read", "never-read"])
def test_broken_chunks_under_gunicorn_are_a_bad_request_not_a_crash(handler_reads):
    values = environ(b"")
    values.pop("CONTENT_LENGTH", None)
    values.update({"wsgi.input": GunicornBrokenChunks(), "wsgi.input_terminated": True})

    def handler(request: flask.Request) -> flask.Response:
        if handler_reads:
            read_submission(request, LIMIT)
        return flask.Response("ok")

    with app.request_context(values):
        response = dispatch(flask.request, lambda: None, {"POST": handler})
        assert response.status_code == (400 if handler_reads else 200)
        assert flask.request.get_data() == b""


def test_a_body_the_handler_never_read_is_discarded_before_the_framework_drains_it():
    values = environ(b"x" * 100)
    values["CONTENT_LENGTH"] = "500"

    def handler(request: flask.Request) -> flask.Response:
        return flask.Response("ok")

    with app.request_context(values):
        assert dispatch(flask.request, lambda: None, {"POST": handler}).status_code == 200
        assert flask.request.get_data() == b""


# ---- origin -------------------------------------------------------------------------------

WEBSITE = "https://www.buurt.example.org"


def origin_answer(origin: str, host: str = "functions.example.net") -> dict[str, str] | int:
    """The CORS headers for a post from ``origin``, or the refusal's status."""
    values = EnvironBuilder(
        method="POST", base_url="https://localhost", headers={"Origin": origin, "Host": host}
    ).get_environ()
    with app.request_context(values):
        try:
            return OriginPolicy([WEBSITE]).headers_for(flask.request)
        except HttpProblem as problem:
            return problem.status


@pytest.mark.parametrize(
    "origin",
    [
        "http://[::1",
        "http://[",
        "https://www.buurt.example.org]",
        "http://",
        "https://www.buurt.example.org/",
        "https://www.buurt.example.org/form?x=1",
        "https://evil.example@www.buurt.example.org",
        "https://www.buurt.example.org:99999",
        "https://www.buurt.example.org:port",
        "https://www.buurt.ex\tample.org",
        "https://www.buurt.example.org\x7f",
        "https://www.bürt.example.org",
        "www.buurt.example.org",
        "NULL",
    ],
)
def test_an_origin_no_browser_would_send_is_a_bad_request(origin):
    """urlsplit raises on some (``http://[::1``) and quietly mends others: a tab inside the
    host is removed, which made ``https://www.buurt.ex<TAB>ample.org`` an allowed site."""
    assert origin_answer(origin) == 400


def test_an_allowed_site_gets_its_origin_back_as_browsers_write_it():
    expected = {"Access-Control-Allow-Origin": WEBSITE, "Vary": "Origin"}
    assert origin_answer(WEBSITE) == expected
    assert origin_answer(" HTTPS://WWW.Buurt.Example.org ") == expected


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://functions.example.net", {}),
        ("http://functions.example.net", {}),
        ("https://functions.example.net:8443", 403),
        ("ftp://functions.example.net", 403),
        ("https://evil.example.com", 403),
        ("null", 403),
    ],
)
def test_the_page_itself_passes_and_every_other_site_is_forbidden(origin, expected):
    assert origin_answer(origin) == expected


def test_an_unusable_host_never_matches_an_origin():
    assert origin_answer("http://exa mple.org", host="exa mple.org") == 400
    assert origin_answer("http://a.org", host="a.org:99999") == 403


# ---- HTTPS --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "forwarded", "expected"),
    [
        ("https://localhost", None, True),
        ("http://localhost", "https", True),
        ("http://localhost", "HTTPS ", True),
        ("http://localhost", "http, https", True),
        ("http://localhost", "https, http", False),
        ("http://localhost", "http", False),
        ("http://localhost", None, False),
        ("http://localhost", "", False),
    ],
)
def test_https_is_the_request_scheme_or_the_last_forwarded_proto(base_url, forwarded, expected):
    headers = {} if forwarded is None else {"X-Forwarded-Proto": forwarded}
    values = EnvironBuilder(base_url=base_url, headers=headers).get_environ()
    with app.request_context(values):
        assert is_https(flask.request) is expected
