"""Locally, what Google's front end does for Cloud Functions: one origin, a path per function.

In Google Cloud every function has its own URL, ``https://REGION-PROJECT.cloudfunctions.net/NAME``.
Google's front end ends TLS there and hands the request, as plain HTTP, to that function's own
server, which sees only the rest of the path (``/`` for the bare URL), the same ``Host``, the
client's address appended to ``X-Forwarded-For`` and the client's scheme in
``X-Forwarded-Proto``. `FrontEnd` does that for function servers on localhost ports, so that a
test can run each function as its own process and still follow the links in the mail.

Deliberately small: bodies must carry a Content-Length (else 411) and are read whole, as are
answers; logging is off, because request lines carry link tokens.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Google's front end accepts request bodies up to 32 MiB for a function.
MAX_BODY_BYTES = 32 * 1024 * 1024

# Headers about one connection (RFC 9110, section 7.6.1): never passed on by a proxy.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the front end itself, whatever the client sent.
_REWRITTEN = frozenset({"content-length", "x-forwarded-for", "x-forwarded-proto"})


class FrontEnd:
    """Routes ``/NAME[/rest][?query]`` to the function server ``routes[NAME]`` (host:port).

    Serves HTTPS when given an ``ssl_context``, as Google's front end always does; ``url`` is the
    origin to use as PUBLIC_BASE_URL. Start with `start`, end with `stop` (or use `serving`).
    """

    def __init__(
        self,
        routes: Mapping[str, str],
        *,
        ssl_context: ssl.SSLContext | None = None,
        hostname: str = "localhost",
        timeout: float = 60.0,
    ) -> None:
        self.routes = dict(routes)
        self.scheme = "https" if ssl_context is not None else "http"
        self.timeout = timeout
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        if ssl_context is not None:
            # The handshake happens in each request's thread (see _Handler.setup), so that a
            # client that never finishes it cannot hold up the accept loop.
            self._server.socket = ssl_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.url = f"{self.scheme}://{hostname}:{self._server.server_port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="front-end", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()


@contextmanager
def serving(
    routes: Mapping[str, str], *, ssl_context: ssl.SSLContext | None = None
) -> Iterator[FrontEnd]:
    """A started `FrontEnd` for ``routes``, stopped on exit."""
    front_end = FrontEnd(routes, ssl_context=ssl_context)
    front_end.start()
    try:
        yield front_end
    finally:
        front_end.stop()


def _handler_for(front_end: FrontEnd) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.front_end = front_end
    return Handler


class _Handler(BaseHTTPRequestHandler):
    front_end: FrontEnd
    protocol_version = "HTTP/1.1"  # keep-alive, as browsers and requests' sessions expect
    timeout = 30  # a client that stops sending does not keep a thread forever

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, format: str, *args: object) -> None:
        pass  # request lines carry link tokens

    def do_GET(self) -> None:
        self._forward()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _forward(self) -> None:
        target = urlsplit(self.path)
        name, _, rest = target.path.lstrip("/").partition("/")
        upstream = self.front_end.routes.get(name)
        if upstream is None:
            self._answer(404, b"No function here.\n")
            return
        if "Transfer-Encoding" in self.headers:
            self._answer(411, b"Send a Content-Length.\n")
            return
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit():
            self._answer(400, b"Bad Content-Length.\n")
            return
        if int(length) > MAX_BODY_BYTES:
            self._answer(413, b"Request body too large.\n")
            return
        body = self.rfile.read(int(length))

        dropped = HOP_BY_HOP | _connection_tokens(self.headers) | _REWRITTEN
        headers = [
            (key, value) for key, value in self.headers.items() if key.lower() not in dropped
        ]
        # Google appends the address it saw to what the client sent; the functions trust only
        # the last entry (web/guard.py), so a client cannot choose its rate-limit bucket.
        client = self.client_address[0]
        forwarded_for = ", ".join(self.headers.get_all("X-Forwarded-For") or [])
        headers.append(
            ("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client)
        )
        # The scheme the client used; Google's is always https.
        headers.append(("X-Forwarded-Proto", self.front_end.scheme))
        path = "/" + rest + (f"?{target.query}" if target.query else "")

        connection = http.client.HTTPConnection(upstream, timeout=self.front_end.timeout)
        try:
            # Host is among the headers, so http.client sends the client's Host as it came.
            connection.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for key, value in headers:
                connection.putheader(key, value)
            if body or self.command in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            answer = response.read()
        except TimeoutError:
            self._answer(504, b"The function did not answer in time.\n")
            return
        except OSError:
            self._answer(503, b"The function is not reachable.\n")
            return
        finally:
            connection.close()

        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", response.getheader("Content-Length", "0"))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _answer(self, status: int, text: bytes) -> None:
        # A refused request's body may be unread: the connection cannot carry another request.
        self.close_connection = True
        self.send_response_only(status)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(text)


def _connection_tokens(headers: Mapping[str, str]) -> set[str]:
    """Header names the client listed in Connection: they too concern this hop only."""
    return {
        token.strip().lower()
        for token in (headers.get("Connection") or "").split(",")
        if token.strip()
    }
