"""What every transport shares: the error it raises, the message it sends (built once, with its
envelope), and what a transport declares of itself to the registry (``TransportKind``).

Failures are ``TransportError``: ``permanent`` says whether retrying can help, ``reason`` is short
and never carries personal data (no addresses, no server texts, which often echo the address).
The provider exception is deliberately not chained, so that logging a TransportError with its
traceback does not log an address either; the reason keeps the provider's error code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .. import MailError

if TYPE_CHECKING:
    from ..message import OutgoingMail


class TransportError(MailError):
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
class Built:
    sender: str  # the envelope's bare addresses, from our own parse of the mail
    recipient: str
    message_id: str
    data: bytes


def build(mail: OutgoingMail) -> Built:
    """The envelope and the message's bytes; a mail that cannot be built fails permanently.

    The MIME stack is imported here, at the first mail: the registry (and so the settings every
    function reads) declares the transports without loading it."""
    from ..mime import as_bytes, build_mime, envelope

    try:
        message = build_mime(mail)
        sender, recipient = envelope(mail)
    except ValueError as error:  # the message names the field, never its value
        raise TransportError(f"invalid message: {error}", permanent=True) from None
    return Built(sender, recipient, str(message["Message-ID"]), as_bytes(message))


@dataclass(frozen=True, slots=True)
class Check:
    """One finding of a transport's check before a deploy (infra/deploy.py check)."""

    ok: bool
    text: str
    fix: str = ""


Environment = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TransportKind:
    """Everything about one transport that is not its sending: the registry (``__init__``)
    lists these, and the settings, the deploy, its check and the example files read them.

    ``read(env, problems, chosen)``: the transport's own settings from the environment, a
    problem appended (naming the variable) for each that is wrong; ``chosen``: it is the
    MAIL_TRANSPORT (what it requires is only required then, but every value given is checked,
    so that every problem is named at once). ``build(settings)``: the transport.
    ``secret_variables``: every variable it may keep in Secret Manager; ``secrets(env)``: those
    it needs with these settings. ``check(env,
    secrets)``: what the deploy's check says of it (``secrets``: the values the maintainer's
    secrets file gives). ``example``: its lines in the env file's example, ``example_secrets``
    in the secrets file's.
    """

    name: str  # MAIL_TRANSPORT
    description: str
    read: Callable[[Environment, list[str], bool], Any]
    build: Callable[[Any], Transport]
    secret_variables: tuple[str, ...]
    secrets: Callable[[Environment], tuple[str, ...]]
    check: Callable[[Environment, Environment], Iterator[Check]]
    example: str
    example_secrets: str = ""
