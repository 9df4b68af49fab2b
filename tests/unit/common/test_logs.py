"""Log lines: JSON for Cloud Logging, carrying only the fields listed as safe."""

from __future__ import annotations

import json
import logging

from buurtwhatsapp.common.logs import CloudLoggingFormatter


def record(**extra) -> logging.LogRecord:
    entry = logging.LogRecord(
        "buurtwhatsapp.x", logging.WARNING, __file__, 1, "mail %s", ("x",), None
    )
    entry.__dict__.update(extra)
    return entry


def test_a_line_is_json_with_severity_message_and_the_listed_fields():
    line = json.loads(CloudLoggingFormatter().format(record(mail_id="m1", attempt=2)))
    assert line == {
        "severity": "WARNING",
        "message": "mail x",
        "logger": "buurtwhatsapp.x",
        "mail_id": "m1",
        "attempt": 2,
    }


def test_fields_not_listed_never_reach_the_line():
    line = CloudLoggingFormatter().format(record(email="zoe@example.org", resident="Zoë"))
    assert "zoe@example.org" not in line and "Zoë" not in line
