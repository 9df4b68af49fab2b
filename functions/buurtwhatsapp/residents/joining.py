"""The resident's way into the WhatsApp group: behind their /join link, the group's invite link
as it is now, for as long as they are confirmed or in the group."""

from __future__ import annotations

from dataclasses import dataclass

from ..deployment.people import People
from ..deployment.structure import Deployment
from ..model import SignupStatus
from ..store import Store
from .membership import NotConfirmed, existing_signup, group_of


@dataclass(frozen=True, slots=True)
class WayIn:
    group_name: str | None  # None: no group could take them (yet); the regiegroep decides
    invite_link: str | None  # None: the group is in add mode, the coordinator adds them
    coordinator_name: str | None
    added: bool  # already in the group (active)


def way_in(signup_id: str, *, deployment: Deployment, store: Store, people: People) -> WayIn:
    """SignupGone once they left (or expired), NotConfirmed before they confirmed.

    The invite link is read fresh (one read), so a link the coordinator replaced after a leak
    sends every resident to the new one, and a cleared link to nobody.
    """
    signup = existing_signup(store, signup_id)
    if signup.status is SignupStatus.PENDING:
        raise NotConfirmed(signup_id)
    group = group_of(signup, deployment)
    coordinator = people.coordinator_of(group.id) if group else None
    return WayIn(
        group_name=group.name if group else None,
        invite_link=store.group_invite(group.id) if group else None,
        coordinator_name=coordinator.name if coordinator else None,
        added=signup.status is SignupStatus.ACTIVE,
    )
