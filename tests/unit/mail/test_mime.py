"""build_mime: structure, encodings, stable ids, and that no input can add a header."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from buurtwhatsapp.mail.message import Attachment, OutgoingMail
from buurtwhatsapp.mail.mime import as_bytes, build_mime

LEAVE_URL = "https://buurt.example.org/leave?token=" + "eyJzIjoiYWJjIn0." * 12
TEXT = "Hallo Zoë,\n\nWelkom in de buurtapp. Lees de werkwijze (SAAR) goed door.\n"
HTML = "<p>Hallo Zoë,</p>\n<p>Welkom in de buurtapp. Lees de <b>werkwijze</b> goed door.</p>\n"
VCARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zo\xc3\xab van 't Veld\r\nEND:VCARD\r\n"


def make_mail(**changes: object) -> OutgoingMail:
    mail = OutgoingMail(
        mail_id="signup-0a1b2c-confirm-1",
        sender="Buurt WhatsApp Buitenkaag <noreply@buurt.example.org>",
        to="Zoë van 't Veld <zoe@example.org>",
        subject="Welkom Zoë: één stap nog",
        text=TEXT,
        html=HTML,
        reply_to="Regiegroep <regie@buurt.example.org>",
        headers=(
            ("List-Unsubscribe", f"<{LEAVE_URL}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )
    return dataclasses.replace(mail, **changes)


def parse(message: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(as_bytes(message))
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None, subtype
    assert part.get_content_charset() == "utf-8"
    return part.get_content().replace("\r\n", "\n")


def test_text_and_html_are_alternatives_with_the_given_content() -> None:
    parsed = parse(build_mime(make_mail()))

    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert body(parsed, "plain") == TEXT
    assert body(parsed, "html") == HTML
    assert list(parsed.iter_attachments()) == []


def test_the_raw_message_is_seven_bit_with_crlf_and_encoded_words() -> None:
    raw = as_bytes(build_mime(make_mail()))

    assert raw.isascii()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head  # the subject and the display name, RFC 2047
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_utf8_subject_and_display_names_round_trip() -> None:
    parsed = parse(build_mime(make_mail(sender="Zoë’s buurt <noreply@buurt.example.org>")))

    assert parsed["Subject"] == "Welkom Zoë: één stap nog"
    (recipient,) = parsed["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == ("Zoë van 't Veld", "zoe@example.org")
    (sender,) = parsed["From"].addresses
    assert sender.display_name == "Zoë’s buurt"
    assert sender.addr_spec == "noreply@buurt.example.org"


def test_reply_to_list_unsubscribe_date_and_message_id() -> None:
    sent_at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    parsed = parse(build_mime(make_mail(), date=sent_at))

    assert parsed["Reply-To"].addresses[0].addr_spec == "regie@buurt.example.org"
    assert parsed["Reply-To"].addresses[0].display_name == "Regiegroep"
    assert parsed["List-Unsubscribe"] == f"<{LEAVE_URL}>"
    # On the wire too: the default folder would RFC 2047-encode the long URL, which a parser
    # decodes again but mail clients do not look for in List-Unsubscribe.
    raw = as_bytes(build_mime(make_mail()))
    assert f"\r\nList-Unsubscribe: <{LEAVE_URL}>\r\n".encode() in raw
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Date"].datetime == sent_at
    assert parsed["Message-ID"] == "<signup-0a1b2c-confirm-1@buurt.example.org>"
    assert parsed["MIME-Version"] == "1.0"
    assert len(parsed.get_all("MIME-Version")) == 1
    assert all("MIME-Version" not in part for part in parsed.iter_parts())


def test_the_message_id_is_the_same_for_every_attempt() -> None:
    first = build_mime(make_mail(), date=datetime(2025, 3, 1, tzinfo=UTC))
    later = build_mime(make_mail(), date=datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=5))
    other = build_mime(make_mail(mail_id="signup-0a1b2c-confirm-2"))

    assert first["Message-ID"] == later["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]


def test_no_reply_to_when_none_is_given() -> None:
    assert "Reply-To" not in parse(build_mime(make_mail(reply_to=None)))


def test_attachments_go_in_multipart_mixed_next_to_the_alternatives() -> None:
    vcard = Attachment(filename="Zoë van 't Veld.vcf", content_type="text/vcard", content=VCARD)
    pdf = Attachment(filename="werkwijze.pdf", content_type="application/pdf", content=b"%PDF-1")
    parsed = parse(build_mime(make_mail(attachments=(vcard, pdf))))

    assert parsed.get_content_type() == "multipart/mixed"
    first, *_ = parsed.iter_parts()
    assert first.get_content_type() == "multipart/alternative"
    assert body(parsed, "plain") == TEXT
    assert body(parsed, "html") == HTML
    attachments = list(parsed.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("Zoë van 't Veld.vcf", "text/vcard"),
        ("werkwijze.pdf", "application/pdf"),
    ]
    assert [a.get_content_disposition() for a in attachments] == ["attachment", "attachment"]
    assert attachments[0].get_payload(decode=True) == VCARD
    assert attachments[1].get_payload(decode=True) == b"%PDF-1"


def test_an_international_domain_is_sent_as_punycode() -> None:
    parsed = parse(build_mime(make_mail(to="Jan <jan@exämple.nl>")))

    assert parsed["To"].addresses[0].addr_spec == "jan@xn--exmple-cua.nl"


def test_a_display_name_with_a_period_is_quoted_not_refused() -> None:
    parsed = parse(build_mime(make_mail(to="J. de Vries <jan@example.org>")))

    assert parsed["To"].addresses[0].display_name == "J. de Vries"
    assert parsed["To"].addresses[0].addr_spec == "jan@example.org"


INJECTION = "Jan\r\nBcc: evil@example.org"


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": INJECTION},
        {"subject": "Welkom\nBcc: evil@example.org"},
        {"subject": "Welkom\rBcc: evil@example.org"},
        {"subject": "Welkom\u2028Bcc: evil@example.org"},
        {"to": f"{INJECTION} <zoe@example.org>"},
        {"to": "zoe@example.org\r\nBcc: evil@example.org"},
        {"sender": f"{INJECTION} <noreply@buurt.example.org>"},
        {"reply_to": f"{INJECTION} <regie@buurt.example.org>"},
        {"headers": (("List-Unsubscribe", f"<{LEAVE_URL}>\r\nBcc: evil@example.org"),)},
        {"headers": (("X-Note", "Zoë\nBcc: evil@example.org"),)},
        {"headers": (("X-Note\r\nBcc", "evil@example.org"),)},
        {"headers": (("X-Note: x\r\nBcc", "evil@example.org"),)},
        {"attachments": (Attachment(f"{INJECTION}.vcf", "text/vcard", VCARD),)},
        {"attachments": (Attachment("a.vcf", "text/vcard\r\nBcc: evil@example.org", VCARD),)},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_a_line_break_anywhere_cannot_add_a_header(changes: dict[str, object]) -> None:
    mail = make_mail(**changes)
    with pytest.raises(ValueError) as raised:
        message = build_mime(mail)
        # Not reached while build_mime refuses; if it ever neutralises instead, this must hold.
        parsed = parse(message)
        assert "Bcc" not in parsed
        assert len(parsed.get_all("Subject")) == 1
    assert "evil@example.org" not in str(raised.value)  # errors name the field, not the value


@pytest.mark.parametrize("name", ["Bcc", "cc", "To", "From", "Subject", "Content-Type", "Sender"])
def test_extra_headers_cannot_replace_the_ones_build_mime_sets(name: str) -> None:
    with pytest.raises(ValueError, match="set by build_mime"):
        build_mime(make_mail(headers=((name, "evil@example.org"),)))


@pytest.mark.parametrize(
    "to",
    ["zoe@example.org, evil@example.org", "undisclosed-recipients:;", "zoe", "Zoë <zoe@example"],
)
def test_the_recipient_must_be_exactly_one_address(to: str) -> None:
    with pytest.raises(ValueError, match="exactly one valid e-mail address"):
        build_mime(make_mail(to=to))


def test_a_non_ascii_local_part_is_refused_as_it_needs_smtputf8() -> None:
    with pytest.raises(ValueError, match="SMTPUTF8"):
        build_mime(make_mail(to="zoë@example.org"))


@pytest.mark.parametrize(
    "mail_id", ["../escape", "a/b", "", ".hidden", "a..b", "trailing.", "id with space", "x" * 201]
)
def test_a_mail_id_that_is_no_safe_token_is_refused(mail_id: str) -> None:
    with pytest.raises(ValueError, match="mail_id"):
        build_mime(make_mail(mail_id=mail_id))


def test_a_non_ascii_extra_header_is_encoded_not_sent_raw() -> None:
    parsed = parse(build_mime(make_mail(headers=(("X-Buurt", "Buitenkaag – Zoë"),))))

    assert parsed["X-Buurt"] == "Buitenkaag – Zoë"


def test_a_naive_date_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_mime(make_mail(), date=datetime(2025, 3, 1, 9, 30))
