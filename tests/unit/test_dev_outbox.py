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
