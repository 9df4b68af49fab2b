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

import io
import os
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
import trustme

from buurtwhatsapp import bootstrap, cli
from buurtwhatsapp.common.clock import SystemClock
from buurtwhatsapp.coordinators.changes import seed_people
from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.store import Store
from devstack import front_end
from devstack.processes import free_ports
from devstack.relay import MailRelay
from devstack.upload_unit import (
    FunctionProcess,
    VenvBuildError,
    function_name,
    live_members,
    start_function,
    stop_functions,
    upload_venv,
)
from infra.deploy import stage
from infra.functions import FUNCTIONS
from tests.conftest import EXAMPLE_DEPLOYMENT, REPOSITORY
from tests.mail_watch import MailWatch

pytestmark = pytest.mark.emulator

# Eight processes import the Firestore client and gRPC at once on as few as two cores.
START_TIMEOUT = 90.0
REQUEST_TIMEOUT = 30.0
SIGNING_KEY = "upload-unit-signing-key-" + "u" * 32
PEOPLE_CACHE_SECONDS = 1


# ---- the build and the runtime: devstack/upload_unit.py, shared with the benchmarks ---------


@pytest.fixture(scope="session")
def functions_venv() -> Path:
    try:
        return upload_venv()
    except VenvBuildError as error:
        pytest.fail(str(error), pytrace=False)


def test_a_python_with_only_the_functions_requirements_stages_the_upload(
    functions_venv: Path, tmp_path: Path
):
    """The deploy runs in such a venv when the maintainer's Python lacks the requirements
    (infra/deploy.py); staging there imports every module of the package, to compile its
    classes, so none may need a development-only package at import."""
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(REPOSITORY)!r}, {str(REPOSITORY / 'functions')!r}]\n"
        "from pathlib import Path\n"
        "from infra.deploy import stage\n"
        f"print(stage(Path({str(EXAMPLE_DEPLOYMENT)!r}), Path({str(tmp_path)!r})))\n"
    )
    result = subprocess.run(
        [str(functions_venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    upload = Path(result.stdout.strip().splitlines()[-1])
    assert (upload / "buurtwhatsapp" / "__compiled__" / "classes.marshal").stat().st_size > 1000
    assert any((upload / "templates" / "__compiled__").iterdir())


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


# ---- the deployment: the upload, its functions, the front end and Eventarc -------------------


@dataclass
class Deployed:
    url: str  # the front end's origin: PUBLIC_BASE_URL
    http: requests.Session
    functions: dict[str, FunctionProcess]
    outbox: MailWatch
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
    # The upload names nobody; the deploy's people step stores whom the file names.
    seed_people(
        deployment=load_deployment(EXAMPLE_DEPLOYMENT),
        store=Store(firestore_client),
        clock=SystemClock(),
    )
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
        ports = dict(zip(FUNCTIONS, free_ports(len(FUNCTIONS)), strict=True))
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
            # Five minutes when deployed; a second here, so a test sees a change arrive.
            "PEOPLE_CACHE_SECONDS": str(PEOPLE_CACHE_SECONDS),
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
            outbox=MailWatch(outbox_dir, lambda: "\n".join(f.output() for f in started)),
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
    werkwijze = outbox.next_mail("Welkom!")
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

    alert = outbox.next_mail("Nieuwe deelnemer")
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

    welcome = outbox.next_mail("U bent toegevoegd")
    assert welcome["To"] == "zoe@example.org"
    assert welcome["Subject"] == (
        f"U bent toegevoegd aan de WhatsApp-groep {deployment.group('dorp').name}"
    )
    leave_url = link_in(welcome, "leave", site)
    page = deployed.expect(http.get(leave_url, timeout=REQUEST_TIMEOUT), 200)
    assert f"Afmelden bij {initiative}" in page.text
    left = deployed.expect(http.post(leave_url, headers=browser, timeout=REQUEST_TIMEOUT), 200)
    assert "U bent afgemeld" in left.text

    goodbye = outbox.next_mail("U bent afgemeld")
    assert goodbye["To"] == "zoe@example.org"
    assert goodbye["Subject"] == f"U bent afgemeld bij {initiative}"
    remove = outbox.next_mail("heeft zich afgemeld")
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
    ack = outbox.next_mail("Bedankt voor uw aanmelding als coördinator")
    assert ack["To"] == "sem@example.org"
    assert ack["Subject"] == f"Bedankt voor uw aanmelding als coördinator bij {initiative}"
    for member in deployment.regiegroep:
        assert outbox.next_mail("Nieuwe aanmelding als coördinator", to=member.email)
    swept = deployed.expect(http.post(f"{site}/sweep-mail", timeout=REQUEST_TIMEOUT), 200)
    assert swept.json()["sent"] == 0

    # Nothing is three days old yet; the answer shows the housekeeping ran its queries. This
    # month's digest for the regiegroep goes out with the first run, and only then.
    kept = deployed.expect(http.post(f"{site}/housekeeping", timeout=REQUEST_TIMEOUT), 200)
    assert kept.json() == {
        "confirm_reminders": 0,
        "coordinator_reminders": 0,
        "expired": 0,
        "orphan_seats": 0,
        "checks_asked": 0,
        "checks_reminded": 0,
        "checks_lapsed": 0,
        "rules_sent": 0,
        "application_digest_mails": 0,
        "counted_anew": 0,  # every sign-up counted under this file's streets already
        "digest_mails": len(deployment.regiegroep),
    }
    again = deployed.expect(http.post(f"{site}/housekeeping", timeout=REQUEST_TIMEOUT), 200)
    assert again.json()["digest_mails"] == 0
    swept = deployed.expect(http.post(f"{site}/sweep-mail", timeout=REQUEST_TIMEOUT), 200)
    assert swept.json()["sent"] == len(deployment.regiegroep)
    for member in deployment.regiegroep:
        digest = outbox.next_mail("Maandoverzicht van de dekking", to=member.email)
        overview_url = link_in(digest, "overview", site)
        page = deployed.expect(http.get(overview_url, timeout=REQUEST_TIMEOUT), 200)
        assert "Overzicht van de dekking" in page.text and "Zoë" not in page.text
        refused = http.post(overview_url, headers=browser, timeout=REQUEST_TIMEOUT)
        deployed.expect(refused, 405)
    # Cloud Scheduler's path only: a browser's GET changes nothing.
    deployed.expect(http.get(f"{site}/sweep-mail", timeout=REQUEST_TIMEOUT), 405)


def test_a_coordinator_changed_with_the_cli_reaches_the_running_functions(
    deployed: Deployed, deployment, valid_signup, firestore_client, monkeypatch
):
    """No redeploy: the maintainer's command writes Firestore, the running instances read it
    once their PEOPLE_CACHE_SECONDS have passed (five minutes when deployed)."""
    site, http, outbox = deployed.url, deployed.http, deployed.outbox
    browser = {"Origin": site}

    def signed_up_and_confirmed(number: int) -> None:
        resident = {
            **valid_signup,
            "name": f"Bewoner {number}",
            "email": f"bewoner{number}@example.org",
            "phone": f"06-2345000{number}",
            "street": "Kagerdreef",
            "house_number": str(number),
        }
        posted = http.post(
            f"{site}/signup", data=resident, headers=browser, allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )  # fmt: skip
        deployed.expect(posted, 303)
        confirm_url = link_in(outbox.next_mail("Welkom!", to=resident["email"]), "confirm", site)
        deployed.expect(http.post(confirm_url, headers=browser, timeout=REQUEST_TIMEOUT), 200)

    signed_up_and_confirmed(1)
    first = outbox.next_mail("Nieuwe deelnemer voor")
    assert first["To"] == deployment.group("dorp").coordinator.email
    assert first["Subject"].endswith(": Bewoner 1")

    # The maintainer's command, as infra/maintain runs it, against the same Firestore.
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", firestore_client.project)
    monkeypatch.setenv("MAIL_TRANSPORT", "file")
    bootstrap.reset()
    out = io.StringIO()
    code = cli.main(
        ["coordinators", "set", "dorp", "--name", "Fenna Nieuw", "--email", "fenna@example.org",
         "--phone", "06-87654321"],
        out=out,
    )  # fmt: skip
    bootstrap.reset()
    assert code == 0, out.getvalue()

    # Eventarc hands the handover to the running delivery function.
    handover = outbox.next_mail("Welkom als coördinator", to="fenna@example.org")
    assert "Eén bewoner heeft de aanmelding bevestigd" in handover.get_body(
        ("plain",)
    ).get_content().replace("\n", " ")
    assert not list(handover.iter_attachments())  # nobody in the group yet: no contacts file
    thanks = outbox.next_mail("Bedankt voor uw inzet als coördinator")
    assert thanks["To"] == deployment.group("dorp").coordinator.email
    reannounced = outbox.next_mail("Nieuwe deelnemer voor", to="fenna@example.org")
    assert reannounced["Subject"].endswith(": Bewoner 1")
    assert "U bent nu coördinator van de groep" in reannounced.get_body(("plain",)).get_content()

    time.sleep(PEOPLE_CACHE_SECONDS + 0.5)
    signed_up_and_confirmed(2)
    second = outbox.next_mail("Bewoner 2", timeout=REQUEST_TIMEOUT)
    assert second["To"] == "fenna@example.org"
