"""Structured log lines for Cloud Logging: one JSON object per line on standard output.

Only ids and counts travel in log lines, never a name, address, phone number or e-mail
address; the fields a line may carry are listed here, so that an ``extra`` with personal data
cannot slip into the logs unnoticed.
"""

from __future__ import annotations

import json
import logging
import os
import sys

# Lines the deploy's log-based metrics count (infra/steps.py, alerts): their text is their
# contract with the maintainer's e-mail alerts, so it is said once, here.
MAIL_FAILED_FOR_GOOD = "mail failed for good"  # a mail will not be tried again
SCHEDULED_RUN_DONE = "scheduled run done"  # a scheduled job finished (``job``: which)

LOGGED_FIELDS = (
    "signup_id",
    "mail_id",
    "application_id",
    "attempt",
    "reason",
    "group",
    "path",
    "method",
    "sent",
    "retry",
    "failed",
    "skipped",
    "confirm_reminders",
    "coordinator_reminders",
    "expired",
    "orphan_seats",
    "job",
)


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        for field in LOGGED_FIELDS:
            if field in record.__dict__:
                entry[field] = record.__dict__[field]
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging() -> None:
    """In Google Cloud (K_SERVICE is set there), log JSON lines at INFO; elsewhere leave the
    configuration to the program (the dev server, pytest)."""
    if not os.environ.get("K_SERVICE"):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
