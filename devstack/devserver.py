"""Werkzeug's development server, made safe for ``make dev`` and the tests that run it.

Werkzeug leaves two things to a production server that the dev server must not get wrong here:

- **Request bodies.** Its dechunker (``werkzeug.serving.DechunkedInput``) does not notice a
  closed socket: a chunk announced as ``ffffffffffffffff`` is never finished, every read
  "returns" a full buffer of whatever memory lay behind it, and functions-framework's
  after-request hook, which reads the body to its end, appends to it forever (1 GB in about two
  seconds; issue 7). Here a chunked body is decoded the way gunicorn does in production: strict
  framing, and the end of the connection before the end of the body is an error, raised once.
  On top of that :func:`bounded_body` hands an app no more than the largest body it accepts.
- **Logs.** Link tokens travel in query strings (``/leave?token=...``) and are valid for up to
  two years; the access log shows every request line, so token values are redacted from every
  line this server logs.
"""

from __future__ import annotations

import io
import os
import re
import socket
import typing as t

from werkzeug.exceptions import BadRequest, ClientDisconnected
from werkzeug.serving import DechunkedInput, ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import get_content_length

from buurtwhatsapp.web.http import SECURITY_HEADERS

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

# The default of settings.max_body_bytes, read here without the rest of the settings so that the
# dev server needs no other variable to bound bodies.
DEFAULT_MAX_BODY_BYTES = 16384

# A chunk-size line is a few hex digits and perhaps extensions; a trailer section a few headers.
# gunicorn allows about as much.
MAX_CHUNK_SIZE_LINE = 8192
MAX_TRAILER_SECTION = 64 * 1024

_TOKEN_VALUE = re.compile(r"(?i)([?&;][^=&;#\s\"']*token=)[^&;#\s\"']*")
REDACTED = "[redacted]"


def redact_tokens(text: str) -> str:
    """``text`` with the value of every ``token=`` (or ``...token=``) query parameter hidden."""
    return _TOKEN_VALUE.sub(rf"\1{REDACTED}", text)


def max_body_bytes() -> int:
    """The largest form body the functions accept (``MAX_BODY_BYTES``), read as settings.py does.

    A value settings.py would refuse falls back to the default: the functions then refuse to
    start and say why, and the server stays bounded meanwhile.
    """
    raw = os.environ.get("MAX_BODY_BYTES", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BODY_BYTES


class ChunkedBody(io.RawIOBase):
    """A ``Transfer-Encoding: chunked`` body, decoded as gunicorn decodes it in production.

    Reads never ask the socket for more than the caller's buffer, whatever a chunk announces.
    A body that ends early (the client went away) raises ClientDisconnected, broken framing
    BadRequest; either only once, after which the body reads as ended, as gunicorn's does, so
    that functions-framework's hook that drains the body afterwards terminates.
    """

    def __init__(self, rfile: t.BinaryIO) -> None:
        self._rfile = rfile
        self._left_in_chunk = 0
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer).cast("B")
        filled = 0
        try:
            # Fill the whole buffer across chunks: callers such as read_submission read the
            # body with one read(limit + 1) and take a short read for its end.
            while filled < len(view) and not self._ended:
                if self._left_in_chunk == 0:
                    self._left_in_chunk = self._chunk_size()
                    if self._left_in_chunk == 0:
                        self._skip_trailers()
                        self._ended = True
                        break
                wanted = min(len(view) - filled, self._left_in_chunk)
                data = self._rfile.read(wanted)
                if len(data) < wanted:
                    raise ClientDisconnected("the body ended inside a chunk")
                view[filled : filled + wanted] = data
                filled += wanted
                self._left_in_chunk -= wanted
                if self._left_in_chunk == 0:
                    self._expect_crlf(self._rfile.read(2))
        except (BadRequest, OSError):
            self._ended = True
            raise
        return filled

    def _chunk_size(self) -> int:
        line = self._line(MAX_CHUNK_SIZE_LINE)
        digits = line[:-2].split(b";", 1)[0].rstrip(b" \t")
        if not digits or digits.strip(b"0123456789abcdefABCDEF"):
            raise BadRequest("invalid chunk size")
        return int(digits, 16)

    def _skip_trailers(self) -> None:
        read = 0
        while (line := self._line(MAX_CHUNK_SIZE_LINE)) != b"\r\n":
            read += len(line)
            if read > MAX_TRAILER_SECTION:
                raise BadRequest("chunked trailer section too large")

    def _line(self, limit: int) -> bytes:
        line = self._rfile.readline(limit)
        if line.endswith(b"\n"):
            self._expect_crlf(line[-2:])
            return line
        if len(line) < limit:
            raise ClientDisconnected("the body ended inside a chunk header")
        raise BadRequest("chunk header line too long")

    @staticmethod
    def _expect_crlf(ending: bytes) -> None:
        if ending == b"\r\n":
            return
        if not ending.endswith(b"\n") and len(ending) < 2:
            raise ClientDisconnected("the body ended before a chunk's line end")
        # RFC 9112 section 7.1: CRLF only; gunicorn refuses a bare LF too.
        raise BadRequest("chunk not terminated by CRLF")


class CappedBody(io.RawIOBase):
    """At most ``cap`` bytes of a body: of ``length`` bytes (Content-Length), or until the stream
    ends by itself (a decoded chunked body) when ``length`` is None.

    Whatever lies beyond the cap is never read into memory by the app; werkzeug discards it in
    bounded pieces after the answer, and closes the connection.
    """

    def __init__(self, stream: t.BinaryIO, cap: int, length: int | None) -> None:
        self._stream = stream
        self._left = cap if length is None else min(cap, length)
        self._length_known = length is not None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._left)
        if wanted == 0:
            return 0
        data = self._stream.read(wanted)
        if self._length_known and len(data) < wanted:
            # As werkzeug's own LimitedStream would say; raised once, then the body has ended.
            self._left = 0
            raise ClientDisconnected("the body is shorter than its Content-Length")
        view[: len(data)] = data
        self._left = self._left - len(data) if data else 0
        return len(data)


def bounded_body(environ: WSGIEnvironment, largest: int) -> WSGIEnvironment:
    """``environ`` whose body reads at most ``largest + 1`` bytes, enough to see it is too large.

    ``wsgi.input_terminated`` tells werkzeug (and so Flask and functions-framework) that the
    stream ends by itself, so that nothing reads past it.
    """
    if environ.get("wsgi.input_terminated"):
        length = None  # chunked: the server's dechunker ends the stream
    else:
        length = get_content_length(environ)
        if length is None:
            return environ  # no body at all; werkzeug hands the app an empty one
    capped = CappedBody(environ["wsgi.input"], largest + 1, length)
    return dict(environ, **{"wsgi.input": capped, "wsgi.input_terminated": True})


# A read that waits longer than this ends the connection (socketserver applies it to every
# read): a client that stops sending halfway does not keep a thread for as long as it likes.
READ_TIMEOUT_SECONDS = 10
# After an answer, what the client still sends is read and thrown away before the connection
# closes, so that it sees the answer rather than a reset; each read waits this long at most.
DRAIN_WAIT_SECONDS = 0.2


class AfterTheAnswer(io.RawIOBase):
    """Where werkzeug reads the rest of a request from once it has answered: what has arrived,
    never a wait for more.

    Werkzeug drains the connection after every answer with ``rfile.read(10_000_000)``, which
    blocks until ten megabytes or the end: a client that announced a larger body than it sends
    (answered 413 at once) kept the connection open until it gave up. Here each read returns
    what the socket has within DRAIN_WAIT_SECONDS, and an empty read ends werkzeug's drain.
    """

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            self._connection.settimeout(DRAIN_WAIT_SECONDS)
            return self._connection.recv(size if 0 < size <= 65536 else 65536)
        except OSError:  # a timeout included: nothing more to throw away
            return b""


class DevRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler with gunicorn's dechunking, a read timeout, a drain that
    never waits, and without tokens in its log."""

    timeout = READ_TIMEOUT_SECONDS

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        # The answer is on its way and the request was read as far as it will be.
        self.rfile = AfterTheAnswer(self.connection)  # type: ignore[assignment]

    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        # Exactly where werkzeug decided the body is chunked, its decoder is replaced.
        if isinstance(environ["wsgi.input"], DechunkedInput):
            environ["wsgi.input"] = ChunkedBody(self.rfile)
        return environ

    def log(self, type: str, message: str, *args: t.Any) -> None:
        # The request line (and werkzeug's "Bad request syntax" errors) quote the query.
        super().log(type, "%s", redact_tokens(message % args if args else message))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own refusals (a request line it cannot parse) leave, like every other
        # answer, with the security headers.
        self._refusing = True
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        if getattr(self, "_refusing", False):
            for name, value in SECURITY_HEADERS.items():
                self.send_header(name, value)
        super().end_headers()


class DevServer(ThreadedWSGIServer):
    """What ``make_server(..., threaded=True)`` builds, with DevRequestHandler and redacted logs."""

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApplication,
        handler: type[WSGIRequestHandler] = DevRequestHandler,
    ) -> None:
        super().__init__(host, port, app, handler)

    def log(self, type: str, message: str, *args: t.Any) -> None:
        # "Error on request" carries a traceback, whose exception text may quote a URL.
        super().log(type, "%s", redact_tokens(message % args if args else message))
