"""Keys derived from an e-mail address or a phone number: document ids, fences, link subjects.

They show in the Firestore console, in mail ids and in the tokens of links, so they must say
nothing to whoever reads them there. A plain hash would: a Dutch mobile number has a hundred
million values, and its SHA-256 is found by trying them all in seconds. So every key is an
HMAC-SHA256 under a secret pepper (``KEY_PEPPER``: a Secret Manager secret of its own, generated
by the deploy like the signing key, never stored next to the data). Without the pepper a key
cannot be tested against a guess; with it, the same address always gives the same key, which
is what uniqueness and erasure requests need.

Four kinds, each from one canonical form, so that what is one address, mailbox or number gives
one key however it was typed:

- ``email``: the address as mail is sent to it (the domain in IDNA 2008), lower-cased. One
  per person: ``family+dad@`` and ``family+mum@`` are two residents.
- ``phone``: the number in E.164.
- ``mailbox``: the mailbox that receives the address: sub-address tags and case folded away
  (see ``mailbox_address``). Only for the one-mail-a-day fence, never for identity.
- ``domain``: the mailbox's domain, for the hourly fence per domain.

Changing the pepper changes every key: ``infra/maintain keys migrate`` moves a database from
one scheme to the next (see cli.py).
"""

from __future__ import annotations

import hashlib
import hmac

from .contacts import ascii_address

# Domains where "-" also starts a tag (Yahoo's disposable addresses: base name-keyword).
DASH_TAG_DOMAINS = frozenset(
    {"yahoo.com", "yahoo.co.uk", "yahoo.nl", "ymail.com", "rocketmail.com"}
)
# Domains that ignore dots in the local part, and their one canonical name.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
# Domains that deliver ``anything@user.DOMAIN`` to ``user@DOMAIN`` (Fastmail's subdomain
# addressing).
SUBDOMAIN_ADDRESSING = frozenset({"fastmail.com", "fastmail.fm"})


def canonical_email(email: str) -> str:
    """The address as sent (``ascii_address``), lower-cased: the form every key starts from."""
    return ascii_address(email).lower()


def mailbox_address(email: str) -> str:
    """The mailbox an address delivers to: case folded, ``+tag`` dropped everywhere (RFC 5233's
    usual separator), ``-tag`` where the domain uses it, Gmail's dots ignored, Fastmail's
    subdomain addressing undone. ``Victim+1@Gmail.com``, ``v.i.c.t.i.m@googlemail.com`` and
    ``victim@gmail.com`` are one mailbox."""
    local_part, _, domain = canonical_email(email).rpartition("@")
    for separator in ("+", "-") if domain in DASH_TAG_DOMAINS else ("+",):
        stem = local_part.split(separator, 1)[0]
        local_part = stem or local_part
    if domain in DOTLESS_DOMAINS:
        local_part = local_part.replace(".", "") or local_part
        domain = DOTLESS_DOMAINS[domain]
    user, _, parent = domain.partition(".")
    if parent in SUBDOMAIN_ADDRESSING:
        local_part, domain = user, parent
    return f"{local_part}@{domain}"


class PersonalKeys:
    """The keys of one deployment, under its pepper."""

    def __init__(self, pepper: str) -> None:
        if not pepper:
            raise ValueError("a pepper is required")
        self._pepper = pepper.encode("utf-8")

    def email(self, email: str) -> str:
        return self._key("email", canonical_email(email))

    def phone(self, phone_e164: str) -> str:
        return self._key("phone", phone_e164)

    def identity(self, email: str, phone_e164: str) -> tuple[str, str]:
        """The keys that make a sign-up (or an application) unique: e-mail, then phone."""
        return (self.email(email), self.phone(phone_e164))

    def mailbox(self, email: str) -> str:
        return self._key("mailbox", mailbox_address(email))

    def domain(self, email: str) -> str:
        return self._key("domain", mailbox_address(email).rpartition("@")[2])

    def _key(self, kind: str, value: str) -> str:
        digest = hmac.new(self._pepper, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest}"
