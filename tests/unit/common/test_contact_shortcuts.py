"""The shortcuts of common/contacts.py answer exactly as email-validator and phonenumbers do:
the same normal form for what they take, the same refusal (reason) for what they refuse. They
exist only to spare a cold start those imports; a difference would be a bug a resident meets."""

from __future__ import annotations

import email_validator
import phonenumbers
import pytest
from email_validator import rfc_constants
from hypothesis import example, given, settings
from hypothesis import strategies as st

from buurtwhatsapp.common import contacts
from buurtwhatsapp.common.contacts import ContactError


def answer(function, *args, **kwargs) -> tuple[str, str]:
    try:
        return ("ok", function(*args, **kwargs))
    except ContactError as error:
        return ("refused", error.reason.value)


# ---- e-mail --------------------------------------------------------------------------------

LOCAL_CHARACTERS = "aAzZ09._+-=?!#~\"' é"
LABELS = [
    "example", "mail", "buitenkaag", "xn--bcher-kva", "xn--zz", "a", "a-b", "a--b", "-a", "a-",
    "123", "nl", "com", "org", "NL", "Org", "test", "local", "localhost", "onion", "arpa",
    "invalid", "x" * 63, "x" * 64, "ab1", "1ab", "ünï", "co",
]  # fmt: skip


@st.composite
def addresses(draw) -> str:
    """Mostly what people type, with every near miss of the shortcut's rules near it."""
    local = draw(
        st.one_of(
            st.text(alphabet=LOCAL_CHARACTERS, min_size=0, max_size=12),
            st.sampled_from(["jan", "Jan.de.Vries", "info", "INFO", "postmaster", "a" * 64]),
            st.just("a" * 65),
        )
    )
    labels = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=4))
    if draw(st.booleans()):
        labels.append("a" * 60)
    domain = ".".join(labels)
    text = f"{local}@{domain}"
    wrap = draw(st.sampled_from(["", " ", "\t"]))
    return wrap + text + wrap


@settings(max_examples=1500, deadline=None)
@given(addresses())
@example("jan@example.org")
@example("Jan.Jansen+buurt@mail.buitenkaag.nl")
@example("info@example.org")
@example("jan@example.test")
@example("jan@bücher.de")
@example("jan@xn--bcher-kva.de")
@example("jan..piet@example.org")
@example("jan@example.c0m")
@example("a=?utf-8?q?x?=@example.org")
@example(("a" * 64) + "@" + ".".join(["b" * 63] * 3) + ".nl")
@example(("a" * 64) + "@" + ".".join(["b" * 63] * 3) + ".com")
def test_an_address_is_read_as_email_validator_reads_it(text):
    assert answer(contacts.normalise_email, text) == answer(
        contacts._normalise_email_by_library, text.strip()
    )


def test_the_shortcut_takes_what_people_type_and_leaves_the_rest_to_the_library():
    assert contacts._is_plain_email("jan.de-vries+buurt@mail.example.org")
    assert contacts._is_plain_email("Zoe@example.nl")
    for other in (
        "zoe@Example.nl",  # the library lower-cases the domain
        "info@example.nl",  # and a role mailbox's name
        "zoë@example.nl",
        "zoe@xn--bcher-kva.de",
        "zoe@example.test",
        "zoe@example",
    ):
        assert not contacts._is_plain_email(other), other


def test_the_shortcut_knows_the_library_limits_and_reserved_names():
    assert contacts.MAX_TYPED_NUMBER_LENGTH == phonenumbers.phonenumberutil._MAX_INPUT_STRING_LENGTH
    assert list(contacts.SPECIAL_USE_DOMAINS) == email_validator.SPECIAL_USE_DOMAIN_NAMES
    mailboxes = set(rfc_constants.CASE_INSENSITIVE_MAILBOX_NAMES)
    assert mailboxes == contacts.CASE_INSENSITIVE_MAILBOXES
    assert contacts.EMAIL_MAX_LENGTH == rfc_constants.EMAIL_MAX_LENGTH
    assert contacts.LOCAL_PART_MAX_LENGTH == rfc_constants.LOCAL_PART_MAX_LENGTH
    assert contacts.DOMAIN_MAX_LENGTH == rfc_constants.DOMAIN_MAX_LENGTH


# ---- phone numbers -------------------------------------------------------------------------


@st.composite
def typed_numbers(draw) -> str:
    prefix = draw(st.sampled_from(["06", "+316", "00316", "+31 6 ", "0031 6", "6", "+3106", "07"]))
    second = draw(st.sampled_from("0123456789"))
    rest = draw(st.text(alphabet="0123456789", min_size=6, max_size=8))
    separator = draw(st.sampled_from(["", " ", "-", ".", "  ", "/"]))
    digits = second + rest
    cut = draw(st.integers(min_value=0, max_value=len(digits)))
    return f"{prefix}{digits[:cut]}{separator}{digits[cut:]}"


@settings(max_examples=1500, deadline=None)
@given(typed_numbers(), st.booleans(), st.sampled_from(["NL", "BE"]))
@example("06-12345678", True, "NL")
@example("+31 6 1234 5678", True, "NL")
@example("066 1234567", True, "NL")
@example("066 1234567", False, "NL")
@example("06 1234567", True, "NL")
@example("０６１２３４５６７８", True, "NL")
@example("+32 470 12 34 56", True, "NL")
@example("06" + " " * 300 + "12345678", True, "NL")
@example("06" + "-" * 240 + "12345678", True, "NL")
def test_a_number_is_read_as_phonenumbers_reads_it(text, mobile, region):
    assert answer(contacts.normalise_phone, text, mobile=mobile, region=region) == answer(
        contacts._normalise_phone_by_library, text, mobile=mobile, region=region
    )


@pytest.mark.parametrize("second", "0123456789")
def test_a_number_is_shown_as_phonenumbers_shows_it(second):
    for tail in ("0000000", "1234567", "9999999", "5550123"):
        e164 = f"+316{second}{tail}"
        if not phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            continue
        assert contacts.phone_display(e164) == contacts._phone_display_by_library(e164)
    assert contacts.phone_display("+31612345678") == "06 12345678"
    assert contacts.phone_display("+32470123456") == "+32 470 12 34 56"
