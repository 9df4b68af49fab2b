"""Names, e-mail addresses and phone numbers: parsed, normalised and shown the same way
everywhere.

The form, the deployment file and the maintainer's command line all go through here, so that
what one accepts the others accept, and an address the mail transports cannot use (a non-ASCII
local part needs SMTPUTF8, which SES lacks) is refused where it is typed, not after the deploy.

Errors carry a reason code, not a sentence: residents read Dutch, maintainers English, and
each caller words the reason for its reader.

email-validator and phonenumbers are imported where they are used (about 50 ms together):
every function imports this module, but only the forms and the mails about members use them.

Two shortcuts spare a cold start those imports for what nearly everyone types (email-validator
costs 19 ms, phonenumbers 13 to 17: together more than a sign-up's cold start may add to the
floor, ``make bench``). Each takes only input the library would accept, and answers exactly as
the library would; anything else goes to the library. A test holds each to the library's
answers on generated input.

- A Dutch mobile number: what phonenumbers' own metadata calls mobile for NL (``6[1-58]`` and
  seven digits), typed in the usual ways; shown as 06 and eight digits.
- A plain e-mail address: a lower-case ASCII domain (no Punycode, a letters-only top-level
  domain, no special-use name) and a dot-atom local part of letters, digits and ``._+-``; it
  comes back unchanged, as email-validator returns it.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from .errors import BuurtWhatsAppError

DEFAULT_REGION = "NL"
MAX_NAME_LENGTH = 100
# Control, format (bidi overrides, zero-width characters), surrogate and line or paragraph
# separator characters: a name with one could break a mail header, or look like another name
# in a coordinator's mail. Text typed anywhere else refuses them too (validation.py).
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The shortcuts' patterns are kept as text: re compiles each at its first use, which only the
# forms and the mails about members make (compiling all three costs a link page 0.5 ms).
#
# A Dutch mobile number as people type it (06-12345678, +31 6 1234 5678, 0031612345678) once
# spaces, hyphens and dots are gone (ASCII digits only: phonenumbers reads the others); group 1
# is the national number without its 0. Mobile in phonenumbers' metadata for NL: 6[1-58] and
# seven digits (066 is for pagers, not mobile).
_DUTCH_MOBILE_TYPED = r"(?:\+31|0031|0)(6[1-58][0-9]{7})"
_DUTCH_MOBILE_E164 = r"\+31(6[1-58][0-9]{7})"
_TYPED_SEPARATORS = str.maketrans("", "", " -.")
MAX_TYPED_NUMBER_LENGTH = 250  # phonenumbers refuses longer input, whatever it holds
# email-validator 2.4's limits, reserved domains (SPECIAL_USE_DOMAIN_NAMES) and the mailbox names
# it lower-cases (CASE_INSENSITIVE_MAILBOX_NAMES); a test compares them with the library's own.
_PLAIN_EMAIL = (
    r"(?P<local>[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)"
    r"@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)
EMAIL_MAX_LENGTH = 254
LOCAL_PART_MAX_LENGTH = 64
DOMAIN_MAX_LENGTH = 253
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
CASE_INSENSITIVE_MAILBOXES = frozenset(
    {
        "info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster",
        "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp",
    }
)  # fmt: skip


class Reason(StrEnum):
    NAME_EMPTY = "name-empty"
    NAME_TOO_LONG = "name-too-long"
    NAME_CHARACTERS = "name-characters"
    EMAIL_INVALID = "email-invalid"
    EMAIL_ENCODED_WORD = "email-encoded-word"
    PHONE_INVALID = "phone-invalid"
    PHONE_NOT_MOBILE = "phone-not-mobile"


class ContactError(BuurtWhatsAppError, ValueError):
    """Why an address or number was refused (``reason``), with the library's own words for a
    maintainer (``detail``); never the value itself, which is personal data."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


def has_forbidden_characters(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a character of FORBIDDEN_CATEGORIES that is not in ``allowed``."""
    return any(
        unicodedata.category(character) in FORBIDDEN_CATEGORIES and character not in allowed
        for character in text
    )


def normalise_name(text: str) -> str:
    """A person's name as the form, the deployment file and the command line all store it:
    NFC, trimmed, at most MAX_NAME_LENGTH characters, one line without control or format
    characters."""
    name = unicodedata.normalize("NFC", text.strip())
    if not name:
        raise ContactError(Reason.NAME_EMPTY)
    if len(name) > MAX_NAME_LENGTH:
        raise ContactError(Reason.NAME_TOO_LONG, f"at most {MAX_NAME_LENGTH} characters")
    if has_forbidden_characters(name):
        raise ContactError(
            Reason.NAME_CHARACTERS,
            "a line break, control or format character (such as a bidi override)",
        )
    return name


def normalise_email(text: str) -> str:
    """The address as mail will be sent to it (domain lower-cased and in Unicode form).

    Its wire form is ``ascii_address``: the domain in IDNA 2008, as email-validator checks it.
    """
    text = text.strip()
    if _is_plain_email(text):
        return text
    return _normalise_email_by_library(text)


def _is_plain_email(text: str) -> bool:
    """An address email-validator accepts and returns unchanged (see the module's docstring)."""
    plain = re.fullmatch(_PLAIN_EMAIL, text)
    if plain is None or len(text) > EMAIL_MAX_LENGTH:
        return False
    local_part, domain = plain["local"], plain["domain"]
    return (
        len(local_part) <= LOCAL_PART_MAX_LENGTH
        and local_part.lower() not in CASE_INSENSITIVE_MAILBOXES
        and len(domain) <= DOMAIN_MAX_LENGTH
        and "--" not in domain
        and not any(domain.endswith("." + reserved) for reserved in SPECIAL_USE_DOMAINS)
    )


def _normalise_email_by_library(text: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        # Without SMTPUTF8 (which SES lacks) a non-ASCII local part could never be delivered.
        # Quoted local parts are refused by default: a local part is always a dot-atom.
        normalised = validate_email(
            text, check_deliverability=False, allow_smtputf8=False
        ).normalized
    except EmailNotValidError as error:
        raise ContactError(Reason.EMAIL_INVALID, str(error)) from None
    local_part = normalised.rpartition("@")[0]
    if "=?" in local_part:
        # "=" and "?" are allowed in a dot-atom, but a local part shaped like an RFC 2047
        # encoded word is decoded by mail readers (and Python's own parser) into whatever it
        # encodes: a line break and a Bcc header, say. No real mailbox is named like that.
        raise ContactError(Reason.EMAIL_ENCODED_WORD, "the local part looks like an encoded word")
    return normalised


def ascii_domain(domain: str) -> str:
    """A domain as it goes on the wire and into an envelope: IDNA 2008 with the UTS 46 mapping
    (non-transitional), the encoding email-validator checks addresses with.

    Never Python's built-in ``idna`` codec: that is IDNA 2003, which maps ``faß.de`` to
    ``fass.de`` and ``ς`` to ``σ`` and drops a joiner, each another domain with another owner.
    ValueError (idna.IDNAError) for a domain IDNA 2008 does not allow, such as an emoji.
    """
    import idna

    return idna.encode(domain, uts46=True, std3_rules=True, transitional=False).decode("ascii")


def ascii_address(email: str) -> str:
    """``local@domain`` with the domain in its wire form (``ascii_domain``)."""
    local_part, _, domain = email.rpartition("@")
    return f"{local_part}@{ascii_domain(domain)}"


def normalise_phone(text: str, *, mobile: bool = False, region: str = DEFAULT_REGION) -> str:
    """The number in E.164 (+31612345678); ``mobile``: only numbers WhatsApp can use."""
    stripped = text.strip()
    if region == DEFAULT_REGION and len(stripped) <= MAX_TYPED_NUMBER_LENGTH:
        typed = re.fullmatch(_DUTCH_MOBILE_TYPED, stripped.translate(_TYPED_SEPARATORS))
        if typed:
            return f"+31{typed[1]}"
    return _normalise_phone_by_library(text, mobile=mobile, region=region)


def _normalise_phone_by_library(text: str, *, mobile: bool, region: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ContactError(Reason.PHONE_INVALID)
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if mobile and phonenumbers.number_type(number) not in mobile_types:
        raise ContactError(Reason.PHONE_NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """+31612345678 -> 06 12345678 for Dutch numbers; international format otherwise."""
    mobile = re.fullmatch(_DUTCH_MOBILE_E164, e164)
    if mobile:
        return f"06 {mobile[1][1:]}"
    return _phone_display_by_library(e164)


def _phone_display_by_library(e164: str) -> str:
    import phonenumbers

    number = phonenumbers.parse(e164)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 31
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def wa_me_url(e164: str) -> str:
    """The WhatsApp chat link for a number."""
    return f"https://wa.me/{e164.lstrip('+')}"
