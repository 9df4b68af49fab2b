"""What one deploy needs to know: the project and region, the env file, and what follows from it
(the database, the secrets, the environment the functions get).

The env file is the maintainer's: flat ``KEY: "value"`` YAML lines, the functions' settings
(see README, Configuration), plus keys starting with ``DEPLOY_`` that configure the deploy
itself and never reach the functions:

    DEPLOY_DATABASE_LOCATION   where a new Firestore database goes (default eur3)
    DEPLOY_SECRETS_FILE        a file of NAME=value lines with the mail credentials (see below)
    DEPLOY_SECRET_<VARIABLE>   the Secret Manager secret that holds <VARIABLE>, to use another
                               name than the default

Secrets are never in the env file. SIGNING_KEY and KEY_PEPPER are generated on the first
deploy. The mail
credentials the transport needs (AWS keys for ses, SMTP_PASSWORD for smtp with a user name) are
read from DEPLOY_SECRETS_FILE or asked for when a secret does not exist yet.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_REGION = "europe-west4"
DEFAULT_DATABASE_LOCATION = "eur3"
DEFAULT_DATABASE = "(default)"
DEPLOY_PREFIX = "DEPLOY_"
DEPLOY_KEYS = frozenset({"DEPLOY_DATABASE_LOCATION", "DEPLOY_SECRETS_FILE"})

# Environment variable -> its secret, by default; DEPLOY_SECRET_<VARIABLE> names another.
DEFAULT_SECRET_NAMES = {
    "SIGNING_KEY": "buurtwhatsapp-signing-key",
    # The key pepper: infra/maintain reads it by this name too (buurtwhatsapp.cli).
    "KEY_PEPPER": "buurtwhatsapp-key-pepper",
    "AWS_ACCESS_KEY_ID": "buurtwhatsapp-aws-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "buurtwhatsapp-aws-secret-access-key",
    "SMTP_PASSWORD": "buurtwhatsapp-smtp-password",
}
GENERATED_SECRETS = frozenset({"SIGNING_KEY", "KEY_PEPPER"})
# Set by the deploy, not by the maintainer.
SET_BY_DEPLOY = frozenset(
    {"GOOGLE_CLOUD_PROJECT", "FIRESTORE_EMULATOR_HOST", *DEFAULT_SECRET_NAMES}
)

_KEY = re.compile(r"[A-Z_][A-Z0-9_]*")
_LINE = re.compile(r"(?P<key>[^:#\s][^:]*?)\s*:\s*(?P<value>.*)")
_SECRET_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_REGION = re.compile(r"[a-z]+-[a-z]+[0-9]+")


class DeploySettingsError(ValueError):
    """The deploy's settings are wrong; the message names every problem, one per line."""


@dataclass(frozen=True)
class DeploySettings:
    project: str
    region: str
    env_file: Path
    environment: dict[str, str]  # what every function gets, as the env file gives it
    database: str
    database_location: str
    database_location_given: bool  # set in the env file (else the default, for a new database)
    secret_names: dict[str, str]  # environment variable -> Secret Manager secret
    secrets_file: Path | None
    # The secrets file's values, read once with the rest (never printed: repr=False).
    given_secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def functions_base_url(self) -> str:
        """Where Google serves each function, at /<function name>: the forms, the links."""
        return f"https://{self.region}-{self.project}.cloudfunctions.net"

    @property
    def public_base_url(self) -> str:
        return self.environment.get("PUBLIC_BASE_URL") or self.functions_base_url

    def function_environment(self) -> dict[str, str]:
        """The environment every function is deployed with (secrets come on top)."""
        return {
            **self.environment,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "FIRESTORE_DATABASE": self.database,
            "PUBLIC_BASE_URL": self.public_base_url,
        }


def required_secrets(environment: dict[str, str]) -> tuple[str, ...]:
    """The environment variables that come from Secret Manager, for this mail transport."""
    transport = environment.get("MAIL_TRANSPORT", "file")
    needed = ["SIGNING_KEY", "KEY_PEPPER"]
    if transport == "ses":
        needed += ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
    if transport == "smtp" and environment.get("SMTP_USERNAME"):
        needed.append("SMTP_PASSWORD")
    return tuple(needed)


def load(project: str, region: str, env_file: Path) -> DeploySettings:
    """Read and check everything; DeploySettingsError naming every problem at once."""
    problems: list[str] = []
    if not _PROJECT.fullmatch(project or ""):
        problems.append(
            f"PROJECT must be a Google Cloud project id (6-30 lower-case letters, digits and "
            f"hyphens, starting with a letter), got {project!r}"
        )
    if not _REGION.fullmatch(region or ""):
        problems.append(
            f"REGION must be a Google Cloud region such as europe-west4, got {region!r}"
        )
    try:
        values = read_env_file(env_file)
    except DeploySettingsError as error:
        raise DeploySettingsError("\n".join([*problems, str(error)])) from None

    deploy = {key: value for key, value in values.items() if key.startswith(DEPLOY_PREFIX)}
    environment = {key: value for key, value in values.items() if key not in deploy}
    for key in sorted(SET_BY_DEPLOY & environment.keys()):
        problems.append(
            f"{env_file}: {key} is set by the deploy (secrets come from Secret Manager); "
            "remove it from the env file"
        )
    secret_names = dict(DEFAULT_SECRET_NAMES)
    for key, value in deploy.items():
        variable = key.removeprefix(f"{DEPLOY_PREFIX}SECRET_")
        if key.startswith(f"{DEPLOY_PREFIX}SECRET_") and variable in DEFAULT_SECRET_NAMES:
            if not _SECRET_NAME.fullmatch(value):
                problems.append(f"{env_file}: {key} must be a secret name (letters, digits, - _)")
            secret_names[variable] = value
        elif key not in DEPLOY_KEYS:
            known = ", ".join(sorted(DEPLOY_KEYS | {f"DEPLOY_SECRET_{v}" for v in secret_names}))
            problems.append(f"{env_file}: unknown deploy setting {key} (known: {known})")

    location = deploy.get("DEPLOY_DATABASE_LOCATION", "")
    secrets_file, given_secrets = None, {}
    if deploy.get("DEPLOY_SECRETS_FILE"):
        secrets_file = (env_file.parent / deploy["DEPLOY_SECRETS_FILE"]).resolve()
        if not secrets_file.is_file():
            problems.append(
                f"{env_file}: DEPLOY_SECRETS_FILE {secrets_file} does not exist; copy "
                "infra/secrets.example.env there, or leave DEPLOY_SECRETS_FILE out to be asked"
            )
        else:
            try:
                given_secrets = read_secrets_file(secrets_file)
            except DeploySettingsError as error:
                problems.append(str(error))

    settings = DeploySettings(
        project=project,
        region=region,
        env_file=env_file,
        environment=environment,
        database=environment.get("FIRESTORE_DATABASE") or DEFAULT_DATABASE,
        database_location=location or DEFAULT_DATABASE_LOCATION,
        database_location_given=bool(location),
        secret_names={v: secret_names[v] for v in required_secrets(environment)},
        secrets_file=secrets_file,
        given_secrets=given_secrets,
    )
    problems += _function_settings_problems(settings)
    if problems:
        raise DeploySettingsError("\n".join(problems))
    return settings


def _function_settings_problems(settings: DeploySettings) -> list[str]:
    """The functions' own settings check, run now rather than at their first request."""
    from buurtwhatsapp.common.settings import Settings, SettingsError

    probe = {
        **settings.function_environment(),
        # Secrets are not in the env file; stand-ins let the rest be checked.
        **dict.fromkeys(settings.secret_names, "x" * 48),
    }
    try:
        Settings.from_env(probe)
    except SettingsError as error:
        return [
            f"{settings.env_file}: {line.removeprefix('- ')}"
            for line in str(error).splitlines()[1:]
        ]
    return []


def read_env_file(path: Path) -> dict[str, str]:
    """The flat ``KEY: value`` YAML that gcloud's --env-vars-file takes; anything else is
    refused with its line number, as gcloud would otherwise misread it silently."""
    if not path.is_file():
        raise DeploySettingsError(f"env file not found: {path}")
    values: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if not match or raw[0].isspace():
            problems.append(f'{path}:{number}: expected KEY: "value" on one line')
            continue
        key, value = match["key"], _scalar(match["value"])
        if not _KEY.fullmatch(key):
            problems.append(f"{path}:{number}: {key!r} is not an environment variable name")
        elif value is None:
            problems.append(f'{path}:{number}: {key}: quote the value, e.g. {key}: "..."')
        elif key in values:
            problems.append(f"{path}:{number}: {key} is set twice")
        else:
            values[key] = value
    if problems:
        raise DeploySettingsError("\n".join(problems))
    return values


def _scalar(text: str) -> str | None:
    """A double- or single-quoted string, or a plain word, with an optional ``# comment``; None
    for anything YAML would read as something else (a list, a map, a multi-line block)."""
    text = text.strip()
    quoted = _DOUBLE_QUOTED.fullmatch(text) or _SINGLE_QUOTED.fullmatch(text)
    if quoted and text.startswith('"'):
        try:
            return json.loads(quoted["string"])
        except ValueError:
            return None
    if quoted:
        return quoted["string"][1:-1].replace("''", "'")
    if text[:1] in ('"', "'"):
        return None
    text = text.split(" #", 1)[0].rstrip()
    if not text or text[0] in "[{|>&*!%@`" or ": " in text:
        return None
    return text


_DOUBLE_QUOTED = re.compile(r'(?P<string>"(?:[^"\\]|\\.)*")\s*(?:#.*)?')
_SINGLE_QUOTED = re.compile(r"(?P<string>'(?:[^']|'')*')\s*(?:#.*)?")


def write_env_file(environment: dict[str, str], path: Path) -> Path:
    """The functions' environment as gcloud's --env-vars-file: each value a quoted string."""
    lines = [
        f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in environment.items()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_secrets_file(path: Path) -> dict[str, str]:
    """NAME=value lines (``#`` comments), e.g. AWS_SECRET_ACCESS_KEY=...; values as they are."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        key, separator, value = raw.partition("=")
        if not separator or not _KEY.fullmatch(key.strip()):
            raise DeploySettingsError(f"{path}:{number}: expected NAME=value")
        values[key.strip()] = value.strip()
    return values
