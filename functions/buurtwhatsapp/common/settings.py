"""One frozen settings object, read from the environment when first asked for.

Secrets and endpoints live here; the deployment itself (areas, groups, coordinators) lives in the
configuration file that ``deployment_file`` names (see ``config.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

FUNCTIONS_DIR = Path(__file__).resolve().parents[2]
REPOSITORY_DIR = FUNCTIONS_DIR.parent

MAIL_TRANSPORTS = ("file", "ses", "smtp")
# Keys made under this pepper are reversible by anyone who reads this file: local runs only.
LOCAL_KEY_PEPPER = "local-development-pepper-not-for-production"
SMTP_SECURITY = ("starttls", "tls", "none")


class SettingsError(ValueError):
    """The environment does not describe a usable deployment; the message says what to set."""


def _is_mailbox(text: str) -> bool:
    """One address such as ``Name <a@b.nl>`` or ``a@b.nl``, and nothing that could end a header."""
    if any(character in text for character in "\r\n"):
        return False
    _, address = parseaddr(text)
    return "@" in address and len(getaddresses([text])) == 1


def _default_path(*candidates: Path) -> Path:
    """The first candidate that exists: the staged upload first, then the repository layout."""
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


@dataclass(frozen=True, slots=True)
class Settings:
    deployment_file: Path
    templates_dir: Path
    public_base_url: str
    allowed_origins: tuple[str, ...]
    signing_key: str
    key_pepper: str  # the secret under which keys of addresses and numbers are made
    mail_transport: str
    mail_sender: str
    mail_outbox_dir: Path
    max_body_bytes: int
    ses_region: str
    ses_configuration_set: str | None
    ses_tags: tuple[tuple[str, str], ...]
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str | None
    smtp_password: str | None
    rate_limit_posts: int
    rate_limit_window_seconds: int
    people_cache_seconds: float  # how long a function keeps the coordinators it read

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting; raise SettingsError naming every variable that is wrong."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def path(name: str, default: Path) -> Path:
            return Path(env[name]) if env.get(name) else default

        transport = env.get("MAIL_TRANSPORT", "file")
        if transport not in MAIL_TRANSPORTS:
            problems.append(
                f"MAIL_TRANSPORT must be one of {', '.join(MAIL_TRANSPORTS)}, not {transport!r}"
            )

        base_url = env.get("PUBLIC_BASE_URL", "http://localhost:8080").rstrip("/")
        base = urlsplit(base_url)
        local = base.hostname in ("localhost", "127.0.0.1")
        if not (base.scheme == "https" or (base.scheme == "http" and local)) or not base.netloc:
            problems.append(
                "PUBLIC_BASE_URL must be an https:// address (http:// only for localhost), "
                f"got {base_url!r}"
            )

        sender = env.get("MAIL_SENDER", "Buurt WhatsApp <noreply@localhost>")
        if not _is_mailbox(sender):
            problems.append(
                f"MAIL_SENDER must be one address, optionally with a name (got {sender!r})"
            )

        raw_limit = env.get("MAX_BODY_BYTES", "16384")
        max_body_bytes = int(raw_limit) if raw_limit.isdigit() else 0
        if max_body_bytes <= 0:
            problems.append(f"MAX_BODY_BYTES must be a positive whole number (got {raw_limit!r})")

        signing_key = env.get("SIGNING_KEY", "")
        if transport != "file" and len(signing_key) < 32:
            # Real mail carries signed links; a short or missing key would make them forgeable.
            problems.append("SIGNING_KEY must be set to at least 32 random characters")
        key_pepper = env.get("KEY_PEPPER", "")
        if transport != "file" and len(key_pepper) < 32:
            # Without a real pepper the keys of phone numbers could be reversed by trying all.
            problems.append("KEY_PEPPER must be set to at least 32 random characters")

        smtp_security = env.get("SMTP_SECURITY", "starttls")
        if smtp_security not in SMTP_SECURITY:
            problems.append(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
        default_port = {"starttls": "587", "tls": "465", "none": "25"}.get(smtp_security, "587")
        raw_port = env.get("SMTP_PORT", default_port)
        if not raw_port.isdigit():
            problems.append(f"SMTP_PORT must be a port number (got {raw_port!r})")
        if transport == "smtp" and not env.get("SMTP_HOST"):
            problems.append("SMTP_HOST must be set when MAIL_TRANSPORT is smtp")

        ses_tags: list[tuple[str, str]] = []
        for pair in filter(None, (p.strip() for p in env.get("SES_TAGS", "").split(","))):
            tag_name, separator, tag_value = pair.partition("=")
            if not separator or not tag_name.strip() or not tag_value.strip():
                problems.append(f"SES_TAGS must be name=value pairs separated by commas ({pair!r})")
            else:
                ses_tags.append((tag_name.strip(), tag_value.strip()))

        allowed_origins = tuple(
            origin.strip().rstrip("/")
            for origin in env.get("ALLOWED_ORIGINS", "").split(",")
            if origin.strip()
        )
        for origin in allowed_origins:
            if not _is_web_origin(origin):
                problems.append(
                    "ALLOWED_ORIGINS must be comma-separated origins such as "
                    f"https://www.example.org (got {origin!r})"
                )

        raw_rate = env.get("RATE_LIMIT", "20/600")
        posts, _, window = raw_rate.partition("/")
        if not (posts.isdigit() and window.isdigit() and int(posts) > 0 and int(window) > 0):
            problems.append(f"RATE_LIMIT must be POSTS/SECONDS, e.g. 20/600 (got {raw_rate!r})")
            posts, window = "0", "0"

        raw_cache = env.get("PEOPLE_CACHE_SECONDS", "300")
        try:
            people_cache_seconds = float(raw_cache)
        except ValueError:
            people_cache_seconds = -1.0
        if not 0 <= people_cache_seconds <= 3600:
            problems.append(
                "PEOPLE_CACHE_SECONDS must be a number of seconds from 0 to 3600 "
                f"(got {raw_cache!r})"
            )

        if problems:
            raise SettingsError("Invalid environment:\n" + "\n".join(f"- {p}" for p in problems))

        return cls(
            deployment_file=path(
                "DEPLOYMENT_FILE",
                _default_path(
                    FUNCTIONS_DIR / "deployment.toml",
                    REPOSITORY_DIR / "infra" / "deployments" / "buitenkaag.toml",
                ),
            ),
            templates_dir=path(
                "TEMPLATES_DIR",
                _default_path(FUNCTIONS_DIR / "templates", REPOSITORY_DIR / "templates"),
            ),
            public_base_url=base_url,
            allowed_origins=allowed_origins,
            signing_key=signing_key or "local-development-key-not-for-production",
            key_pepper=key_pepper or LOCAL_KEY_PEPPER,
            mail_transport=transport,
            mail_sender=sender,
            mail_outbox_dir=path("MAIL_OUTBOX_DIR", REPOSITORY_DIR / ".local" / "outbox"),
            max_body_bytes=max_body_bytes,
            ses_region=env.get("SES_REGION") or env.get("AWS_REGION") or "eu-west-1",
            ses_configuration_set=env.get("SES_CONFIGURATION_SET") or None,
            ses_tags=tuple(ses_tags),
            smtp_host=env.get("SMTP_HOST", "localhost"),
            smtp_port=int(raw_port) if raw_port.isdigit() else 0,
            smtp_security=smtp_security,
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            rate_limit_posts=int(posts),
            rate_limit_window_seconds=int(window),
            people_cache_seconds=people_cache_seconds,
        )


def _is_web_origin(value: str) -> bool:
    """``http(s)://host[:port]``: what a browser sends as Origin, and nothing more."""
    try:
        parts = urlsplit(value)
        port_ok = parts.port != 0  # reading .port raises ValueError for a bad one
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and port_ok
        and value.isascii()
        and not (parts.path or parts.query or parts.fragment or "@" in parts.netloc)
    )
