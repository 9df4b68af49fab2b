"""The three transports against real counterparts: files, moto's SES, and a real SMTP server.

SMTP runs against aiosmtpd on a free local port, plain, with STARTTLS and with implicit TLS, the
certificates issued by a throw-away ``trustme`` CA. SES error mapping is also checked against a
minimal HTTP server that answers like SES does, since moto cannot be made to throttle.
"""

from __future__ import annotations

import dataclasses
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from buurtwhatsapp.mail.message import Attachment, OutgoingMail
from buurtwhatsapp.mail.transports import (
    FileTransport,
    SesTransport,
    SmtpTransport,
    TransportError,
    transport_from_settings,
)
from buurtwhatsapp.settings import Settings
from devstack.processes import free_port

REGION = "eu-west-1"
SENDER = "noreply@buurt.example.org"
RECIPIENT = "zoe@example.org"
TEXT = "Hallo Zoë,\n\nBevestig je aanmelding via de link hieronder.\n"
HTML = "<p>Hallo Zoë,</p>\n<p>Bevestig je aanmelding via de <a href='#'>link</a>.</p>\n"
LEAVE_URL = "https://buurt.example.org/leave?token=" + "abcDEF012-_." * 12


def make_mail(**changes: Any) -> OutgoingMail:
    mail = OutgoingMail(
        mail_id="signup-0a1b2c-confirm-1",
        sender=f"Buurt WhatsApp Buitenkaag <{SENDER}>",
        to=f"Zoë van 't Veld <{RECIPIENT}>",
        subject="Welkom Zoë: bevestig je aanmelding",
        text=TEXT,
        html=HTML,
        reply_to="Regiegroep <regie@buurt.example.org>",
        headers=(("List-Unsubscribe", f"<{LEAVE_URL}>"),),
        attachments=(Attachment("werkwijze.txt", "text/plain", b"SAAR: Signaleer, ..."),),
    )
    return dataclasses.replace(mail, **changes)


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def assert_is_the_mail(message: EmailMessage) -> None:
    """Headers, both alternatives and the attachment of ``make_mail()`` survived the trip."""
    assert message["Subject"] == "Welkom Zoë: bevestig je aanmelding"
    assert message["From"].addresses[0].display_name == "Buurt WhatsApp Buitenkaag"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["To"].addresses[0].display_name == "Zoë van 't Veld"
    assert message["To"].addresses[0].addr_spec == RECIPIENT
    assert message["Reply-To"].addresses[0].addr_spec == "regie@buurt.example.org"
    assert message["List-Unsubscribe"] == f"<{LEAVE_URL}>"
    for subtype, expected in (("plain", TEXT), ("html", HTML)):
        part = message.get_body((subtype,))
        assert part is not None
        assert part.get_content().replace("\r\n", "\n") == expected
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "werkwijze.txt"
    assert attachment.get_payload(decode=True) == b"SAAR: Signaleer, ..."


# --- files -------------------------------------------------------------------------------------


def test_file_transport_writes_one_parseable_eml_per_mail(tmp_path: Path) -> None:
    outbox = tmp_path / "not" / "yet" / "there"
    transport = FileTransport(outbox)

    message_id = transport.send(make_mail())

    assert message_id == "<signup-0a1b2c-confirm-1@buurt.example.org>"
    assert [p.name for p in outbox.iterdir()] == ["signup-0a1b2c-confirm-1.eml"]
    message = parse((outbox / "signup-0a1b2c-confirm-1.eml").read_bytes())
    assert_is_the_mail(message)
    assert message["Message-ID"] == message_id


def test_file_transport_replaces_the_file_of_a_resent_mail(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    transport.send(make_mail(subject="eerste poging"))
    transport.send(make_mail(subject="tweede poging"))

    assert [p.name for p in tmp_path.iterdir()] == ["signup-0a1b2c-confirm-1.eml"]
    message = parse((tmp_path / "signup-0a1b2c-confirm-1.eml").read_bytes())
    assert message["Subject"] == "tweede poging"


def test_file_transport_refuses_an_unsafe_mail_permanently_and_writes_nothing(
    tmp_path: Path,
) -> None:
    with pytest.raises(TransportError) as raised:
        FileTransport(tmp_path / "outbox").send(make_mail(mail_id="../../escape"))

    assert raised.value.permanent
    assert list(tmp_path.rglob("*")) == []


def test_file_transport_reports_an_unwritable_outbox_as_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the directory should be")

    with pytest.raises(TransportError) as raised:
        FileTransport(blocker).send(make_mail())

    assert not raised.value.permanent


# --- SES with moto -------------------------------------------------------------------------------


@pytest.fixture
def ses_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto-backed sesv2 client with the sender's domain verified."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("sesv2", region_name=REGION)
        client.create_email_identity(EmailIdentity="buurt.example.org")
        yield client


def wire_requests(client: Any) -> list[dict[str, Any]]:
    """The JSON bodies of SendEmail exactly as botocore puts them on the wire."""
    bodies: list[dict[str, Any]] = []

    def record(request: Any, **_: Any) -> None:
        bodies.append(json.loads(request.body))

    client.meta.events.register("before-send.sesv2.SendEmail", record)
    return bodies


def test_ses_sends_the_raw_mime_to_the_one_recipient(ses_client: Any) -> None:
    transport = SesTransport(ses_client, configuration_set=None, tags=())

    message_id = transport.send(make_mail())

    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert message_id == sent.id
    assert sent.source == SENDER
    # moto adds the To header's addresses (still RFC 2047-encoded) to the explicit Destination,
    # so it lists Zoë twice; real SES sends to the Destination only.
    assert {parseaddr(destination)[1] for destination in sent.destinations} == {RECIPIENT}
    assert_is_the_mail(parse(sent.raw_data.encode("ascii")))


def test_ses_passes_the_configuration_set_and_tags(ses_client: Any) -> None:
    bodies = wire_requests(ses_client)
    transport = SesTransport(
        ses_client, configuration_set="buurt-events", tags=[("app", "buurtwhatsapp"), ("kind", "x")]
    )

    transport.send(make_mail())

    (body,) = bodies
    assert body["ConfigurationSetName"] == "buurt-events"
    assert body["EmailTags"] == [
        {"Name": "app", "Value": "buurtwhatsapp"},
        {"Name": "kind", "Value": "x"},
    ]
    assert body["Destination"] == {"ToAddresses": [RECIPIENT]}
    assert body["FromEmailAddress"] == SENDER


def test_ses_leaves_out_an_unset_configuration_set_and_empty_tags(ses_client: Any) -> None:
    bodies = wire_requests(ses_client)

    SesTransport(ses_client, configuration_set=None, tags=()).send(make_mail())

    (body,) = bodies
    assert "ConfigurationSetName" not in body
    assert "EmailTags" not in body


def test_ses_rejects_an_unverified_sender_permanently(ses_client: Any) -> None:
    transport = SesTransport(ses_client, configuration_set=None, tags=())

    with pytest.raises(TransportError) as raised:
        transport.send(make_mail(sender="Iemand <someone@elsewhere.example.net>"))

    assert raised.value.permanent
    assert raised.value.code == "MessageRejected"
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []


def test_ses_tags_must_be_what_ses_accepts() -> None:
    with pytest.raises(ValueError, match="SES tag"):
        SesTransport(object(), configuration_set=None, tags=[("app", "buurt whatsapp")])  # type: ignore[arg-type]


class FakeSesHandler(BaseHTTPRequestHandler):
    """Answers every request with the status and error type the server was set up with."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status, error_type = self.server.answer  # type: ignore[attr-defined]
        body = json.dumps(
            {"message": f"Email address is not verified: {RECIPIENT}"}  # as SES does
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_ses() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSesHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def ses_client_at(url: str) -> Any:
    return boto3.client(
        "sesv2",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )


@pytest.mark.parametrize(
    ("status", "error_type", "permanent"),
    [
        (429, "TooManyRequestsException", False),
        (400, "LimitExceededException", False),
        (503, "ServiceUnavailable", False),
        (500, "SomethingNew", False),
        (400, "MessageRejected", True),
        (400, "AccountSuspendedException", True),
        (400, "SendingPausedException", True),
        (400, "MailFromDomainNotVerifiedException", True),
        (404, "NotFoundException", True),
        (403, "UnrecognizedClientException", True),
    ],
)
def test_ses_errors_are_told_apart_and_carry_no_address(
    fake_ses: ThreadingHTTPServer, status: int, error_type: str, permanent: bool
) -> None:
    fake_ses.answer = (status, error_type)  # type: ignore[attr-defined]
    client = ses_client_at(f"http://127.0.0.1:{fake_ses.server_address[1]}")

    with pytest.raises(TransportError) as raised:
        SesTransport(client, configuration_set=None, tags=()).send(make_mail())

    error = raised.value
    assert error.permanent is permanent
    assert error.code == error_type
    assert RECIPIENT not in str(error) and RECIPIENT not in repr(error)
    # Not chained either, so a logged traceback does not show the provider's text.
    assert error.__cause__ is None and error.__context__ is None


def test_ses_unreachable_is_transient() -> None:
    client = ses_client_at(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(TransportError) as raised:
        SesTransport(client, configuration_set=None, tags=()).send(make_mail())

    assert not raised.value.permanent
    assert raised.value.code == "EndpointConnectionError"


# --- SMTP against aiosmtpd -----------------------------------------------------------------------

USERNAME, PASSWORD = "buurt", "geheim-wachtwoord"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool


class RecordingHandler:
    """Stores every accepted envelope; answers ``refusals[address]`` to RCPT TO that address."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals: dict[str, str] = {}

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert server.transport is not None and envelope.original_content is not None
        self.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.original_content,
                tls=server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 Message accepted for delivery"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    valid = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    # handled=False: aiosmtpd answers 535 itself; its default (True) leaves the client hanging.
    return AuthResult(success=valid, handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """Start an aiosmtpd server with the given options: ``start(**options) -> (handler, port)``."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[RecordingHandler, int]:
        handler = RecordingHandler()
        port = free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="localhost", **options
        )
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()


def test_smtp_plain_delivers_the_envelope_and_the_message(smtp_server: Any) -> None:
    handler, port = smtp_server()

    message_id = SmtpTransport("127.0.0.1", port, security="none").send(make_mail())

    (received,) = handler.received
    assert (received.mail_from, received.rcpt_tos) == (SENDER, [RECIPIENT])
    assert not received.tls
    message = parse(received.content)
    assert_is_the_mail(message)
    assert message_id == message["Message-ID"] == "<signup-0a1b2c-confirm-1@buurt.example.org>"


def test_smtp_starttls_with_login(
    smtp_server: Any, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    handler, port = smtp_server(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    transport = SmtpTransport(
        "127.0.0.1",
        port,
        security="starttls",
        username=USERNAME,
        password=PASSWORD,
        ssl_context=client_tls,
    )

    transport.send(make_mail())

    (received,) = handler.received
    assert received.tls and received.authenticated
    assert received.rcpt_tos == [RECIPIENT]
    assert_is_the_mail(parse(received.content))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_implicit_tls_with_login(
    smtp_server: Any, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    # aiosmtpd only counts STARTTLS as TLS for AUTH; on an implicit-TLS socket it must be told.
    handler, port = smtp_server(
        ssl_context=server_tls,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    transport = SmtpTransport(
        "127.0.0.1",
        port,
        security="tls",
        username=USERNAME,
        password=PASSWORD,
        ssl_context=client_tls,
    )

    transport.send(make_mail())

    (received,) = handler.received
    assert received.tls and received.authenticated
    assert_is_the_mail(parse(received.content))


def test_smtp_wrong_password_is_permanent(
    smtp_server: Any, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    handler, port = smtp_server(
        tls_context=server_tls, authenticator=authenticator, auth_required=True
    )
    transport = SmtpTransport(
        "127.0.0.1", port, username=USERNAME, password="fout", ssl_context=client_tls
    )

    with pytest.raises(TransportError) as raised:
        transport.send(make_mail())

    assert raised.value.permanent
    assert raised.value.code == "535"
    assert handler.received == []


def test_smtp_starttls_with_an_untrusted_certificate_is_permanent(
    smtp_server: Any, server_tls: ssl.SSLContext
) -> None:
    handler, port = smtp_server(tls_context=server_tls, require_starttls=True)

    with pytest.raises(TransportError) as raised:
        SmtpTransport("127.0.0.1", port, security="starttls").send(make_mail())  # system CAs

    assert raised.value.permanent
    assert raised.value.code == "SSLCertVerificationError"
    assert handler.received == []


def test_smtp_without_starttls_support_never_falls_back_to_plain(smtp_server: Any) -> None:
    handler, port = smtp_server()  # no tls_context: STARTTLS is not offered

    with pytest.raises(TransportError) as raised:
        SmtpTransport("127.0.0.1", port, security="starttls").send(make_mail())

    assert raised.value.permanent
    assert handler.received == []


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [
        (f"550 5.1.1 <{RECIPIENT}>: Recipient address rejected: no such user", True),
        (f"451 4.3.0 <{RECIPIENT}>: Temporary lookup failure", False),
    ],
)
def test_smtp_refused_recipient(smtp_server: Any, reply: str, permanent: bool) -> None:
    handler, port = smtp_server()
    handler.refusals[RECIPIENT] = reply

    with pytest.raises(TransportError) as raised:
        SmtpTransport("127.0.0.1", port, security="none").send(make_mail())

    error = raised.value
    assert error.permanent is permanent
    assert error.code == reply[:3]
    assert RECIPIENT not in str(error) and RECIPIENT not in repr(error)
    assert error.__cause__ is None and error.__context__ is None
    assert handler.received == []


def test_smtp_nobody_listening_is_transient() -> None:
    transport = SmtpTransport("127.0.0.1", free_port(), security="none", timeout=5)

    with pytest.raises(TransportError) as raised:
        transport.send(make_mail())

    assert not raised.value.permanent
    assert raised.value.code == "ConnectionRefusedError"


def test_smtp_credentials_are_never_sent_in_the_clear() -> None:
    with pytest.raises(ValueError, match="TLS"):
        SmtpTransport("127.0.0.1", 25, security="none", username=USERNAME, password=PASSWORD)


# --- settings ----------------------------------------------------------------------------------


def test_transport_from_settings_builds_the_configured_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    base = {
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SIGNING_KEY": "k" * 40,
        "KEY_PEPPER": "p" * 40,
    }

    files = transport_from_settings(Settings.from_env({**base, "MAIL_TRANSPORT": "file"}))
    assert isinstance(files, FileTransport)
    assert files.outbox_dir == tmp_path / "outbox"

    smtp = transport_from_settings(
        Settings.from_env(
            {
                **base,
                "MAIL_TRANSPORT": "smtp",
                "SMTP_HOST": "smtp.example.org",
                "SMTP_SECURITY": "tls",
            }
        )
    )
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.example.org", 465, "tls")

    with mock_aws():
        ses_env = {**base, "MAIL_TRANSPORT": "ses", "SES_REGION": REGION, "SES_TAGS": "app=buurt"}
        ses = transport_from_settings(Settings.from_env(ses_env))
        assert isinstance(ses, SesTransport)
        boto3.client("sesv2", region_name=REGION).create_email_identity(
            EmailIdentity="buurt.example.org"
        )
        ses.send(make_mail())
        assert len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages) == 1


# --- International domains: the envelope names the validated domain ----------------------------

# As stored by the form (Unicode domain) -> where it must go (IDNA 2008, email-validator's form).
IDN_RECIPIENTS = [
    ("resident@faß.de", "resident@xn--fa-hia.de"),
    ("thea@βόλος.com", "thea@xn--nxasmm1c.com"),
    ("zoe@exämple.org", "zoe@xn--exmple-cua.org"),
]


@pytest.mark.parametrize(("stored", "wire"), IDN_RECIPIENTS)
def test_smtp_sends_an_international_domain_to_its_idna_2008_form(
    smtp_server: Any, stored: str, wire: str
) -> None:
    handler, port = smtp_server()

    SmtpTransport("127.0.0.1", port, security="none").send(make_mail(to=stored))

    (received,) = handler.received
    assert received.rcpt_tos == [wire]
    assert parse(received.content)["To"].addresses[0].addr_spec == wire


@pytest.mark.parametrize(("stored", "wire"), IDN_RECIPIENTS)
def test_ses_sends_an_international_domain_to_its_idna_2008_form(
    ses_client: Any, stored: str, wire: str
) -> None:
    sent_bodies = wire_requests(ses_client)

    SesTransport(ses_client, configuration_set=None, tags=()).send(make_mail(to=stored))

    (body,) = sent_bodies
    assert body["Destination"] == {"ToAddresses": [wire]}
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert parse(sent.raw_data.encode("ascii"))["To"].addresses[0].addr_spec == wire
