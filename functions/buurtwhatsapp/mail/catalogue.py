"""Every mail this product sends, in one table: its template folder under templates/mail/ and
what it needs when it is delivered (the signed links its template shows, a contact card).

Services queue a mail by one of these names; compose.py reads the rest at delivery. A test
checks that each has its templates, so a new mail cannot be queued without them: a new mail
is a template folder, a line here, and one call that queues it.
"""

from __future__ import annotations

from enum import StrEnum

from ..common.signed_links import Purpose


class MailTemplate(StrEnum):
    """name = (template folder, signed links for the mail's sign-up, the data key whose
    contact(s) go along as one vCard file: a card or a list of cards with name and phone,
    signed links for the recipient: made for their e-mail key, ``PersonalKeys.email``; the
    group page's link only when the data names the ``group_id`` the recipient coordinates)"""

    links: tuple[Purpose, ...]
    vcards: str | None
    recipient_links: tuple[Purpose, ...]

    def __new__(
        cls,
        folder: str,
        links: tuple[Purpose, ...] = (),
        vcards: str | None = None,
        recipient_links: tuple[Purpose, ...] = (),
    ) -> MailTemplate:
        member = str.__new__(cls, folder)
        member._value_ = folder
        member.links = links
        member.vcards = vcards
        member.recipient_links = recipient_links
        return member

    # To a new resident: how the group works; confirm.
    WERKWIJZE = ("werkwijze", (Purpose.CONFIRM, Purpose.LEAVE))
    # To a resident who has not confirmed after 3 days.
    CONFIRM_REMINDER = ("confirm-reminder", (Purpose.CONFIRM, Purpose.LEAVE))
    # To the coordinator (or the regiegroep): please add this resident.
    COORDINATOR_ALERT = ("coordinator-alert", (Purpose.ADDED,), "member", (Purpose.GROUP,))
    # ... still not added after 3 days.
    COORDINATOR_REMINDER = ("coordinator-reminder", (Purpose.ADDED,), "member", (Purpose.GROUP,))
    # To a resident placed in a group with an invite link: ask to join by it.
    WELCOME = ("welkom", (Purpose.JOIN, Purpose.LEAVE))
    # ... not added after 3 days: ask again (the request may not have been sent).
    JOIN_REMINDER = ("join-reminder", (Purpose.JOIN, Purpose.LEAVE))
    # To the resident: you are in the group.
    ADDED = ("added", (Purpose.LEAVE,))
    # To a member, once every reconfirm_after_days: do you still take part?
    YEARLY_CHECK = ("yearly-check", (Purpose.STILL, Purpose.LEAVE))
    # ... no answer after 30 days: once more, with the date of the lapse.
    YEARLY_CHECK_REMINDER = ("yearly-check-reminder", (Purpose.STILL, Purpose.LEAVE))
    # To a member who accepted older group rules: the new ones, to accept with one click.
    RULES_CHANGED = ("rules-changed", (Purpose.RULES, Purpose.LEAVE))
    # To a member: news from the regiegroep (only infra/maintain news send queues it).
    NEWS = ("news", (Purpose.LEAVE,))
    # ... the same, once, to the maintainer's own address first, without a leave link.
    NEWS_PREVIEW = ("news-preview",)
    # To the former resident: your data is erased.
    LEFT = ("left",)
    # To the coordinator: take this number out of the group.
    COORDINATOR_REMOVE = ("coordinator-remove", (), None, (Purpose.GROUP,))
    # To an applicant: thank you.
    APPLICATION_ACK = ("application-ack",)
    # To the regiegroep: a new application.
    APPLICATION_ALERT = ("application-alert",)
    # To the regiegroep, at most hourly: the applications that came in beyond the alerts.
    APPLICATION_DIGEST = ("application-digest",)
    # To a group's new coordinator: the members, to take the WhatsApp group over.
    COORDINATOR_HANDOVER = ("coordinator-handover", (), "members", (Purpose.GROUP,))
    # To the coordinator they follow: thank you; please make the new one a group admin.
    COORDINATOR_THANKS = ("coordinator-thanks", (), "successor")
    # To each regiegroep member, once a month: the overview's figures and their link to it.
    REGIEGROEP_DIGEST = ("regiegroep-digest", (), None, (Purpose.OVERVIEW,))
