"""SMTP submission: STARTTLS, implicit TLS or plain, with AUTH when a username is set.

smtplib and ssl are imported where mail is sent: the registry (and so every function's
settings) declares this transport without loading them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import smtplib
    import ssl

    from ..message import OutgoingMail

from .base import Check, Environment, TransportError, TransportKind, build

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


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
        if ssl_context is None:
            import ssl

            ssl_context = ssl.create_default_context()
        self._ssl_context = ssl_context

    def send(self, mail: OutgoingMail) -> str:
        import smtplib

        built = build(mail)
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
    import smtplib

    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        connection.close()


def _smtp_error(error: smtplib.SMTPException | OSError, stage: str) -> TransportError:
    import smtplib
    import ssl

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


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None


def _read(env: Environment, problems: list[str], chosen: bool) -> SmtpSettings:
    security = env.get("SMTP_SECURITY", "starttls")
    if security not in SECURITY:
        problems.append(f"SMTP_SECURITY must be one of {', '.join(SECURITY)}")
    raw_port = env.get("SMTP_PORT", str(DEFAULT_PORTS.get(security, 587)))
    if not raw_port.isdigit():
        problems.append(f"SMTP_PORT must be a port number (got {raw_port!r})")
    if chosen and not env.get("SMTP_HOST"):
        problems.append("SMTP_HOST must be set when MAIL_TRANSPORT is smtp")
    return SmtpSettings(
        host=env.get("SMTP_HOST", "localhost"),
        port=int(raw_port) if raw_port.isdigit() else 0,
        security=security,
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
    )


def _build(settings: SmtpSettings) -> SmtpTransport:
    return SmtpTransport(
        settings.host,
        settings.port,
        security=settings.security,
        username=settings.username,
        password=settings.password,
    )


def _check(env: Environment, secrets: Environment) -> Iterator[Check]:
    yield Check(True, f"mail through SMTP at {env.get('SMTP_HOST')}")


KIND = TransportKind(
    name="smtp",
    description="an SMTP server of the initiative's mail provider",
    read=_read,
    build=_build,
    secret_variables=("SMTP_PASSWORD",),
    secrets=lambda env: ("SMTP_PASSWORD",) if env.get("SMTP_USERNAME") else (),
    check=_check,
    example="\n".join(
        (
            "# Mail: an SMTP server of your mail provider (SMTP_SECURITY starttls, tls or none;",
            "# the password is a secret, in the secrets file).",
            'MAIL_TRANSPORT: "smtp"',
            'SMTP_HOST: "smtp.example.org"',
            'SMTP_PORT: "587"',
            'SMTP_SECURITY: "starttls"',
            'SMTP_USERNAME: "buurtwhatsapp@example.org"',
        )
    ),
    example_secrets="SMTP_PASSWORD=",
)
