"""Which mail a Firestore CloudEvent reports, from its attributes as Eventarc sets them."""

from __future__ import annotations

import pytest
from cloudevents.http import CloudEvent, from_http

from buurtwhatsapp.web.events import CREATED, created_mail_id
from devstack.firestore_events import created_event


def event(collection: str = "mail", document_id: str = "m1") -> CloudEvent:
    headers, body = created_event("p", collection, document_id, {"status": "queued"})
    return from_http(headers, body)


def test_a_created_mail_is_named_by_the_events_document_attribute():
    assert created_mail_id(event(document_id="step-abc-r1")) == "step-abc-r1"


def test_without_the_document_attribute_the_subject_names_it():
    attributes = {
        "type": CREATED,
        "source": "//firestore.googleapis.com/projects/p/databases/(default)",
        "subject": "documents/mail/m7",
    }
    assert created_mail_id(CloudEvent(attributes, b"")) == "m7"


@pytest.mark.parametrize(
    "reported",
    [
        event(collection="signups"),
        event(collection="mail/m1/history", document_id="h1"),
        CloudEvent({"type": CREATED, "source": "//x"}, b""),
        CloudEvent(
            {
                "type": "google.cloud.firestore.document.v1.deleted",
                "source": "//x",
                "document": "mail/m1",
            },
            b"",
        ),
    ],
    ids=["another collection", "a subcollection", "no document named", "another event type"],
)
def test_anything_else_is_ignored(reported):
    assert created_mail_id(reported) is None
