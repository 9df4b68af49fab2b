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
from typing import Any
from urllib.parse import urlsplit

from .common.errors import BuurtWhatsAppError
from .common.web_origins import origin_of
from .mail.transports import KINDS

FUNCTIONS_DIR = Path(__file__).resolve().parents[1]
REPOSITORY_DIR = FUNCTIONS_DIR.parent

# Keys made under this pepper are reversible by anyone who reads this file: local runs only.
LOCAL_KEY_PEPPER = "local-development-pepper-not-for-production"


class SettingsError(BuurtWhatsAppError, ValueError):
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
    mail_transport: str  # a name in mail.transports.KINDS
    transport: Any  # that transport's own settings, as its kind reads them
    mail_sender: str
    max_body_bytes: int
    rate_limit_posts: int
    rate_limit_window_seconds: int
    people_cache_seconds: float  # how long a function keeps the coordinators it read
    # How many news mails infra/maintain news send queues a second: each is sent by its trigger
    # as it is queued, so this keeps a mailing inside the transport's sending rate (SES: 14 a
    # second unless AWS raised it; 1 in its sandbox).
    news_mails_per_second: float = 10.0
    # The sites that may show the forms in an iframe (CSP frame-ancestors; none by default),
    # and that the embedded form tells its height (web/embedding.py).
    embed_origins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every setting; raise SettingsError naming every variable that is wrong."""
        env = os.environ if env is None else env
        problems: list[str] = []

        def path(name: str, default: Path) -> Path:
            return Path(env[name]) if env.get(name) else default

        transport = env.get("MAIL_TRANSPORT", "file")
        if transport not in KINDS:
            problems.append(f"MAIL_TRANSPORT must be one of {', '.join(KINDS)}, not {transport!r}")
        # Every transport checks what is given for it; only the chosen one requires anything.
        transport_settings = {
            name: kind.read(env, problems, name == transport) for name, kind in KINDS.items()
        }

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

        allowed_origins = _origins(env, "ALLOWED_ORIGINS", problems)
        embed_origins = _origins(env, "EMBED_ORIGINS", problems)

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

        raw_news_rate = env.get("NEWS_MAILS_PER_SECOND", "10")
        try:
            news_rate = float(raw_news_rate)
        except ValueError:
            news_rate = 0.0
        if not 0.1 <= news_rate <= 100:
            problems.append(
                f"NEWS_MAILS_PER_SECOND must be a number from 0.1 to 100 (got {raw_news_rate!r})"
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
            transport=transport_settings[transport],
            mail_sender=sender,
            max_body_bytes=max_body_bytes,
            rate_limit_posts=int(posts),
            rate_limit_window_seconds=int(window),
            people_cache_seconds=people_cache_seconds,
            news_mails_per_second=news_rate,
            embed_origins=embed_origins,
        )


def _origins(env: Mapping[str, str], name: str, problems: list[str]) -> tuple[str, ...]:
    """A comma-separated list of web origins, each checked; a trailing slash is forgiven."""
    origins = tuple(
        origin.strip().rstrip("/") for origin in env.get(name, "").split(",") if origin.strip()
    )
    for origin in origins:
        if not _is_web_origin(origin):
            problems.append(
                f"{name} must be comma-separated origins such as https://www.example.org "
                f"(got {origin!r})"
            )
    # As a browser sends them: "https://X.org:443" is the Origin "https://x.org".
    return tuple(
        origin_of(parts.scheme, parts.hostname or "", parts.port)
        if _is_web_origin(origin) and (parts := urlsplit(origin))
        else origin
        for origin in origins
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
