"""A coordinator's own page for their group: who waits to be added or approved, whose number
must come out, how full the group is, and the group's way in (its WhatsApp invite link).

Who may act is decided on every request from the people as stored now (one read, not the
instance's cache), so a coordinator who is replaced loses the page at once. Every change is one
of the journey's own steps (membership.mark_added, fenced by the sign-up's revision) or a
single-document write whose repetition changes nothing, so a double click or two devices never
do a step twice.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..common.clock import Clock
from ..common.personal_keys import PersonalKeys
from ..deployment.structure import Deployment, Group, Person
from ..forms.validation import validate_invite_link
from ..model import Signup, SignupStatus
from ..residents import membership
from ..store import Removal, Store
from . import CoordinatorsError

log = logging.getLogger(__name__)


class NotTheCoordinator(CoordinatorsError):
    """The link's holder does not coordinate the group (any more), or the group is gone."""


@dataclass(frozen=True, slots=True)
class Desk:
    """The group a page acts for, and who acts: checked against the people stored now."""

    group: Group
    coordinator: Person


@dataclass(frozen=True, slots=True)
class DeskView:
    group: Group
    coordinator: Person
    invite_link: str | None  # None: add mode, the coordinator adds each member by hand
    waiting: tuple[Signup, ...]  # confirmed, not yet added; the longest waiting first
    removals: tuple[Removal, ...]  # members who left, whose number is still in the group
    taken: int  # places taken in the group

    @property
    def mode(self) -> str:
        return "invite" if self.invite_link else "add"


def open_desk(
    group_id: str, email_key: str, *, deployment: Deployment, store: Store, keys: PersonalKeys
) -> Desk:
    """The group and its coordinator, when ``email_key`` is that coordinator's key now."""
    group = deployment.group(group_id)
    people = store.current_people(deployment)
    coordinator = people.coordinator_of(group_id) if group else None
    if group is None or coordinator is None or keys.email(coordinator.email) != email_key:
        raise NotTheCoordinator(group_id)
    return Desk(group=group, coordinator=coordinator)


def read_desk(desk: Desk, *, store: Store) -> DeskView:
    """Everything the page shows, read at once: four independent reads in parallel, so the
    page waits for the slowest, not for their sum."""
    group_id = desk.group.id
    with ThreadPoolExecutor(max_workers=4) as pool:
        waiting = pool.submit(store.signups, status=SignupStatus.CONFIRMED.value, group=group_id)
        removals = pool.submit(store.removals, group_id)
        taken = pool.submit(store.count_seats, group_id)
        invite = pool.submit(store.group_invite, group_id)
    return DeskView(
        group=desk.group,
        coordinator=desk.coordinator,
        invite_link=invite.result(),
        waiting=tuple(sorted(waiting.result(), key=_waiting_since)),
        removals=tuple(removals.result()),
        taken=taken.result(),
    )


def _waiting_since(signup: Signup) -> tuple[object, str]:
    return (signup.confirmed_at or signup.created_at, signup.id)


def mark_member_added(
    desk: Desk, signup_id: str, *, deployment: Deployment, store: Store, clock: Clock
) -> membership.StepResult:
    """The coordinator added (or approved) the member: the journey's own step, for a member of
    this group only (membership.NotInGroup otherwise; SignupGone once they left)."""
    return membership.mark_added(
        signup_id, deployment=deployment, store=store, clock=clock, in_group=desk.group.id
    )


def mark_number_removed(desk: Desk, removal_id: str, *, store: Store) -> bool:
    """The coordinator took a former member's number out of the group: the task goes, and with
    it the last of that member's data. False when it was gone already."""
    removed = store.clear_removal(desk.group.id, removal_id)
    if removed:
        log.info("number removed from group", extra={"group": desk.group.id})
    return removed


def set_invite_link(
    group_id: str, raw_link: object | None, *, deployment: Deployment, store: Store, clock: Clock
) -> str | None:
    """Set, replace or (``raw_link`` None) clear the group's invite link; the link as stored.

    forms.validation.InvalidInput for a link that is not a WhatsApp group invite link;
    NotTheCoordinator for a group the deployment does not have. Residents already sent to the
    group follow their /join link to whatever link the group has at the moment they open it.
    The link itself is never logged: anyone holding it can ask to join.
    """
    if deployment.group(group_id) is None:
        raise NotTheCoordinator(group_id)
    link = None if raw_link is None else validate_invite_link(raw_link)
    store.set_group_invite(group_id, link, clock.now())
    log.info(
        "group invite link set" if link else "group invite link cleared",
        extra={"group": group_id},
    )
    return link
