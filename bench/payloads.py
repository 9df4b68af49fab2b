"""What the bench sends: residents that pass validation, each one new, and Eventarc's events.

Every sign-up must be a new resident (its own e-mail address and phone number): a repeat is
answered alike but does other work, and the forms mail an address at most once a day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import urlencode

from devstack.examples import CHECKBOXES, VALID_SIGNUP

# Series of residents, kept apart by the first digit after 06 (a series may share a project with
# another): the mail pool, the sign-up behind the links, the cold starts, the warm requests.
POOL, LINKED, COLD, WARM = range(4)


def resident(number: int, series: int, *, json_body: bool = False) -> dict[str, Any]:
    """The example sign-up (devstack/examples.py) as resident ``number`` of ``series``: a name,
    number and house number of its own, and a mail domain of its own, as a village's residents
    spread over providers (the bench measures ordinary traffic, not the hourly share a flood at
    one domain meets: forms/mail_quota.py).

    As a browser posts it (checkboxes ``on``), or as JSON (``true``) for a 201 answer.
    """
    if not 0 <= number < 10**7:
        raise ValueError("at most ten million residents a series")
    ticked: object = True if json_body else "on"
    return {
        **VALID_SIGNUP,
        "name": f"Bewoner {series}-{number}",
        "email": f"bench{series}-{number}@mail{number}.example.org",
        "phone": f"06-{series + 1}{number:07d}",
        "house_number": str(number % 999 + 1),
        **dict.fromkeys(CHECKBOXES, ticked),
    }


def mail_created_event(project: str, mail_id: str, fields: dict[str, Any]) -> tuple[dict, bytes]:
    """Eventarc's CloudEvent for a created ``mail`` document (devstack/firestore_events.py)."""
    from devstack.firestore_events import created_event

    return created_event(project, "mail", mail_id, fields)


@dataclass(frozen=True)
class Request:
    method: str
    path: str = "/"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200


JSON = {"Content-Type": "application/json"}


class Requests:
    """For each function, a meaningful request, each sign-up a new resident and each event a
    mail of the pool not sent yet; and the same request for the floor, which ignores it."""

    def __init__(self, links: dict[str, str], pool: list[tuple[str, dict[str, Any]]], project: str):
        self._links = links
        self._pool = iter(pool)
        self._project = project
        self._residents = count()
        self.events = 0  # CloudEvents sent to deliver_mail: each must become a mail written

    def knows(self, entry_point: str) -> bool:
        return entry_point in (
            "signup",
            "coordinator",
            "deliver_mail",
            "sweep_mail",
            "housekeeping",
            *self._links,
        )

    def for_function(self, entry_point: str, series: int) -> Request:
        if entry_point == "signup":
            body = json.dumps(resident(next(self._residents), series, json_body=True)).encode()
            return Request("POST", body=body, headers=JSON, expect=201)
        if entry_point == "coordinator":
            return Request("GET")  # the application form
        if entry_point in self._links:  # confirm, added, leave, overview, join, group: a page
            return Request("GET", f"/?{urlencode({'token': self._links[entry_point]})}")
        if entry_point == "deliver_mail":
            try:
                mail_id, fields = next(self._pool)
            except StopIteration:
                raise RuntimeError("the pool of queued mail is used up") from None
            headers, body = mail_created_event(self._project, mail_id, fields)
            self.events += 1
            return Request("POST", body=body, headers=headers)
        if entry_point in ("sweep_mail", "housekeeping"):
            return Request("POST")  # as Cloud Scheduler calls them
        raise KeyError(f"no meaningful request known for {entry_point}")

    def for_floor(self, entry_point: str) -> Request:
        if entry_point == "deliver_mail":
            headers, body = mail_created_event(self._project, "floor", {"template": "floor"})
            return Request("POST", body=body, headers=headers)
        if entry_point == "signup":
            body = json.dumps(resident(0, 0, json_body=True)).encode()
            return Request("POST", body=body, headers=JSON)
        return Request("POST" if entry_point in ("sweep_mail", "housekeeping") else "GET")
