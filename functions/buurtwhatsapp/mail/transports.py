"""The ways a mail leaves: local ``.eml`` files, Amazon SES (API v2, raw MIME) and SMTP.

Every transport takes an ``OutgoingMail``, builds its MIME with ``build_mime`` and returns an id
to record: the provider's message id (SES) or the Message-ID header (files, SMTP). Failures are
``TransportError``: ``permanent`` says whether retrying can help, ``reason`` is short and never
carries personal data (no addresses, no server texts, which often echo the address). The provider
exception is deliberately not chained, so that logging a TransportError with its traceback does not
log an address either; the reason keeps the provider's error code.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the type stubs are a development dependency; boto3 is loaded lazily
    from mypy_boto3_sesv2 import SESV2Client

from ..common.settings import Settings
from .message import OutgoingMail
from .mime import as_bytes, build_mime, envelope


class TransportError(Exception):
    """A mail was not sent. ``permanent``: retrying the same mail cannot help."""

    def __init__(self, reason: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code  # the provider's error code or SMTP reply code, when there is one

    def __repr__(self) -> str:
        return f"TransportError({self.reason!r}, permanent={self.permanent})"


class Transport(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send ``mail``; return the provider's message id; raise ``TransportError``."""
        ...


@dataclass(frozen=True, slots=True)
class _Built:
    sender: str  # the envelope's bare addresses, from our own parse of the mail
    recipient: str
    message_id: str
    data: bytes


def _build(mail: OutgoingMail) -> _Built:
    """The envelope and the message's bytes; a mail that cannot be built fails permanently."""
    try:
        message = build_mime(mail)
        sender, recipient = envelope(mail)
    except ValueError as error:  # the message names the field, never its value
        raise TransportError(f"invalid message: {error}", permanent=True) from None
    return _Built(sender, recipient, str(message["Message-ID"]), as_bytes(message))


class FileTransport:
    """Writes each mail to ``<outbox_dir>/<mail_id>.eml``; the local default.

    The file appears complete or not at all (written to a temporary file, then renamed), and a
    second send of the same mail replaces the first.
    """

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = Path(outbox_dir)

    def send(self, mail: OutgoingMail) -> str:
        built = _build(mail)  # validates mail_id, so it is a safe file name
        target = self.outbox_dir / f"{mail.mail_id}.eml"
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                dir=self.outbox_dir, prefix=f".{mail.mail_id}.", suffix=".tmp"
            )
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(built.data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise TransportError(
                f"outbox not writable: {type(error).__name__}", permanent=False
            ) from None
        return built.message_id


# SES (and AWS-wide) error codes; anything else is judged by its HTTP status.
_SES_PERMANENT = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "NotFoundException",  # e.g. the configuration set does not exist
        "BadRequestException",
        "ValidationException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "MissingAuthenticationTokenException",
    }
)
_SES_TRANSIENT = frozenset(
    {
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "LimitExceededException",  # the sending quota; it refills
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
# SES message tag names and values: ASCII letters, digits, '_' and '-', at most 256.
_SES_TAG = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SesTransport:
    """Amazon SES API v2 ``SendEmail`` with raw MIME, so attachments and all headers pass.

    SES replaces the Message-ID header with its own; the returned id is SES's ``MessageId``.
    """

    def __init__(
        self,
        client: SESV2Client,
        *,
        configuration_set: str | None = None,
        tags: Sequence[tuple[str, str]] = (),
    ) -> None:
        for name, value in tags:
            if not (_SES_TAG.fullmatch(name) and _SES_TAG.fullmatch(value)):
                raise ValueError(
                    f"SES tag {name!r}: names and values are letters, digits, '_' or '-'"
                )
        self._client = client
        self._configuration_set = configuration_set
        self._tags = tuple(tags)

    def send(self, mail: OutgoingMail) -> str:
        built = _build(mail)
        request: dict[str, Any] = {
            "FromEmailAddress": built.sender,
            # Explicit, so that the recipient is exactly the one address, whatever the headers.
            "Destination": {"ToAddresses": [built.recipient]},
            "Content": {"Raw": {"Data": built.data}},
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if self._tags:
            request["EmailTags"] = [{"Name": name, "Value": value} for name, value in self._tags]
        # botocore is imported only where SES is used: some 80 ms that no other function pays.
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.send_email(**request)
        except ClientError as error:
            failure = _ses_client_error(error)
        except BotoCoreError as error:
            failure = _ses_botocore_error(error)
        else:
            return str(response["MessageId"])
        raise failure  # outside the except block: no chained provider text


def _ses_client_error(error: Any) -> TransportError:
    code = str(error.response.get("Error", {}).get("Code", "Unknown"))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in _SES_PERMANENT:
        permanent = True
    elif code in _SES_TRANSIENT:
        permanent = False
    else:
        permanent = 400 <= status < 500 and status not in (408, 429)
    return TransportError(f"SES {code} (HTTP {status})", permanent=permanent, code=code)


def _ses_botocore_error(error: Exception) -> TransportError:
    from botocore.exceptions import (
        NoCredentialsError,
        ParamValidationError,
        PartialCredentialsError,
    )

    name = type(error).__name__
    if isinstance(error, NoCredentialsError | PartialCredentialsError | ParamValidationError):
        return TransportError(f"SES not usable: {name}", permanent=True, code=name)
    # Connection errors, timeouts, credential refresh hiccups.
    return TransportError(f"SES unreachable: {name}", permanent=False, code=name)


class SmtpTransport:
    """SMTP submission: STARTTLS (default), implicit TLS or plain; AUTH when a username is set.

    Certificates are verified against the system CAs unless ``ssl_context`` says otherwise. The
    envelope is the From and To addresses of the built message; one connection per mail.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("starttls", "tls", "none"):
            raise ValueError("security must be starttls, tls or none")
        if username and security == "none":
            raise ValueError("SMTP credentials are only sent over TLS (security starttls or tls)")
        if username and password is None:
            raise ValueError("an SMTP username needs a password")
        self.host = host
        self.port = port
        self.security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()

    def send(self, mail: OutgoingMail) -> str:
        built = _build(mail)
        stage = "connect"
        try:
            if self.security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self._timeout, context=self._ssl_context
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
            try:
                if self.security == "starttls":
                    stage = "starttls"
                    connection.starttls(context=self._ssl_context)
                if self._username:
                    stage = "login"
                    connection.login(self._username, self._password or "")
                stage = "send"
                connection.sendmail(built.sender, [built.recipient], built.data)
            finally:
                _close(connection)
        except (smtplib.SMTPException, OSError) as error:
            failure = _smtp_error(error, stage)
        else:
            return built.message_id
        raise failure  # outside the except block: no chained server text


def _close(connection: smtplib.SMTP) -> None:
    """QUIT and close; a failing QUIT after an accepted mail must not turn into an error."""
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        connection.close()


def _smtp_error(error: smtplib.SMTPException | OSError, stage: str) -> TransportError:
    code: int | None = None
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        stage = "recipient"
        code = next(iter(error.recipients.values()))[0] if error.recipients else None
    elif isinstance(error, smtplib.SMTPSenderRefused):
        stage = "sender"
        code = error.smtp_code
    elif isinstance(error, smtplib.SMTPResponseException):  # auth, data, helo, connect
        code = error.smtp_code
    if code is not None and 400 <= code < 600:
        return TransportError(f"SMTP {code} at {stage}", permanent=code >= 500, code=str(code))
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError):
        # The server lacks STARTTLS or AUTH, or its certificate does not verify: configuration.
        return TransportError(f"SMTP {name} at {stage}", permanent=True, code=name)
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPResponseException):
        return TransportError(f"SMTP {name} at {stage}", permanent=False, code=name)
    if isinstance(error, smtplib.SMTPException):
        # smtplib's own refusals, such as no common AUTH mechanism: configuration.
        return TransportError(f"SMTP {name} at {stage}", permanent=True, code=name)
    # OSError: refused, unreachable, timed out, TLS broken off.
    return TransportError(f"SMTP {name} at {stage}", permanent=False, code=name)


def transport_from_settings(settings: Settings) -> Transport:
    """The transport ``settings.mail_transport`` names; nothing connects until the first send."""
    if settings.mail_transport == "file":
        return FileTransport(settings.mail_outbox_dir)
    if settings.mail_transport == "ses":
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "sesv2",
            region_name=settings.ses_region,
            config=Config(
                connect_timeout=10,
                read_timeout=30,
                retries={"mode": "standard", "max_attempts": 3},
            ),
        )
        return SesTransport(
            client, configuration_set=settings.ses_configuration_set, tags=settings.ses_tags
        )
    if settings.mail_transport == "smtp":
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
    raise ValueError(f"unknown mail transport {settings.mail_transport!r}")
