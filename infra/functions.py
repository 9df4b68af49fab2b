"""The manifest of every function in functions/main.py: how it is triggered and who may call it.

The deploy script deploys exactly these; the local dev server mounts exactly these; a test checks
that main.py defines no function missing from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Trigger(StrEnum):
    HTTP = "http"  # a URL; residents and coordinators open it
    SCHEDULE = "schedule"  # a URL called by Cloud Scheduler only, with an OIDC token
    MAIL_CREATED = "mail-created"  # Eventarc: a document created in the mail collection


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    entry_point: str
    trigger: Trigger
    schedule: str | None = None  # cron, for Trigger.SCHEDULE
    # vCPUs (Cloud Run's --cpu) where someone waits for the answer; None: the 256 MiB tier's
    # default of a sixth of a vCPU. See README, Deploy, "Sizing".
    cpu: str | None = None

    @property
    def name(self) -> str:
        """The function's name in Google Cloud (and so its URL path): the entry point, dashed."""
        return self.entry_point.replace("_", "-")

    @property
    def path(self) -> str:
        """The path it answers on locally: its name, as the path of its own URL in Google
        Cloud (``https://REGION-PROJECT.cloudfunctions.net/NAME``)."""
        return f"/{self.name}"

    @property
    def public(self) -> bool:
        return self.trigger is Trigger.HTTP

    @property
    def signature_type(self) -> str:
        return "cloudevent" if self.trigger is Trigger.MAIL_CREATED else "http"


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec("signup", Trigger.HTTP, cpu="1"),
    FunctionSpec("coordinator", Trigger.HTTP, cpu="1"),
    FunctionSpec("confirm", Trigger.HTTP, cpu="1"),
    FunctionSpec("added", Trigger.HTTP, cpu="1"),
    FunctionSpec("leave", Trigger.HTTP, cpu="1"),
    FunctionSpec("overview", Trigger.HTTP, cpu="1"),
    FunctionSpec("join", Trigger.HTTP, cpu="1"),
    FunctionSpec("group", Trigger.HTTP, cpu="1"),
    FunctionSpec("still", Trigger.HTTP, cpu="1"),
    FunctionSpec("rules", Trigger.HTTP, cpu="1"),
    FunctionSpec("deliver_mail", Trigger.MAIL_CREATED, cpu="1"),
    FunctionSpec("sweep_mail", Trigger.SCHEDULE, schedule="*/5 * * * *"),
    FunctionSpec("housekeeping", Trigger.SCHEDULE, schedule="17 * * * *"),
)
