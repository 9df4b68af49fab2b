"""Firestore CloudEvents exactly as Eventarc sends them (binary content mode, protobuf body).

Used by the local relay and by tests, so that the delivery function sees nothing locally that
it would not see in Google Cloud.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1.types import Document as FirestoreDocument
from google.events.cloud.firestore import Document, DocumentEventData

CREATED = "google.cloud.firestore.document.v1.created"
DATA_SCHEMA = (
    "https://github.com/googleapis/google-cloudevents/blob/main/"
    "proto/google/events/cloud/firestore/v1/data.proto"
)


def created_event(
    project: str,
    collection: str,
    document_id: str,
    fields: Mapping[str, object],
    *,
    database: str = "(default)",
    event_id: str | None = None,
    time: datetime | None = None,
) -> tuple[dict[str, str], bytes]:
    """The headers and body of a ``document.v1.created`` event for one new document."""
    time = time or datetime.now(UTC)
    document_path = f"{collection}/{document_id}"
    name = f"projects/{project}/databases/{database}/documents/{document_path}"
    # Encode the fields with the Firestore client's own encoder, then re-read the bytes as the
    # events library's Document: both are the same google.firestore.v1.Document on the wire.
    encoded = FirestoreDocument(
        name=name, fields=_helpers.encode_dict(dict(fields)), create_time=time, update_time=time
    )
    body = DocumentEventData.serialize(
        DocumentEventData(value=Document.deserialize(FirestoreDocument.serialize(encoded)))
    )
    headers = {
        "ce-specversion": "1.0",
        "ce-id": event_id or str(uuid.uuid4()),
        "ce-source": f"//firestore.googleapis.com/projects/{project}/databases/{database}",
        "ce-type": CREATED,
        "ce-subject": f"documents/{document_path}",
        "ce-time": time.isoformat().replace("+00:00", "Z"),
        "ce-dataschema": DATA_SCHEMA,
        "ce-project": project,
        "ce-database": database,
        "ce-namespace": "(default)",
        "ce-document": document_path,
        "ce-location": "local",
        "content-type": "application/protobuf",
    }
    return headers, body
