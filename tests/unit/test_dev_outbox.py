"""``make outbox``: a delivered mail shown with its recipient, subject, attachment and links."""

from __future__ import annotations

from buurtwhatsapp.mail.message import Attachment, OutgoingMail
from buurtwhatsapp.mail.transports import FileTransport
from devstack.outbox import show


def test_a_mail_is_shown_with_its_links_decoded(tmp_path, capsys):
    link = "http://localhost:8080/confirm?token=" + "x" * 90  # long: quoted-printable folds it
    FileTransport(tmp_path).send(
        OutgoingMail(
            mail_id="m1",
            sender="Buurt <noreply@example.org>",
            to="zoe@example.org",
            subject="Welkom, Zoë",
            text=f"Bevestig hier:\n{link}\n",
            html=f'<a href="{link}">Bevestig</a>',
            attachments=(Attachment("Zoë.vcf", "text/vcard", b"BEGIN:VCARD\r\nEND:VCARD\r\n"),),
        )
    )
    show(tmp_path / "m1.eml")
    printed = capsys.readouterr().out
    assert "zoe@example.org" in printed and "Welkom, Zoë" in printed
    assert f"  {link}\n" in printed
    assert "Attached: Zoë.vcf" in printed


def test_a_mail_from_an_older_version_with_an_encoded_word_as_local_part_is_shown(tmp_path, capsys):
    # Written before such addresses were refused: Python's address parser raises on it.
    (tmp_path / "old.eml").write_bytes(
        b"From: noreply@example.org\r\n"
        b"To: =?utf-8?b?DQpCY2M6IGVAZS5l?=@example.org\r\n"
        b"Subject: =?utf-8?b?V2Vsa29tDQpCY2M6IGVAZS5l?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Bevestig: http://localhost:8080/confirm?token=abc\r\n"
    )
    show(tmp_path / "old.eml")
    printed = capsys.readouterr().out
    assert "To:      =?utf-8?b?DQpCY2M6IGVAZS5l?=@example.org" in printed
    # The decoded line break is shown as an escape, never printed as one.
    assert "Subject: Welkom\\r\\nBcc: e@e.e" in printed
    assert "http://localhost:8080/confirm?token=abc" in printed
