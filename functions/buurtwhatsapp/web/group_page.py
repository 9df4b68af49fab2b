"""/group?token=…: a coordinator's own page for their group, behind a signed link.

The token is made for the group and the coordinator's e-mail key and works 30 days; every alert,
reminder, removal notice and handover brings a fresh one. Each request checks that the holder
coordinates the group as stored now (coordinators/group_desk.py): replaced means refused, at
once, answered as an expired link.

GET only reads: the page, or a vCard (``&vcard=all``, ``&vcard=<member>``). Every change is a
POST from the page's own forms (same origin, like every form; see web/guard.py), answered with
a redirect to the page and a short notice (``&done=…``), so a reload never posts twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

import flask

from ..bootstrap import Runtime
from ..common.contacts import phone_display, wa_me_url
from ..common.dutch_dates import dutch_date
from ..common.signed_links import InvalidLink, Purpose, parse_group_subject
from ..coordinators.group_desk import (
    Desk,
    DeskView,
    NotTheCoordinator,
    mark_member_added,
    mark_number_removed,
    open_desk,
    read_desk,
    set_invite_link,
)
from ..forms.validation import InvalidInput
from ..mail.vcard import vcard
from ..model import Signup
from ..residents.membership import NotConfirmed, NotInGroup, SignupGone
from .http import HttpProblem, page_response, read_submission, redirect_response
from .link_pages import LinkRefused, link_page

# What the page says after a change (``&done=``); anything else shows no notice.
NOTICES = {
    "added": "Verwerkt: de deelnemer staat nu in de groep en krijgt van ons een e-mail.",
    "already": "Deze deelnemer stond al als toegevoegd. Er is niets veranderd.",
    "gone": "Deze deelnemer wacht niet meer: hij of zij heeft zich inmiddels afgemeld.",
    "removed": "Verwerkt: het nummer staat niet meer op uw lijst.",
    "removed-already": "Dit nummer stond al niet meer op uw lijst. Er is niets veranderd.",
    "link-set": "De uitnodigingslink is opgeslagen.",
    "link-cleared": "De uitnodigingslink is verwijderd. U voegt nieuwe deelnemers weer zelf toe.",
}
UNKNOWN_ACTION = "Dit verzoek kennen we niet. Open de pagina opnieuw via de link in uw e-mail."


def _desk(subject: str, runtime: Runtime) -> Desk:
    try:
        group_id, email_key = parse_group_subject(subject)
    except InvalidLink as error:
        raise LinkRefused("invalid") from error
    try:
        return open_desk(
            group_id,
            email_key,
            deployment=runtime.deployment,
            store=runtime.store,
            keys=runtime.keys,
        )
    except NotTheCoordinator as error:
        # No longer (or never) this group's coordinator: the link has had its time.
        raise LinkRefused("expired") from error


def _show(subject: str, runtime: Runtime) -> flask.Response:
    desk = _desk(subject, runtime)
    view = read_desk(desk, store=runtime.store)
    request = flask.request
    wanted = request.args.get("vcard")
    if wanted is not None:
        chosen = [m for m in view.waiting if wanted in ("all", m.id)]
        return _vcards(chosen, view.group.name, runtime)
    return _page(runtime, view, notice=NOTICES.get(request.args.get("done", "")))


def _page(
    runtime: Runtime,
    view: DeskView,
    *,
    notice: str | None = None,
    status: int = 200,
    link_error: str | None = None,
    link_value: str = "",
) -> flask.Response:
    return page_response(
        runtime.templates,
        "pages/group.html",
        status,
        view=view,
        notice=notice,
        link_error=link_error,
        link_value=link_value,
        token=flask.request.args.get("token", ""),
        phone_display=phone_display,
        wa_me_url=wa_me_url,
        dutch_date=dutch_date,
    )


def _vcards(chosen: Sequence[Signup], group_name: str, runtime: Runtime) -> flask.Response:
    """The waiting member(s) as one .vcf file: a phone imports them all at once."""
    if not chosen:
        raise LinkRefused("used")  # no longer waiting: left, or added meanwhile
    note = runtime.deployment.initiative.name
    body = b"".join(vcard(member.name, member.phone, note=note) for member in chosen)
    label = chosen[0].name if len(chosen) == 1 else f"Wachtend {group_name}"
    safe = "".join(c for c in label if c.isalnum() or c in " -'").strip() or "contact"
    return flask.Response(
        body,
        mimetype="text/vcard",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(safe)}.vcf"},
    )


def _act(subject: str, runtime: Runtime) -> flask.Response:
    desk = _desk(subject, runtime)
    form: Mapping[str, object] = read_submission(flask.request, runtime.settings.max_body_bytes)
    action = form.get("action")
    deployment, store, clock = runtime.deployment, runtime.store, runtime.clock
    if action == "added":
        member = _text(form, "member")
        try:
            result = mark_member_added(
                desk, member, deployment=deployment, store=store, clock=clock
            )
        except (SignupGone, NotInGroup, NotConfirmed):
            return _done("gone")
        return _done("already" if result.already else "added")
    if action == "removed":
        removed = mark_number_removed(desk, _text(form, "removal"), store=runtime.store)
        return _done("removed" if removed else "removed-already")
    if action in ("link", "clear"):
        raw = form.get("link", "") if action == "link" else None
        try:
            set_invite_link(desk.group.id, raw, deployment=deployment, store=store, clock=clock)
        except InvalidInput as invalid:
            view = read_desk(desk, store=runtime.store)
            value = raw if isinstance(raw, str) else ""
            return _page(
                runtime, view, status=422, link_error=invalid.errors["link"], link_value=value
            )
        return _done("link-set" if action == "link" else "link-cleared")
    raise HttpProblem(400, UNKNOWN_ACTION)


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value or len(value) > 100:
        raise HttpProblem(400, UNKNOWN_ACTION)
    return value


def _done(what: str) -> flask.Response:
    query = urlencode({"token": flask.request.args.get("token", ""), "done": what})
    return redirect_response(f"?{query}")


show = link_page(Purpose.GROUP, _show)
act = link_page(Purpose.GROUP, _act)
