"""End-to-end fixtures: Debian's Chromium, driven by Playwright, against the real functions.

`live_server` serves every HTTP function (devstack.http_functions.create_local_app, as `make dev`
does) over real HTTP on 127.0.0.1, wired to the test's own emulator project; `browser` is one
headless Chromium for the session and `page` a fresh context and page for each test.
`seen_html` gathers the HTML the browser received during a test, for one run of the Nu HTML
Checker (tests/html_checker.py) at its end.

The end-to-end tests need a Firestore emulator but not every kind of one: in this folder the
`firestore_emulator` fixture is narrowed to the first available kind (ids ``[google]``,
``[npm]`` or ``[external]`` as elsewhere), reusing the session's emulator of that kind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Response, sync_playwright
from werkzeug.serving import BaseWSGIServer

from buurtwhatsapp import bootstrap
from buurtwhatsapp.model import SIGNUPS
from buurtwhatsapp.residents.membership import confirm, mark_added
from buurtwhatsapp.residents.signup import sign_up
from devstack import emulator
from devstack.serve import dev_server, serving
from tests.conftest import VALID_SIGNUP
from tests.html_checker import check
from tests.mail_watch import MailWatch

CHROMIUM = Path("/usr/bin/chromium")
# Headless as root on a machine whose network reaches only loopback: no sandbox (root), no GPU,
# and none of Chromium's own background connections (refused here, and slow to give up on).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Playwright's timeouts are 30 s by default; a local page that takes longer is a failure.
TIMEOUT_MS = 15_000
# Every process of our Chromium inherits this variable, which is how the teardown finds them.
BROWSER_MARKER = "BUURTWHATSAPP_E2E_BROWSER"
BROWSER_EXIT_TIMEOUT = 10.0

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / ".local" / "screenshots"

_FIRST_KIND = emulator.available_kinds()[:1]


@pytest.fixture(scope="session", params=_FIRST_KIND or ["none"])
def firestore_emulator(firestore_emulator: emulator.RunningEmulator) -> emulator.RunningEmulator:
    """The session's emulator of the first available kind only (tests/conftest.py starts it).

    This override's single parameter is passed on to the fixture it overrides, which therefore
    runs (and fails when there is no emulator at all) exactly as it does for the other tests.
    """
    return firestore_emulator


@dataclass(frozen=True)
class LiveServer:
    url: str
    outbox: Path

    def __call__(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.url + path


@pytest.fixture
def live_server(firestore_client, monkeypatch, tmp_path) -> Iterator[LiveServer]:
    """Every HTTP function on http://127.0.0.1:<free port>, on the test's emulator project."""
    server: BaseWSGIServer = dev_server("127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_port}"
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", firestore_client.project)
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(outbox))
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    monkeypatch.setenv("ALLOWED_ORIGINS", url)
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    bootstrap.reset()
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, outbox=outbox)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        bootstrap.reset()


@pytest.fixture
def added_member(live_server, firestore_client) -> tuple[bootstrap.Runtime, str]:
    """The live server's runtime and a resident of the village it signed up, confirmed and
    added to their group, as the services do it."""
    runtime = bootstrap.runtime()
    services = {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}
    sign_up({**VALID_SIGNUP, "street": "Kagerdreef"}, **services, keys=runtime.keys)
    [signup_id] = [s.id for s in firestore_client.collection(SIGNUPS).stream()]
    confirm(signup_id, **services)
    mark_added(signup_id, **services)
    return runtime, signup_id


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


def _process_stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of process `pid` from /proc; None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)": state, ppid, ..., start 20th
    return fields[0], int(fields[1]), fields[19]


def _browser_processes(marker: bytes) -> dict[int, str]:
    """Pid -> start time of the processes whose environment holds `marker`, and of all their
    descendants (Chromium gives its children a cleaned environment); {} where /proc is missing.
    """
    stats: dict[int, tuple[str, int, str]] = {}
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or (stat := _process_stat(int(entry.name))) is None:
                continue
            stats[int(entry.name)] = stat
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
    while children := {pid for pid, stat in stats.items() if stat[1] in found} - found:
        found |= children
    return {pid: stats[pid][2] for pid in found}


def _wait_until_gone(processes: dict[int, str], timeout: float) -> None:
    """Waits until each of `processes` has exited and been reaped; kills any still running.

    Chromium's crash handlers and zygote outlive the browser process briefly, orphaned: init
    reaps them about a second later. Waiting for that leaves no trace of the browser behind.
    """

    def remaining() -> dict[int, str]:
        left = {}
        for pid, started in processes.items():
            stat = _process_stat(pid)
            if stat is not None and stat[2] == started:  # the same process, not a reused pid
                left[pid] = stat[0]
        return left

    deadline = time.monotonic() + timeout
    while (left := remaining()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid, state in left.items():
        if state != "Z":
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Debian Chromium for the session (Playwright's own download fails here).

    Closed at the end with every process it started, orphaned helpers included.
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (installs Debian's chromium)")
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        env={**os.environ, BROWSER_MARKER: token},
    )
    try:
        yield browser
    finally:
        processes = _browser_processes(f"{BROWSER_MARKER}={token}".encode())
        browser.close()
        _wait_until_gone(processes, BROWSER_EXIT_TIMEOUT)


def _new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(locale="nl-NL", viewport={"width": 800, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def new_context(browser: Browser) -> Iterator:
    """Makes extra browser contexts (e.g. ``java_script_enabled=False``); closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        context = _new_context(browser, **options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """A fresh page in a context of its own (no cookies or cache shared between tests)."""
    return new_context().new_page()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class SeenHtml:
    """The HTML documents a test's browser received, by name, checked by vnu in one run.

    Only what the server sent counts, not the DOM the browser made of it: a browser repairs
    broken markup silently, so the DOM would hide the very errors the checker is for.
    """

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}

    def add(self, name: str, html: str) -> None:
        assert name not in self.documents, f"two documents named {name!r}"
        self.documents[name] = html

    def page(self, name: str, response: Response | None) -> None:
        """The body of ``response``, or of the page its redirects led to (a form's 303)."""
        assert response is not None, f"no response for {name!r}"
        request = response.request
        while request.redirected_to is not None:
            request = request.redirected_to
        final = request.response()
        assert final is not None, f"no response for {name!r} after its redirects"
        assert (final.header_value("content-type") or "").startswith("text/html"), name
        self.add(name, final.text())

    def assert_valid(self) -> None:
        """Fails, naming each document and error, unless vnu finds no error in any of them."""
        assert self.documents, "no documents seen"
        check(self.documents).assert_no_errors()


@pytest.fixture
def seen_html() -> SeenHtml:
    return SeenHtml()


@pytest.fixture
def dev_stack(firestore_client, monkeypatch, tmp_path) -> Iterator[tuple[str, MailWatch]]:
    """``make dev``'s server and mail relay on the test's emulator project; mail to tmp_path."""
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    monkeypatch.setenv("MAIL_OUTBOX_DIR", str(outbox))
    monkeypatch.delenv("DEPLOYMENT_FILE", raising=False)
    bootstrap.reset()
    with serving("127.0.0.1", 0) as base_url:
        monkeypatch.setenv("PUBLIC_BASE_URL", base_url)
        bootstrap.reset()
        yield base_url, MailWatch(outbox)
    bootstrap.reset()
