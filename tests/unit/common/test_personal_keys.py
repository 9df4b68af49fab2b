"""Keys of addresses and numbers: peppered, one per address, mailbox or number however typed."""

from __future__ import annotations

import hashlib

import pytest

from buurtwhatsapp.common.personal_keys import PersonalKeys, canonical_email, mailbox_address

KEYS = PersonalKeys("a-pepper-for-the-unit-tests-" + "p" * 16)

# typed -> the mailbox it delivers to
MAILBOXES = [
    ("victim@example.org", "victim@example.org"),
    ("Victim@Example.ORG", "victim@example.org"),
    ("victim+1@example.org", "victim@example.org"),
    ("victim+a+b@example.org", "victim@example.org"),
    ("victim-1@example.org", "victim-1@example.org"),  # "-" is no tag on an unknown domain
    ("victim-news@yahoo.com", "victim@yahoo.com"),
    ("v.i.c.t.i.m@gmail.com", "victim@gmail.com"),
    ("Victim+x@googlemail.com", "victim@gmail.com"),
    ("anything@victim.fastmail.com", "victim@fastmail.com"),
    ("v.i.c.t.i.m@example.org", "v.i.c.t.i.m@example.org"),  # dots count elsewhere
    ("+tag@example.org", "+tag@example.org"),  # nothing left before the tag: kept whole
    ("resident+x@faß.de", "resident@xn--fa-hia.de"),
]


@pytest.mark.parametrize(("typed", "mailbox"), MAILBOXES)
def test_sub_addressing_and_case_fold_to_one_mailbox(typed, mailbox):
    assert mailbox_address(typed) == mailbox


def test_one_mailbox_one_key_and_the_domain_key_follows_the_mailbox():
    assert KEYS.mailbox("victim+1@gmail.com") == KEYS.mailbox("V.ictim+2@googlemail.com")
    assert KEYS.domain("a@googlemail.com") == KEYS.domain("b@gmail.com")
    assert KEYS.domain("a@example.org") != KEYS.domain("a@example.net")


def test_identity_keeps_sub_addresses_apart_so_a_family_can_share_a_mailbox():
    assert KEYS.email("family+dad@example.org") != KEYS.email("family+mum@example.org")
    assert KEYS.email("Zoe@Example.org") == KEYS.email("zoe@example.org")


def test_an_eszett_domain_and_its_ss_namesake_are_two_people():
    assert canonical_email("a@Faß.de") == "a@xn--fa-hia.de"
    assert KEYS.email("a@faß.de") == KEYS.email("a@xn--fa-hia.de")
    assert KEYS.email("a@faß.de") != KEYS.email("a@fass.de")


def test_a_key_cannot_be_found_by_hashing_guesses_without_the_pepper():
    phone = "+31612345678"
    key = KEYS.phone(phone)
    plain = hashlib.sha256(f"phone:{phone}".encode()).hexdigest()  # the old, reversible key
    assert key.startswith("phone-") and plain not in key
    assert key != PersonalKeys("another-pepper-" + "q" * 20).phone(phone)
    assert key == KEYS.phone(phone)  # stable under one pepper


def test_a_pepper_is_required():
    with pytest.raises(ValueError):
        PersonalKeys("")
