"""The floor: the least a function of ours could be, run exactly as ours are.

It imports functions-framework and google-cloud-firestore and creates one Firestore document
per request; nothing else. It runs from the same environment (the upload's venv), in its own
directory, as one ``functions-framework`` process per measurement, against the same emulator.
Whatever our functions need beyond it (their own imports, the settings, the deployment file,
the templates, more Firestore calls) is what a ratio to the floor shows.

Like ours, it creates its Firestore client on the first request, not at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FLOOR_SOURCE = '''\
"""The bench's floor function: functions-framework, google-cloud-firestore, one write."""

import functions_framework
from google.cloud import firestore

_client = None


def _db():
    global _client
    if _client is None:
        _client = firestore.Client()
    return _client


def _write():
    _db().collection("floor").document().create({"at": firestore.SERVER_TIMESTAMP})


@functions_framework.http
def floor(request):
    _write()
    return "ok"


@functions_framework.cloud_event
def floor_event(cloud_event):
    _write()
'''


@dataclass(frozen=True)
class FloorTarget:
    """A floor entry point, shaped like infra.functions.FunctionSpec for upload_unit."""

    entry_point: str
    signature_type: str

    @property
    def name(self) -> str:
        return f"floor-{self.signature_type}"


HTTP_FLOOR = FloorTarget("floor", "http")
EVENT_FLOOR = FloorTarget("floor_event", "cloudevent")


def write_floor(directory: Path) -> Path:
    """The floor's upload: a directory holding its main.py."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.py").write_text(FLOOR_SOURCE)
    return directory
