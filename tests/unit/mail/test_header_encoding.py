"""Text in a header is encoded by us, never decoded: encoded words typed into a form arrive as
the literal text they are, and cannot add a header, a body or a character validation refused."""

from __future__ import annotations

import base64
import dataclasses
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from buurtwhatsapp.mail import headers
from buurtwhatsapp.mail.message import Attachment, OutgoingMail
from buurtwhatsapp.mail.mime import as_bytes, build_mime, envelope

PHISHING = "\r\nContent-Type: text/html\r\n\r\n<a href=//ev.il>Log in</a>"
BCC = "\r\nBcc: evil@ev.il"


def b_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def q_word(text: str, charset: str = "utf-8") -> str:
    encoded = "".join(
        chr(byte) if chr(byte).isalnum() else "_" if byte == 0x20 else f"={byte:02X}"
        for byte in text.encode(charset)
    )
    return f"=?{charset}?q?{encoded}?="


# Each is text a resident could type (printable, one line): it passes validation.
HOSTILE = {
    "base64 body": b_word(PHISHING),
    "base64 bcc": b_word(BCC),
    "quoted-printable bcc": q_word(BCC),
    "upper-case Q": q_word(BCC).replace("?q?", "?Q?"),
    "latin-1 bcc": b_word(BCC, "iso-8859-1"),
    "bidi override": b_word("\u202egnp.exe"),
    "split over two words": f"{b_word(chr(13) + chr(10))} {b_word('Bcc: evil@ev.il')}",
    "folded words": f"Jan {q_word('x')}  {q_word(BCC)}",
    "fragments": "Jan =? de ?= Vries =?utf-8? ?q? =?=",
    "unterminated": "=?utf-8?b?DQpCY2M6IGV2aWxAZXYuaWw",
    "language tag": "=?utf-8*nl?q?=0D=0ABcc:_evil@ev.il?=",
}
EXPECTED_HEADERS = ["From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version"]


def make_mail(**changes: object) -> OutgoingMail:
    mail = OutgoingMail(
        mail_id="application-abc-alert-0",
        sender="Buurt WhatsApp Buitenkaag <noreply@buurt.example.org>",
        to="regie@buurt.example.org",
        subject="Nieuwe aanmelding als coördinator: Jan",
        text="Hallo,\n",
        html="<p>Hallo,</p>\n",
        reply_to="Regiegroep <regie@buurt.example.org>",
    )
    return dataclasses.replace(mail, **changes)


def sent(mail: OutgoingMail) -> tuple[bytes, EmailMessage]:
    raw = as_bytes(build_mime(mail))
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def assert_only_our_structure(raw: bytes, parsed: EmailMessage, leaves: list[str]) -> None:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0] for line in head.split("\r\n") if not line.startswith(" ")]
    assert names[: len(EXPECTED_HEADERS)] == EXPECTED_HEADERS
    assert set(names) <= {*EXPECTED_HEADERS, "Content-Type"}
    assert names.count("Content-Type") == 1
    assert [part.get_content_type() for part in parsed.walk() if not part.is_multipart()] == leaves
    assert all("Bcc" not in part for part in parsed.walk())
    assert b"ev.il>Log in" not in raw


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_encoded_word_in_the_subject_stays_literal_text(text: str) -> None:
    subject = f"Nieuwe aanmelding als coördinator: {text}"
    raw, parsed = sent(make_mail(subject=subject))

    assert_only_our_structure(raw, parsed, ["text/plain", "text/html"])
    assert parsed["Subject"] == subject
    assert "\u202e" not in parsed["Subject"]


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", ["to", "sender", "reply_to"])
def test_an_encoded_word_in_a_display_name_stays_literal_text(text: str, field: str) -> None:
    address = {"to": "zoe@example.org", "sender": "noreply@b.example", "reply_to": "r@b.example"}
    raw, parsed = sent(make_mail(**{field: f"{text} <{address[field]}>"}))

    assert_only_our_structure(raw, parsed, ["text/plain", "text/html"])
    header = {"to": "To", "sender": "From", "reply_to": "Reply-To"}[field]
    [mailbox] = parsed[header].addresses
    assert mailbox.addr_spec == address[field]
    # Decoded as RFC 2047 says (the space between two encoded words is folding, not text),
    # which email.header does; the newer parser adds a space there inside a display name.
    wire = (
        (b"\r\n" + raw).split(f"\r\n{header}: ".encode(), 1)[1].split(b" <", 1)[0].decode("ascii")
    )
    assert str(make_header(decode_header(wire))) == text


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_encoded_word_in_an_attachment_name_stays_literal_text(text: str) -> None:
    card = Attachment(f"{text}.vcf", "text/vcard", b"BEGIN:VCARD\r\nEND:VCARD\r\n")
    raw, parsed = sent(make_mail(attachments=(card,)))

    assert_only_our_structure(raw, parsed, ["text/plain", "text/html", "text/vcard"])
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == f"{text}.vcf"


@pytest.mark.parametrize("name", ["\U0001d400" * 100, "a" * 100, "Zoë " * 40])
def test_a_long_attachment_name_is_split_into_continuations_and_read_back_whole(name) -> None:
    """A name the form accepts (100 characters, some of 4 bytes) must not make the coordinator's
    alert unsendable: RFC 2231 continuations keep every line short."""
    card = Attachment(f"{name}.vcf", "text/vcard", b"BEGIN:VCARD\r\nEND:VCARD\r\n")
    raw, parsed = sent(make_mail(attachments=(card,)))

    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == f"{name}.vcf"


def test_an_encoded_word_as_local_part_is_never_written_into_to() -> None:
    # email-validator accepts '=' and '?' in a local part; every mail reader (and Python's own
    # parser, which made `make outbox` crash) decodes it. The form refuses it (contacts.py);
    # the mail layer refuses it as well, so no older document can carry one onto the wire.
    address = f"{q_word('evil@ev.il')}@example.org"
    with pytest.raises(ValueError, match="to has a local part shaped like an encoded word"):
        build_mime(make_mail(to=address))
    with pytest.raises(ValueError, match="encoded word"):
        envelope(make_mail(to=address))


@pytest.mark.parametrize("character", ["\u202e", "\u200b", "\u2066", "\ud800", "\x00", "\x7f"])
def test_a_character_validation_refuses_is_refused_in_a_header_too(character: str) -> None:
    with pytest.raises(ValueError, match="subject contains"):
        build_mime(make_mail(subject=f"Nieuwe deelnemer: Jan{character}"))


def test_long_subjects_fold_within_78_characters_and_unfold_to_the_same_text() -> None:
    plain = "Nieuwe deelnemer voor Buurt WhatsApp Buitenkaag Lisserweg en Kagerdreef: " * 3
    accented = "Zoë van ’t Veld uit de Kagerdreef " * 6
    for subject in (plain.strip(), accented.strip()):
        raw, parsed = sent(make_mail(subject=subject))
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(line) <= 78 for line in head.split(b"\r\n") if b"boundary" not in line)
        assert parsed["Subject"] == subject


@pytest.mark.parametrize("text", ["Jan", "Zoë", "a" * 300, "中文名字" * 30, "e\u0301" * 40])
def test_encoded_words_hold_whole_characters_and_at_most_75_octets(text: str) -> None:
    value = headers.unstructured("subject", text, name_length=len("Subject"))
    for word in value.split("\r\n "):
        for piece in word.split(" "):
            assert len(piece) <= 75
            if piece.startswith("=?utf-8?b?"):
                base64.b64decode(piece[10:-2]).decode("utf-8")  # whole characters: no error
