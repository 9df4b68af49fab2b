"""Amazon SES (API v2, raw MIME): the deployed default. boto3 and botocore are imported only
where SES is used (some 80 ms of cold start that no other function pays)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Check, Environment, TransportError, TransportKind, build

if TYPE_CHECKING:  # the type stubs are a development dependency; boto3 is loaded lazily
    from mypy_boto3_sesv2 import SESV2Client

    from ..message import OutgoingMail

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
        built = build(mail)
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


@dataclass(frozen=True, slots=True)
class SesSettings:
    region: str
    configuration_set: str | None
    tags: tuple[tuple[str, str], ...]


def _read(env: Environment, problems: list[str], chosen: bool) -> SesSettings:
    tags: list[tuple[str, str]] = []
    for pair in filter(None, (p.strip() for p in env.get("SES_TAGS", "").split(","))):
        tag_name, separator, tag_value = pair.partition("=")
        if not separator or not tag_name.strip() or not tag_value.strip():
            problems.append(f"SES_TAGS must be name=value pairs separated by commas ({pair!r})")
        else:
            tags.append((tag_name.strip(), tag_value.strip()))
    return SesSettings(
        region=env.get("SES_REGION") or env.get("AWS_REGION") or "eu-west-1",
        configuration_set=env.get("SES_CONFIGURATION_SET") or None,
        tags=tuple(tags),
    )


def _build(settings: SesSettings) -> SesTransport:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "sesv2",
        region_name=settings.region,
        config=Config(
            connect_timeout=10,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    )
    return SesTransport(client, configuration_set=settings.configuration_set, tags=settings.tags)


# What SES answers a key that may send but not read (the README's IAM policy).
SEND_ONLY_REFUSALS = frozenset({"AccessDeniedException", "AccessDenied"})


def _check(env: Environment, secrets: Environment) -> Iterator[Check]:
    """The sender's domain verified in SES, with DKIM, and the account out of the sandbox;
    read with the access key from the secrets file (nothing is read from Secret Manager)."""
    domain = env.get("MAIL_SENDER", "").rsplit("@", 1)[-1].strip(" >").lower()
    region = env.get("SES_REGION", "eu-west-1")
    where = f"Amazon SES ({region})"
    if not (secrets.get("AWS_ACCESS_KEY_ID") and secrets.get("AWS_SECRET_ACCESS_KEY")):
        yield Check(
            True,
            f"mail through {where} from {domain}: not checked (no AWS key in DEPLOY_SECRETS_FILE)",
            "make sure the domain is verified with DKIM and the account is out of the sandbox "
            "(README, Deploy, 2)",
        )
        return
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "sesv2",
        region_name=region,
        aws_access_key_id=secrets["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secrets["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        identity = client.get_email_identity(EmailIdentity=domain)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NotFoundException":
            yield Check(
                False,
                f"{domain} is not an identity in {where}",
                f"create it with Easy DKIM (README, Deploy, 2), in region {region}",
            )
        elif code in SEND_ONLY_REFUSALS:
            # The README's policy allows sending only: the key is right, it just may not read.
            yield Check(
                True,
                f"mail through {where} from {domain}: cannot verify with a send-only key",
                "check in the SES console that the domain is verified with DKIM and the "
                "account is out of the sandbox; or allow ses:GetEmailIdentity and ses:GetAccount "
                "too, and the check reads both (README, Deploy, 2)",
            )
        else:
            yield Check(False, f"{where} refused the access key: {code}", "check the key")
        return
    except BotoCoreError as error:
        yield Check(False, f"{where} could not be reached: {type(error).__name__}", "")
        return
    dkim = identity.get("DkimAttributes", {}).get("Status", "NOT_STARTED")
    if identity.get("VerifiedForSendingStatus") and dkim == "SUCCESS":
        yield Check(True, f"{domain} is verified for sending in {where}, with DKIM")
    else:
        yield Check(
            False,
            f"{domain} is not verified for sending in {where} (DKIM: {dkim})",
            "publish the DKIM CNAME records SES shows for the domain, then wait for SES",
        )
    try:
        account = client.get_account()
    except (ClientError, BotoCoreError, NotImplementedError) as error:
        yield Check(
            True, f"could not read whether {where} left the sandbox ({type(error).__name__})"
        )
        return
    if not account.get("ProductionAccessEnabled"):
        yield Check(
            False,
            f"the {where} account is in the sandbox: it mails only verified addresses",
            "request production access (SES, Account dashboard)",
        )


KIND = TransportKind(
    name="ses",
    description="Amazon SES",
    read=_read,
    build=_build,
    secret_variables=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    secrets=lambda env: ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    check=_check,
    example="\n".join(
        (
            "# Mail: Amazon SES, in one region (README, Deploy, 2).",
            'MAIL_TRANSPORT: "ses"',
            'SES_REGION: "eu-west-1"',
            "# Optional: an SES configuration set (for bounce and complaint events) and tags.",
            '# SES_CONFIGURATION_SET: "buurtwhatsapp"',
            '# SES_TAGS: "initiative=buitenkaag"',
        )
    ),
    example_secrets="AWS_ACCESS_KEY_ID=\nAWS_SECRET_ACCESS_KEY=",
)
