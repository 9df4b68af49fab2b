"""The pages behind signed links: a GET shows one button, only the POST changes anything
(mail scanners open links, and must not confirm or erase on a resident's behalf)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

import flask

from ..bootstrap import Runtime
from ..common.clock import Clock
from ..common.errors import BuurtWhatsAppError
from ..common.signed_links import InvalidLink, Purpose
from ..deployment.people import People
from ..deployment.structure import Deployment
from ..model import Signup
from ..residents import membership
from ..residents.group_rules import RulesAnswer, accept_rules, rules_to_accept
from ..residents.joining import way_in
from ..residents.membership import SignupGone
from ..residents.yearly_check import still_taking_part
from ..store import Store
from .http import page_response

# A damaged or forged link is a bad request; an expired or used one is gone for good; a
# coordinator's link before the resident confirmed is a conflict with the sign-up's state.
LINK_PROBLEM_STATUS = {"invalid": 400, "expired": 410, "used": 410, "unconfirmed": 409}


class LinkRefused(BuurtWhatsAppError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Page = Callable[[str, Runtime], flask.Response]


def link_page(purpose: Purpose, page: Page) -> Callable[[flask.Request, Runtime], flask.Response]:
    """Verify the link's token for ``purpose``; show the page, or say kindly why not."""

    def handle(request: flask.Request, runtime: Runtime) -> flask.Response:
        try:
            try:
                signup_id = runtime.links.verify(purpose, request.args.get("token", ""))
            except InvalidLink as error:
                raise LinkRefused("expired" if error.expired else "invalid") from error
            try:
                return page(signup_id, runtime)
            except SignupGone as error:
                raise LinkRefused("used") from error
            except membership.NotConfirmed as error:
                raise LinkRefused("unconfirmed") from error
        except LinkRefused as refused:
            return page_response(
                runtime.templates,
                "pages/link_problem.html",
                LINK_PROBLEM_STATUS[refused.reason],
                reason=refused.reason,
                purpose=purpose.value,
            )

    return handle


def _signup(signup_id: str, runtime: Runtime) -> Signup:
    return membership.existing_signup(runtime.store, signup_id)


class _Collaborators(TypedDict):
    deployment: Deployment
    store: Store
    clock: Clock


class _WithPeople(_Collaborators):
    people: People


def _collaborators(runtime: Runtime) -> _Collaborators:
    return {"deployment": runtime.deployment, "store": runtime.store, "clock": runtime.clock}


def _with_people(runtime: Runtime) -> _WithPeople:
    """For the steps that mail a coordinator: who coordinates now (deployment/people.py)."""
    return {**_collaborators(runtime), "people": runtime.people}


# The confirm and leave pages quote nothing typed into the form: whoever opens them from the
# mail may not be who typed it, and a name can hold a link.
def _show_confirm(signup_id: str, runtime: Runtime) -> flask.Response:
    _signup(signup_id, runtime)
    return page_response(runtime.templates, "pages/confirm.html")


def _confirm(signup_id: str, runtime: Runtime) -> flask.Response:
    result = membership.confirm(signup_id, **_with_people(runtime))
    return page_response(
        runtime.templates,
        "pages/confirmed.html",
        name=result.name,
        group_name=result.group_name,
        already=result.already,
        # Invite mode: the resident's own way in (the page reads the group's link when opened).
        join_url=runtime.links.url(Purpose.JOIN, signup_id) if result.invite else None,
    )


def _show_added(signup_id: str, runtime: Runtime) -> flask.Response:
    signup = _signup(signup_id, runtime)
    group = membership.group_of(signup, runtime.deployment)
    return page_response(
        runtime.templates,
        "pages/added.html",
        member_name=signup.name,
        group_name=group.name if group else None,
    )


def _added(signup_id: str, runtime: Runtime) -> flask.Response:
    result = membership.mark_added(signup_id, **_collaborators(runtime))
    return page_response(
        runtime.templates, "pages/added_done.html", member_name=result.name, already=result.already
    )


def _show_leave(signup_id: str, runtime: Runtime) -> flask.Response:
    _signup(signup_id, runtime)
    return page_response(runtime.templates, "pages/leave.html")


def _leave(signup_id: str, runtime: Runtime) -> flask.Response:
    if not membership.leave(signup_id, **_with_people(runtime)):
        raise SignupGone(signup_id)
    return page_response(runtime.templates, "pages/left.html", already=False)


def _show_join(signup_id: str, runtime: Runtime) -> flask.Response:
    """GET only: a button to the group's invite link as it is now. Served to the confirmed or
    added resident alone (the token is theirs); nobody else ever sees the link here."""
    found = way_in(
        signup_id, deployment=runtime.deployment, store=runtime.store, people=runtime.people
    )
    return page_response(runtime.templates, "pages/join.html", way=found)


def _show_still(signup_id: str, runtime: Runtime) -> flask.Response:
    signup = _signup(signup_id, runtime)
    # Only while the question is open does the "yes" record anything, the rules included.
    open_question = bool(signup.check_stage)
    version = rules_to_accept(signup, runtime.deployment) if open_question else None
    return page_response(runtime.templates, "pages/still.html", rules_version=version)


def _still(signup_id: str, runtime: Runtime) -> flask.Response:
    shown = _posted_version(flask.request, "rules_version")
    answered = still_taking_part(signup_id, **_collaborators(runtime), rules_shown=shown)
    return page_response(runtime.templates, "pages/still_done.html", answered=answered)


def _show_rules(signup_id: str, runtime: Runtime) -> flask.Response:
    version = rules_to_accept(_signup(signup_id, runtime), runtime.deployment)
    return page_response(runtime.templates, "pages/rules.html", version=version, changed=False)


def _rules(signup_id: str, runtime: Runtime) -> flask.Response:
    shown = _posted_version(flask.request, "version") or ""
    answer = accept_rules(signup_id, shown, **_collaborators(runtime))
    if answer is RulesAnswer.CHANGED:
        version = rules_to_accept(_signup(signup_id, runtime), runtime.deployment)
        return page_response(
            runtime.templates, "pages/rules.html", 409, version=version, changed=True
        )
    answered = answer is RulesAnswer.ACCEPTED
    return page_response(runtime.templates, "pages/rules_done.html", answered=answered)


def _posted_version(request: flask.Request, name: str) -> str | None:
    """A rules version the page posted back (a hidden field); anything longer than a version
    can be is no version."""
    value = request.form.get(name)
    return value if value is not None and len(value) <= 100 else None


show_confirm = link_page(Purpose.CONFIRM, _show_confirm)
confirm = link_page(Purpose.CONFIRM, _confirm)
show_added = link_page(Purpose.ADDED, _show_added)
added = link_page(Purpose.ADDED, _added)
show_leave = link_page(Purpose.LEAVE, _show_leave)
show_join = link_page(Purpose.JOIN, _show_join)
show_still = link_page(Purpose.STILL, _show_still)
still = link_page(Purpose.STILL, _still)
show_rules = link_page(Purpose.RULES, _show_rules)
rules = link_page(Purpose.RULES, _rules)
leave = link_page(Purpose.LEAVE, _leave)
