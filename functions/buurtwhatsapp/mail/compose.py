"""From an outbox document to an e-mail ready to send: context, links, rendering, headers.

What each mail needs (its signed links, a contact card) is said once, in catalogue.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from ..common.personal_keys import PersonalKeys
from ..common.rendering import render_mail
from ..common.signed_links import Links, Purpose, group_subject
from ..deployment.structure import Initiative
from . import MailError
from .catalogue import MailTemplate
from .message import Attachment, OutgoingMail
from .vcard import vcard


class UnknownMailKind(MailError, ValueError):
    pass


class Composer:
    def __init__(
        self,
        templates: jinja2.Environment,
        links: Links,
        keys: PersonalKeys,
        initiative: Initiative,
        sender: str,
    ) -> None:
        self._templates = templates
        self._links = links
        self._keys = keys
        self._initiative = initiative
        self._sender = sender

    def compose(self, mail_id: str, mail: Mapping[str, object]) -> OutgoingMail:
        template = str(mail["template"])
        try:
            kind = MailTemplate(template)
        except ValueError:
            raise UnknownMailKind(f"no mail kind {template!r}") from None
        signup_id = mail.get("signup_id")
        data = mail.get("data") or {}
        if not isinstance(data, Mapping):
            raise TypeError("mail data must be a map")
        context: dict[str, object] = {**data, "initiative": self._initiative}
        for purpose in kind.links:
            if not isinstance(signup_id, str):
                raise ValueError(f"mail kind {template!r} needs a signup_id for its links")
            context[f"{purpose.value}_url"] = self._links.url(purpose, signup_id)
        for purpose in kind.recipient_links:
            # Made now, at delivery, so that a link works its whole lifetime from arrival.
            recipient = self._keys.email(str(mail["to"]))
            if purpose is Purpose.GROUP:
                group_id = data.get("group_id")
                if not isinstance(group_id, str):
                    continue  # the recipient does not coordinate the group: no page
                recipient = group_subject(group_id, recipient)
            context[f"{purpose.value}_url"] = self._links.url(purpose, recipient)
        rendered = render_mail(self._templates, template, context)

        headers: list[tuple[str, str]] = []
        leave_url = context.get("leave_url")
        if isinstance(leave_url, str):
            # One-click unsubscribe (RFC 8058): the leave link's POST erases the sign-up.
            headers.append(("List-Unsubscribe", f"<{leave_url}>"))
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        attachments = self._vcards(kind, data)
        return OutgoingMail(
            mail_id=mail_id,
            sender=self._sender,
            to=str(mail["to"]),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            # Residents who answer a mail reach a person of the initiative, not a no-reply box.
            reply_to=self._initiative.contact_email,
            headers=tuple(headers),
            attachments=attachments,
        )

    def _vcards(self, kind: MailTemplate, data: Mapping[str, object]) -> tuple[Attachment, ...]:
        """One .vcf file with the contact(s) the mail kind names: named after the contact, or,
        for a list of them (however long), after the group: a phone imports them all at once."""
        value = data.get(kind.vcards) if kind.vcards else None
        one = isinstance(value, Mapping)
        contacts = [value] if one else value
        if not isinstance(contacts, list) or not contacts:
            return ()
        note = self._initiative.name
        card = b"".join(vcard(str(c["name"]), str(c["phone"]), note=note) for c in contacts)
        label = str(contacts[0]["name"]) if one else str(data.get("group_name"))
        return (Attachment(_card_filename(label), "text/vcard", card),)


def _card_filename(name: str) -> str:
    """A file name a phone shows as the contact's name, without characters that break it."""
    safe = "".join(c for c in name if c.isalnum() or c in " -'").strip()
    return f"{safe or 'contact'}.vcf"
