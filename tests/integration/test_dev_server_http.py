"""The dev server of ``make dev`` over real HTTP, in this process: how it reads chunked bodies,
what its access log shows (issue 7, defect 7) and its own 404 (defect 8).

Nothing here reaches Firestore (every request is refused or answered before storage), so the
server runs without an emulator.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from buurtwhatsapp import bootstrap
from buurtwhatsapp.web.http import SECURITY_HEADERS
from devstack.devserver import redact_tokens
from devstack.serve import dev_server

# Shaped like a real link token (itsdangerous: payload.timestamp.signature), never valid here.
TOKEN = "eyJzIjoiZGVtbyIsInAiOiJsZWF2ZSJ9.Zx3kQw.q7yHcD9fGm2LwP0rT8vXs4bN1eA"


@pytest.fixture
def server(monkeypatch, tmp_path) -> Iterator[tuple[str, int]]:
    """(host, port) of the dev server, as devstack.serve.serving builds it."""
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-dev-server")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # never reached
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:8080")
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    monkeypatch.delenv("MAX_BODY_BYTES", raising=False)
    bootstrap.reset()
    httpd = dev_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        bootstrap.reset()


def post_chunked(
    server: tuple[str, int], path: str, chunks: list[bytes], content_type: str
) -> tuple[int, bytes]:
    """POST with Transfer-Encoding: chunked, one chunk per item, as a streaming client sends."""
    connection = http.client.HTTPConnection(*server, timeout=10)
    try:
        connection.request(
            "POST",
            path,
            body=iter(chunks),
            headers={"Content-Type": content_type, "Accept": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---- chunked bodies ----------------------------------------------------------------------------


def test_a_chunked_body_is_read_whole_across_its_chunks(server):
    # "Zoë" split inside its two UTF-8 bytes; the e-mail address only in the last chunk.
    chunks = [b'{"name": "Zo\xc3', b'\xab", "adult": true, ', b'"email": "not-an-address"}']
    status, body = post_chunked(server, "/signup", chunks, "application/json")
    assert status == 422
    errors = json.loads(body)["errors"]
    assert "name" not in errors  # arrived whole and valid
    assert "klopt niet" in errors["email"]  # present, so checked (not "Vul ... in")


@pytest.mark.parametrize(("size", "status"), [(1024, 422), (1025, 413)])
def test_a_chunked_body_is_refused_exactly_past_the_limit(server, monkeypatch, size, status):
    """The dev server hands the app one byte more than the limit, so that the app can tell."""
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    bootstrap.reset()
    body = b"name=" + b"x" * (size - len(b"name="))
    chunks = [body[i : i + 100] for i in range(0, size, 100)]
    answer, text = post_chunked(server, "/signup", chunks, "application/x-www-form-urlencoded")
    assert answer == status, text


def test_a_large_chunked_body_gets_413(server):
    chunks = [b"remarks=", *[b"x" * 4096] * 8]  # 32 kB against the default 16 kB
    status, body = post_chunked(server, "/signup", chunks, "application/x-www-form-urlencoded")
    assert status == 413
    assert "te groot" in json.loads(body)["error"]


# ---- tokens in the access log --------------------------------------------------------------


def logged_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "werkzeug"]


def test_the_access_log_shows_no_token(server, caplog):
    host, port = server
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        for path in (f"/leave?token={TOKEN}", f"/confirm?received=1&token={TOKEN}"):
            requests.get(f"http://{host}:{port}{path}", timeout=10)
        requests.post(f"http://{host}:{port}/added?token={TOKEN}", timeout=10)

    lines = logged_lines(caplog)
    assert any("GET /leave?token=[redacted] HTTP/1.1" in line for line in lines), lines
    assert any("/confirm?received=1&token=[redacted]" in line for line in lines), lines
    assert any("POST /added?token=[redacted]" in line for line in lines), lines
    assert not [line for line in lines if TOKEN in line]


def test_a_malformed_request_line_is_logged_without_its_token(server, caplog):
    """http.server quotes a request line it cannot parse in its error log line."""
    with (
        caplog.at_level(logging.INFO, logger="werkzeug"),
        socket.create_connection(server, timeout=10) as client,
    ):
        client.sendall(f"GET /leave?token={TOKEN} junk HTTP/1.1\r\n\r\n".encode())
        assert client.makefile("rb").readline().split()[1] == b"400"

    lines = logged_lines(caplog)
    assert any("Bad request syntax" in line and "token=[redacted]" in line for line in lines), lines
    assert not [line for line in lines if TOKEN in line]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/leave?token=abc.def-1_2", "/leave?token=[redacted]"),
        ("/confirm?received=1&token=abc&x=1", "/confirm?received=1&token=[redacted]&x=1"),
        ("/leave?TOKEN=abc HTTP/1.1", "/leave?TOKEN=[redacted] HTTP/1.1"),
        ("/x?access_token=abc#top", "/x?access_token=[redacted]#top"),
        ("'GET /leave?token=abc HTTP/1.1 x'", "'GET /leave?token=[redacted] HTTP/1.1 x'"),
        ("/signup?received=1", "/signup?received=1"),
        ("a token=abc in prose", "a token=abc in prose"),
    ],
)
def test_token_values_are_redacted_wherever_a_query_appears(text, expected):
    assert redact_tokens(text) == expected


# ---- the dev server's own 404 --------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("POST", "/nergens/anders")])
def test_the_dev_servers_own_404_has_the_security_headers(server, method, path):
    host, port = server
    response = requests.request(method, f"http://{host}:{port}{path}", timeout=10)
    assert response.status_code == 404
    assert response.text == "Niet gevonden"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


def test_the_dev_servers_refusal_of_a_malformed_request_has_the_security_headers(server):
    with socket.create_connection(server, timeout=10) as client:
        client.sendall(b"GET /signup junk HTTP/1.1\r\n\r\n")
        head = client.makefile("rb").read().split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.split()[1] == "400"
    for name, value in SECURITY_HEADERS.items():
        assert f"\r\n{name}: {value}" in head, name


HEAD_OF_A_SIGNUP = (
    b"POST /signup HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
)


@pytest.mark.parametrize(
    "rest",
    [
        # Announced larger than allowed and sent whole, sent in part, or sent chunked.
        b"Content-Length: 20000\r\n\r\n" + b"a" * 20000,
        b"Content-Length: 20000\r\n\r\n" + b"a" * 100,
        b"Transfer-Encoding: chunked\r\n\r\n4e20\r\n" + b"a" * 20000 + b"\r\n0\r\n\r\n",
    ],
    ids=["whole", "in part", "chunked"],
)
def test_a_body_too_large_is_answered_at_once_and_the_connection_then_closed(server, rest):
    with socket.create_connection(server, timeout=5) as connection:
        connection.sendall(HEAD_OF_A_SIGNUP + rest)
        # The client keeps its side open, as one still sending (or pretending to) would.
        connection.settimeout(2)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b"Het verzoek is te groot" in received
