"""Every mail this product sends, by the name of its template folder under templates/mail/.

Services queue a mail by one of these names; ``compose.MAIL_KINDS`` says what each needs at
delivery (signed links, a contact card). A test checks that each name has its templates and
its kind, so a new mail cannot be queued without them.
"""

from __future__ import annotations

from enum import StrEnum


class MailTemplate(StrEnum):
    WERKWIJZE = "werkwijze"  # to a new resident: how the group works; confirm
    CONFIRM_REMINDER = "confirm-reminder"  # to a resident who has not confirmed after 3 days
    COORDINATOR_ALERT = "coordinator-alert"  # to the coordinator: please add this resident
    COORDINATOR_REMINDER = "coordinator-reminder"  # ... still not added after 3 days
    ADDED = "added"  # to the resident: you are in the group
    LEFT = "left"  # to the former resident: your data is erased
    COORDINATOR_REMOVE = "coordinator-remove"  # to the coordinator: take this number out
    APPLICATION_ACK = "application-ack"  # to an applicant: thank you
    APPLICATION_ALERT = "application-alert"  # to the regiegroep: a new application
