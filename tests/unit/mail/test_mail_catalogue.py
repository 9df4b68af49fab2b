"""Every mail the services can queue has its templates and its kind."""

from __future__ import annotations

from buurtwhatsapp.mail.catalogue import MailTemplate
from tests.conftest import REPOSITORY


def test_every_mail_has_its_three_templates_and_a_kind():
    for template in MailTemplate:
        folder = REPOSITORY / "templates" / "mail" / template.value
        for part in ("subject.txt", "body.html", "body.txt"):
            assert (folder / part).is_file(), f"{template.value}/{part}"


def test_no_template_folder_is_left_without_a_mail():
    folders = {p.name for p in (REPOSITORY / "templates" / "mail").iterdir() if p.is_dir()}
    assert folders == {template.value for template in MailTemplate}
