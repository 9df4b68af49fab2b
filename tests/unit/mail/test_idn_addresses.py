"""International domain names reach exactly the domain that was validated.

email-validator checks a domain with IDNA 2008; Python's built-in ``idna`` codec is IDNA 2003,
which maps ``faß.de`` to ``fass.de``, a final ``ς`` to ``σ``, and drops a zero-width joiner:
each another domain with another owner. So the wire form of every address (the ``To:`` header
and the envelope of SMTP and SES) must be email-validator's own ASCII form, for every address
the form accepts, and an address IDNA 2008 refuses must never reach a transport at all.
"""

from __future__ import annotations

import pytest
from email_validator import validate_email

from buurtwhatsapp.common import contacts
from buurtwhatsapp.mail import headers
from buurtwhatsapp.mail.message import OutgoingMail
from buurtwhatsapp.mail.mime import build_mime, envelope

ZWNJ, ZWJ = "\u200c", "\u200d"

# typed -> the ASCII address the mail must go to (IDNA 2008)
DELIVERED = {
    "eszett as punycode": ("resident@xn--fa-hia.de", "resident@xn--fa-hia.de"),
    "eszett as typed": ("resident@Faß.DE", "resident@xn--fa-hia.de"),
    "ss is its own domain": ("resident@fass.de", "resident@fass.de"),
    "final sigma": ("thea@βόλος.com", "thea@xn--nxasmm1c.com"),
    "final sigma as punycode": ("thea@xn--nxasmm1c.com", "thea@xn--nxasmm1c.com"),
    "umlaut": ("zoe@exämple.org", "zoe@xn--exmple-cua.org"),
    "plain ascii": ("Zoe@Example.ORG", "Zoe@example.org"),
}
# Refused where they are typed: emoji are not IDNA 2008, joiners are unsafe to show, and an
# encoded word as a local part would be decoded by mail readers.
REFUSED = {
    "emoji": "resident@😀.example",
    "emoji as punycode": "resident@xn--ls8h.la",
    "zero-width non-joiner": f"resident@نامه{ZWNJ}ای.com",
    "zero-width non-joiner as punycode": "resident@xn--mgba3gch31f060k.com",
    "zero-width joiner": f"resident@\u0915\u094d{ZWJ}\u0937.com",
    "encoded word as local part": "=?utf-8?b?DQpCY2M6IGVAZS5l?=@example.org",
    "q-encoded word as local part": "=?utf-8?q?a=0D=0ABcc:_e@e.e?=@example.org",
}


def mail_to(address: str) -> OutgoingMail:
    return OutgoingMail(
        mail_id="idn-1",
        sender="Buurt WhatsApp <noreply@buurt.example.org>",
        to=address,
        subject="Welkom",
        text="Hallo",
        html="<p>Hallo</p>",
    )


@pytest.mark.parametrize(("typed", "wire"), DELIVERED.values(), ids=DELIVERED.keys())
def test_the_envelope_and_to_header_are_the_validated_ascii_form(typed, wire):
    stored = contacts.normalise_email(typed)
    validated = validate_email(typed, check_deliverability=False, allow_smtputf8=False)
    assert validated.ascii_email == wire  # the table agrees with email-validator itself

    message = build_mime(mail_to(stored))
    _, recipient = envelope(mail_to(stored))

    assert str(message["To"]) == wire
    assert recipient == wire
    assert contacts.ascii_address(stored) == wire


@pytest.mark.parametrize("typed", REFUSED.values(), ids=REFUSED.keys())
def test_what_idna_2008_or_the_header_grammar_refuses_is_refused_where_it_is_typed(typed):
    with pytest.raises(contacts.ContactError):
        contacts.normalise_email(typed)


@pytest.mark.parametrize("address", ["resident@😀.example", "resident@xn--ls8h.la"])
def test_the_mail_layer_refuses_an_emoji_domain_that_reached_it_anyway(address):
    with pytest.raises(ValueError, match="IDNA 2008"):
        headers.mailbox("to", address, name_length=2)


@pytest.mark.parametrize("joiner", [ZWNJ, ZWJ], ids=["non-joiner", "joiner"])
def test_a_joiner_the_mail_layer_is_handed_is_refused_never_dropped(joiner):
    # IDNA 2003 would drop it and name another registered domain (xn--mgba3gch31f.com).
    with pytest.raises(ValueError):
        headers.mailbox("to", f"resident@نامه{joiner}ای.com", name_length=2)
    assert contacts.ascii_domain(f"نامه{ZWNJ}ای.com") == "xn--mgba3gch31f060k.com"


def test_an_encoded_word_local_part_never_reaches_the_to_header():
    with pytest.raises(ValueError, match="encoded word"):
        build_mime(mail_to("=?utf-8?b?DQpCY2M6IGVAZS5l?=@example.org"))
