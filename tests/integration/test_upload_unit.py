"""The upload unit ``make deploy`` stages, run the way Google runs it, walked end to end over HTTP.

In Google Cloud, Cloud Build installs ``functions/requirements.txt`` (and nothing else) into a
fresh environment; Cloud Run starts each function as its own ``functions-framework
--target=NAME`` server, in the upload's directory, behind Google's front end
(``https://REGION-PROJECT.cloudfunctions.net/NAME``); Eventarc posts every created ``mail/{id}``
document to ``deliver_mail``; Cloud Scheduler posts to the sweeps.

Here: the upload `infra.deploy.stage` builds, a virtual environment with only those
requirements (cached under .local/upload-venv/), one process per function on a localhost port,
devstack/front_end.py as the front end (HTTPS, a path per function) and devstack/relay.py as
Eventarc. Nothing of the repository is on the functions' path and no development package is
installed, so what the dev server hides fails here: a requirement missing from the file, a
template or the deployment file not staged, an import of code that is not uploaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
import trustme

from devstack import front_end
from devstack.relay import MailRelay
from infra.deploy import stage
from infra.functions import FUNCTIONS, FunctionSpec
from tests.conftest import EXAMPLE_DEPLOYMENT, REPOSITORY

pytestmark = pytest.mark.emulator

REQUIREMENTS = REPOSITORY / "functions" / "requirements.txt"
VENV_CACHE = REPOSITORY / ".local" / "upload-venv"
# A cold build takes about 20 s here; a slow mirror may take minutes. Beyond this it is stuck.
VENV_BUILD_TIMEOUT = 900.0
# Eight processes import the Firestore client and gRPC at once on as few as two cores.
START_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0
MAIL_TIMEOUT = 20.0
OUTPUT_TAIL_LINES = 40
SIGNING_KEY = "upload-unit-signing-key-" + "u" * 32


# ---- the build: functions/requirements.txt alone, in a fresh virtual environment -------------


def upload_venv(requirements: Path = REQUIREMENTS, cache: Path = VENV_CACHE) -> Path:
    """A virtual environment with exactly ``requirements`` installed, as Cloud Build makes one.

    Kept in ``cache`` under a key of the requirements and this Python, so a changed file gets a
    new one. Built in a temporary directory and renamed into place: a rename is atomic, so a
    directory under its key is always complete, and of two test runs racing to build it the
    second rename fails and that run uses the first one's.
    """
    key = _venv_key(requirements.read_bytes())
    venv = cache / key
    if (venv / "pyvenv.cfg").is_file():
        return venv
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".building-{key}-", dir=cache))
    building.chmod(0o755)  # mkdtemp makes it private; the venv is an ordinary directory
    log = building.with_suffix(".log")
    try:
        # From the base interpreter, not the development venv this test runs in.
        _run([sys.executable, "-m", "venv", "--clear", str(building)], log)
        pip = [str(building / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "install", "--no-input", "-r", str(requirements)], log)
        try:
            building.rename(venv)
        except OSError:
            if not (venv / "pyvenv.cfg").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
        log.unlink(missing_ok=True)
    _forget_other_venvs(cache, keep=venv)
    return venv


def _venv_key(requirements: bytes) -> str:
    python = f"{platform.python_version()} {sys.base_prefix} {platform.machine()}"
    digest = hashlib.sha256(requirements + b"\0" + python.encode()).hexdigest()[:16]
    return f"py{sys.version_info.major}{sys.version_info.minor}-{digest}"


def _run(command: list[str], log: Path) -> None:
    # The machine's pip configuration (index, proxy) applies, as it would to a maintainer; but
    # nothing of this test's own environment may reach the build.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_USER", "PIP_TARGET")
    }
    with log.open("ab") as output:
        # A session of its own, so that a build stopped halfway (timeout, Ctrl-C) leaves no
        # process of pip's behind.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    try:
        status = process.wait(VENV_BUILD_TIMEOUT)
    except BaseException as error:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if not isinstance(error, subprocess.TimeoutExpired):
            raise
        status = f"no result within {VENV_BUILD_TIMEOUT:.0f} s"
    if status != 0:
        pytest.fail(
            f"could not build the functions' environment (exit status: {status}); "
            f"{' '.join(command)} said:\n{_tail(log)}",
            pytrace=False,
        )


def _forget_other_venvs(cache: Path, keep: Path) -> None:
    """Remove environments of earlier requirements (about 200 MB each) and abandoned builds.

    Only those untouched for an hour: another test run may be using one right now.
    """
    an_hour_ago = time.time() - 3600
    for entry in cache.iterdir():
        with suppress(OSError):  # another run may remove it first
            if entry != keep and entry.stat().st_mtime < an_hour_ago:
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()


@pytest.fixture(scope="session")
def functions_venv() -> Path:
    return upload_venv()


# ---- the runtime: one functions-framework process per function -------------------------------


def function_name(spec: FunctionSpec) -> str:
    """The function's name in Google Cloud, and so the path of its URL."""
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) else spec.entry_point.replace("_", "-")


@dataclass
class FunctionProcess:
    spec: FunctionSpec
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def name(self) -> str:
        return function_name(self.spec)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    def output(self) -> str:
        """The last of what the function wrote: its JSON log lines (what Cloud Logging would
        show) as text, stack traces unfolded, and anything else (a crash at start) as it is."""
        lines = []
        for line in _tail(self.log).splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict) and "message" in entry:
                lines.append(f"{entry.get('severity', '')} {entry['message']}")
                lines.extend(str(entry.get("stack_trace", "")).splitlines()[-8:])
            else:
                lines.append(line)
        heading = f"--- {self.name} (functions-framework --target={self.spec.entry_point}) ---"
        return "\n".join([heading, *lines])


def start_function(
    spec: FunctionSpec,
    port: int,
    *,
    venv: Path,
    upload: Path,
    environment: dict[str, str],
    log_dir: Path,
) -> FunctionProcess:
    """``functions-framework --target=...`` for ``spec`` from ``venv``, in ``upload``, in a
    process group of its own (so that stopping it stops gunicorn's worker too)."""
    log = log_dir / f"{function_name(spec)}.log"
    # Each Cloud Run instance has a file system of its own; gunicorn keeps its control socket
    # under $HOME, so the functions must not share one.
    home = log_dir / f"{function_name(spec)}-home"
    home.mkdir()
    command = [
        # The venv was built under another name and renamed: its scripts' #! lines name the
        # build directory, so the script is run by the venv's interpreter explicitly.
        str(venv / "bin" / "python"),
        str(venv / "bin" / "functions-framework"),
        f"--target={spec.entry_point}",
        f"--signature-type={spec.signature_type}",
        "--host=127.0.0.1",
        f"--port={port}",
    ]
    # What Cloud Run sets for a 2nd gen function, and nothing of this test's own environment.
    runtime = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "K_SERVICE": function_name(spec),
        "K_REVISION": f"{function_name(spec)}-00001-loc",
        "K_CONFIGURATION": function_name(spec),
        "FUNCTION_TARGET": spec.entry_point,
        "FUNCTION_SIGNATURE_TYPE": spec.signature_type,
        "LOG_EXECUTION_ID": "true",
        "PYTHONUNBUFFERED": "1",  # a crash's last words reach the log
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=upload,
            env={**runtime, **environment},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return FunctionProcess(spec, port, process, log)


def wait_until_answering(functions: list[FunctionProcess], timeout: float = START_TIMEOUT) -> None:
    """Until every function answers a request (any status: a 405 or a 500 is its own answer,
    which the journey judges), failing with the output of any that exits or stays silent."""
    deadline = time.monotonic() + timeout
    waiting = list(functions)
    with requests.Session() as probe:
        probe.trust_env = False  # localhost only, whatever proxy the machine names
        while waiting:
            for function in list(waiting):
                if function.process.poll() is not None:
                    pytest.fail(
                        f"{function.name} exited with status {function.process.returncode} "
                        f"before it answered:\n{function.output()}",
                        pytrace=False,
                    )
                with suppress(requests.ConnectionError, requests.Timeout):
                    probe.get(function.url, timeout=2)  # a GET changes nothing on any function
                    waiting.remove(function)
            if waiting and time.monotonic() > deadline:
                silent = ", ".join(function.name for function in waiting)
                outputs = "\n".join(function.output() for function in waiting)
                pytest.fail(
                    f"{silent} did not answer within {timeout:.0f} s:\n{outputs}", pytrace=False
                )
            time.sleep(0.1)


def stop_functions(functions: list[FunctionProcess]) -> None:
    """SIGTERM to each process group (gunicorn's master stops its worker, then itself), all at
    once so that they shut down together; SIGKILL whatever is left after STOP_TIMEOUT."""
    for function in functions:
        with suppress(ProcessLookupError):
            os.killpg(function.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for function in functions:
        with suppress(subprocess.TimeoutExpired):
            function.process.wait(max(0.0, deadline - time.monotonic()))
        with suppress(ProcessLookupError):
            os.killpg(function.process.pid, signal.SIGKILL)
        function.process.wait()


def live_members(group: int) -> list[int]:
    """Pids of the running (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[2]) == group and fields[0] not in ("Z", "X"):
                    members.append(int(entry.name))
    return members


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = OUTPUT_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError as error:
        return f"(no output: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


# ---- the deployment: the upload, its functions, the front end and Eventarc -------------------


class Outbox:
    """The .eml files the ``file`` transport writes, taken one by one as they arrive."""

    def __init__(self, directory: Path, diagnostics: Callable[[], str]) -> None:
        self.directory = directory
        self.diagnostics = diagnostics
        self.seen: set[str] = set()

    def next_mail(self, id_part: str, timeout: float = MAIL_TIMEOUT) -> EmailMessage:
        """The first mail not taken before whose id (the file name) holds ``id_part``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(self.directory.glob("*.eml")):
                if id_part in path.name and path.name not in self.seen:
                    self.seen.add(path.name)
                    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            time.sleep(0.05)
        arrived = sorted(path.name for path in self.directory.glob("*.eml"))
        raise AssertionError(
            f"no mail {id_part!r} within {timeout:.0f} s (arrived: {arrived or 'none'})\n"
            f"{self.diagnostics()}"
        )


@dataclass
class Deployed:
    url: str  # the front end's origin: PUBLIC_BASE_URL
    http: requests.Session
    functions: dict[str, FunctionProcess]
    outbox: Outbox
    relay: MailRelay

    def expect(self, response: requests.Response, status: int) -> requests.Response:
        """``response`` if it has ``status``; else a failure with the answer and the output of
        the function that gave it (a missing template shows there, not in the 500's page)."""
        if response.status_code != status:
            name = response.request.path_url.lstrip("/").partition("/")[0].partition("?")[0]
            function = self.functions.get(name)
            raise AssertionError(
                f"{response.request.method} {response.request.path_url.partition('?')[0]} "
                f"answered {response.status_code}, not {status}:\n{response.text[:600]}\n"
                + (function.output() if function else "")
            )
        return response


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for the front end and the CA file that makes clients trust it: Google's
    front end serves only HTTPS, and the functions add HSTS when the client used it."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "front-end-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


@pytest.fixture
def deployed(
    firestore_client, firestore_emulator, functions_venv: Path, tls, tmp_path: Path
) -> Iterator[Deployed]:
    """Every function of the staged upload running as in Google Cloud, behind one front end."""
    upload = stage(EXAMPLE_DEPLOYMENT, tmp_path / "build")
    outbox_dir = tmp_path / "outbox"
    logs = tmp_path / "logs"
    logs.mkdir()
    server_context, ca_file = tls
    started: list[FunctionProcess] = []
    with ExitStack() as cleanup:
        # Registered first, so it runs last: after the relay and the front end, and also when
        # a start fails halfway.
        cleanup.callback(stop_functions, started)
        # The front end needs the functions' ports, the functions its URL: ports first.
        ports = {spec: _free_port() for spec in FUNCTIONS}
        front = cleanup.enter_context(
            front_end.serving(
                {function_name(spec): f"127.0.0.1:{port}" for spec, port in ports.items()},
                ssl_context=server_context,
            )
        )
        environment = {
            "GOOGLE_CLOUD_PROJECT": firestore_client.project,
            "FIRESTORE_EMULATOR_HOST": firestore_emulator.host,
            "MAIL_TRANSPORT": "file",
            "MAIL_OUTBOX_DIR": str(outbox_dir),
            "PUBLIC_BASE_URL": front.url,
            "SIGNING_KEY": SIGNING_KEY,
        }
        for spec, port in ports.items():
            started.append(
                start_function(
                    spec,
                    port,
                    venv=functions_venv,
                    upload=upload,
                    environment=environment,
                    log_dir=logs,
                )
            )
        wait_until_answering(started)
        functions = {function.name: function for function in started}

        [delivery] = [f for f in started if f.spec.signature_type == "cloudevent"]
        relay = MailRelay(firestore_client, delivery.url)
        cleanup.callback(relay.stop)
        relay.start()

        http = cleanup.enter_context(requests.Session())
        http.trust_env = False  # localhost only, whatever proxy the machine names
        http.verify = str(ca_file)
        yield Deployed(
            url=front.url,
            http=http,
            functions=functions,
            outbox=Outbox(outbox_dir, lambda: "\n".join(f.output() for f in started)),
            relay=relay,
        )
    left = {f.name: live_members(f.process.pid) for f in started if live_members(f.process.pid)}
    assert not left, f"processes left running: {left}"


# ---- the journey --------------------------------------------------------------------------------


def link_in(message: EmailMessage, path: str, base_url: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(rf"{re.escape(base_url)}/{path}\?token=[^\s<>\"]+", text)
    assert match, f"no {base_url}/{path}?token= link in {message['Subject']!r}:\n{text}"
    return match.group(0)


def test_the_staged_upload_unit_runs_the_whole_journey_as_deployed(
    deployed: Deployed, deployment, valid_signup
):
    site, http, outbox = deployed.url, deployed.http, deployed.outbox
    initiative = deployment.initiative.name
    coordinator = deployment.group("dorp").coordinator
    # What a browser sends with a form on our own page.
    browser = {"Origin": site}

    form = deployed.expect(http.get(f"{site}/signup", timeout=REQUEST_TIMEOUT), 200)
    assert "Aanmelden voor de buurt-WhatsApp-groep" in form.text
    assert f"Aanmelden – {initiative}" in form.text  # the staged deployment file was read
    assert form.headers["Content-Type"].startswith("text/html")
    # The function saw X-Forwarded-Proto: https from the front end, as in Google Cloud.
    assert "max-age=" in form.headers["Strict-Transport-Security"]
    assert form.headers["X-Content-Type-Options"] == "nosniff"

    resident = {**valid_signup, "street": "Kagerdreef", "house_number": "7"}
    posted = http.post(
        f"{site}/signup",
        data=resident,
        headers={**browser, "Referer": f"{site}/signup"},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    deployed.expect(posted, 303)
    thanks_url = urljoin(f"{site}/signup", posted.headers["Location"])
    assert thanks_url == f"{site}/signup?received=1"
    thanks = deployed.expect(http.get(thanks_url, timeout=REQUEST_TIMEOUT), 200)
    assert "Dank u wel voor uw aanmelding!" in thanks.text

    # Eventarc (the relay) posted the new mail document to deliver_mail, which wrote it.
    werkwijze = outbox.next_mail("-confirm-1")
    assert werkwijze["To"] == "zoe@example.org"
    assert werkwijze["Subject"] == f"Welkom! Bevestig uw aanmelding bij {initiative}"
    confirm_url = link_in(werkwijze, "confirm", site)
    page = deployed.expect(http.get(confirm_url, timeout=REQUEST_TIMEOUT), 200)
    assert "Bevestig uw aanmelding" in page.text
    confirmed = deployed.expect(
        http.post(confirm_url, headers=browser, timeout=REQUEST_TIMEOUT), 200
    )
    assert "uw aanmelding is bevestigd!" in confirmed.text
    assert deployment.group("dorp").name in confirmed.text

    alert = outbox.next_mail("-coordinator-alert-")
    assert alert["To"] == coordinator.email
    assert (
        alert["Subject"]
        == f"Nieuwe deelnemer voor {deployment.group('dorp').name}: Zoë van 't Veld"
    )
    [card] = [part for part in alert.iter_attachments() if part.get_content_type() == "text/vcard"]
    assert "TEL;TYPE=CELL:+31612345678" in card.get_content()
    assert "FN:Zoë van 't Veld" in card.get_content()
    added_url = link_in(alert, "added", site)
    page = deployed.expect(http.get(added_url, timeout=REQUEST_TIMEOUT), 200)
    assert "toegevoegd?</h2>" in page.text
    done = deployed.expect(http.post(added_url, headers=browser, timeout=REQUEST_TIMEOUT), 200)
    assert "Dank u wel!" in done.text

    welcome = outbox.next_mail("-added-")
    assert welcome["To"] == "zoe@example.org"
    assert welcome["Subject"] == (
        f"U bent toegevoegd aan de WhatsApp-groep {deployment.group('dorp').name}"
    )
    leave_url = link_in(welcome, "leave", site)
    page = deployed.expect(http.get(leave_url, timeout=REQUEST_TIMEOUT), 200)
    assert f"Afmelden bij {initiative}" in page.text
    left = deployed.expect(http.post(leave_url, headers=browser, timeout=REQUEST_TIMEOUT), 200)
    assert "U bent afgemeld" in left.text

    goodbye = outbox.next_mail("-left")
    assert goodbye["To"] == "zoe@example.org"
    assert goodbye["Subject"] == f"U bent afgemeld bij {initiative}"
    remove = outbox.next_mail("-coordinator-remove-")
    assert remove["To"] == coordinator.email
    assert remove["Subject"] == "Graag uit de groep halen: Zoë van 't Veld heeft zich afgemeld"
    gone = http.post(leave_url, headers=browser, timeout=REQUEST_TIMEOUT)
    deployed.expect(gone, 410)

    # A neighbour applies as coordinator while Eventarc's triggers are lost (the relay stops):
    # Cloud Scheduler's sweep must deliver what no trigger announced.
    deployed.relay.stop()
    page = deployed.expect(http.get(f"{site}/coordinator", timeout=REQUEST_TIMEOUT), 200)
    assert "Word coördinator van een buurtgroep" in page.text
    application = {
        **{key: resident[key] for key in ("street", "house_number", "postcode", "privacy")},
        "name": "Sem de Boer",
        "email": "sem@example.org",  # the forms mail an address at most once a day
        "phone": "06-23456789",
        "motivation": "Ik help graag.",
    }
    applied = http.post(
        f"{site}/coordinator",
        data=application,
        headers=browser,
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    deployed.expect(applied, 303)
    assert applied.headers["Location"] == "?received=1"

    swept = deployed.expect(http.post(f"{site}/sweep-mail", timeout=REQUEST_TIMEOUT), 200)
    assert swept.json()["sent"] == 1 + len(deployment.regiegroep)
    ack = outbox.next_mail("-ack")
    assert ack["To"] == "sem@example.org"
    assert ack["Subject"] == f"Bedankt voor uw aanmelding als coördinator bij {initiative}"
    for number, member in enumerate(deployment.regiegroep):
        assert outbox.next_mail(f"-alert-{number}")["To"] == member.email
    swept = deployed.expect(http.post(f"{site}/sweep-mail", timeout=REQUEST_TIMEOUT), 200)
    assert swept.json()["sent"] == 0

    # Nothing is three days old yet; the answer shows the housekeeping ran its queries.
    kept = deployed.expect(http.post(f"{site}/housekeeping", timeout=REQUEST_TIMEOUT), 200)
    assert kept.json() == {
        "confirm_reminders": 0,
        "coordinator_reminders": 0,
        "expired": 0,
        "orphan_seats": 0,
    }
    # Cloud Scheduler's path only: a browser's GET changes nothing.
    deployed.expect(http.get(f"{site}/sweep-mail", timeout=REQUEST_TIMEOUT), 405)
