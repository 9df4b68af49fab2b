"""Raw form or JSON input -> a normalised request, with every field's problem at once.

Messages are Dutch: residents read them next to the fields they typed.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit

from ..common import contacts
from ..common.form_values import is_checked
from ..common.web_origins import origin_of
from ..deployment.addresses import normalise_postcode, parse_house_number
from ..deployment.structure import Area, Deployment
from ..model import Address, CoordinatorApplication, SignupRequest
from . import FormsError

MAX_LENGTHS = {
    "name": contacts.MAX_NAME_LENGTH,
    "email": 254,
    "phone": 30,
    "street": 100,
    "house_number": 10,
    "postcode": 10,
    "remarks": 1000,
    "motivation": 2000,
}

REQUIRED_MESSAGES = {
    "name": "Vul uw naam in.",
    "email": "Vul uw e-mailadres in.",
    "phone": "Vul uw mobiele nummer in.",
    "street": "Vul uw straat in.",
    "house_number": "Vul uw huisnummer in.",
    "postcode": "Vul uw postcode in.",
    "motivation": "Vertel in een paar zinnen waarom u coördinator wilt worden.",
}

SIGNUP_CONDITIONS = {
    "adult": "Deelnemen kan vanaf 18 jaar. Vink aan dat u 18 jaar of ouder bent.",
    "whatsapp": "Vink aan dat u WhatsApp heeft op een smartphone of tablet.",
    "rules": "Vink aan dat u akkoord gaat met de groepsregels.",
    "privacy": "Vink aan dat u akkoord gaat met de privacyverklaring.",
}


APPLICATION_CONDITIONS = {
    "privacy": (
        "Vink aan dat de regiegroep uw gegevens mag gebruiken om contact met u op te nemen "
        "over uw aanmelding."
    ),
}

PHONE_MESSAGES = {
    contacts.Reason.PHONE_INVALID: (
        "Dit telefoonnummer klopt niet. Vul uw mobiele nummer in, bijvoorbeeld 06-12345678."
    ),
    contacts.Reason.PHONE_NOT_MOBILE: (
        "Vul een mobiel nummer in: WhatsApp werkt alleen met een mobiel nummer, "
        "niet met een vast nummer."
    ),
}


FORBIDDEN_MESSAGE = "Dit veld bevat tekens die hier niet kunnen staan."


class InvalidInput(FormsError, ValueError):
    """Input with problems; ``errors`` maps each field name to its Dutch message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(f"invalid fields: {', '.join(sorted(errors))}")
        self.errors = errors


def honeypot_filled(raw: Mapping[str, object]) -> bool:
    """The hidden ``website`` field is empty for people; bots fill it in."""
    value = raw.get("website")
    return value is not None and value != "" and value is not False


class _Fields:
    """Collects the text fields and their problems; one instance per submission."""

    def __init__(self, raw: Mapping[str, object]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    def text(self, field: str, *, required: bool = True, multiline: bool = False) -> str:
        value = self.raw.get(field)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.errors[field] = "Vul hier tekst in."
            return ""
        if multiline:
            # Browsers send a textarea's line breaks as CR LF.
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = unicodedata.normalize("NFC", value.strip())
        if not value:
            if required:
                self.errors[field] = REQUIRED_MESSAGES.get(field, "Vul dit veld in.")
            return ""
        if len(value) > MAX_LENGTHS[field]:
            self.errors[field] = f"Gebruik hier hoogstens {MAX_LENGTHS[field]} tekens."
            return ""
        # Control and format characters (line and paragraph separators, bidi overrides) would
        # break a mail header or disguise a name in a coordinator's mail.
        if contacts.has_forbidden_characters(value, allowed="\n\t" if multiline else ""):
            self.errors[field] = FORBIDDEN_MESSAGE
            return ""
        return value

    def name(self) -> str:
        """The name, by the one rule for names everywhere (contacts.normalise_name)."""
        value = self.text("name")
        if not value:
            return ""
        try:
            return contacts.normalise_name(value)
        except contacts.ContactError:
            self.errors["name"] = FORBIDDEN_MESSAGE
            return ""

    def email(self) -> str:
        value = self.text("email")
        if not value:
            return ""
        try:
            return contacts.normalise_email(value)
        except contacts.ContactError:
            self.errors["email"] = (
                "Dit e-mailadres klopt niet. Controleer het, bijvoorbeeld naam@voorbeeld.nl."
            )
            return ""

    def mobile_phone(self) -> str:
        value = self.text("phone")
        if not value:
            return ""
        try:
            return contacts.normalise_phone(value, mobile=True)
        except contacts.ContactError as error:
            self.errors["phone"] = PHONE_MESSAGES[error.reason]
            return ""

    def postcode(self) -> str:
        value = self.text("postcode")
        if not value:
            return ""
        normalised = normalise_postcode(value)
        if normalised is None:
            self.errors["postcode"] = "Vul een Nederlandse postcode in, bijvoorbeeld 2158 AB."
            return ""
        return normalised

    def house_number(self) -> tuple[str, int | None]:
        value = self.text("house_number")
        if not value:
            return "", None
        parsed = parse_house_number(value)
        if parsed is None:
            self.errors["house_number"] = "Vul een huisnummer in, bijvoorbeeld 12 of 12a."
            return "", None
        return value, parsed[0]

    def address(self, deployment: Deployment) -> tuple[Address | None, str | None]:
        """The address and the id of the area it lies in; problems go to the fields."""
        street = self.text("street")
        house_number, number = self.house_number()
        postcode = self.postcode()
        if not (street and number is not None and postcode):
            return None, None
        area = deployment.area_for(postcode, street, number)
        if area is None:
            self.errors["postcode"] = (
                f"Dit adres valt buiten het gebied van de Buurt WhatsApp "
                f"{deployment.initiative.place}. Controleer uw postcode, straat en huisnummer."
            )
            return None, None
        return Address(street=street, house_number=house_number, postcode=postcode), area.id

    def conditions(self, messages: Mapping[str, str]) -> None:
        """Each checkbox in ``messages`` must be ticked; its message says why otherwise."""
        for field, message in messages.items():
            if not is_checked(self.raw.get(field)):
                self.errors[field] = message


def validate_signup(raw: Mapping[str, object], deployment: Deployment) -> SignupRequest:
    """Check a sign-up; raise InvalidInput with every field's problem, or return it normalised."""
    fields = _Fields(raw)
    name = fields.name()
    email = fields.email()
    phone = fields.mobile_phone()
    address, area_id = fields.address(deployment)
    remarks = fields.text("remarks", required=False, multiline=True)
    fields.conditions(SIGNUP_CONDITIONS)
    if fields.errors or address is None or area_id is None:
        raise InvalidInput(fields.errors)
    return SignupRequest(
        name=name, email=email, phone=phone, address=address, area_id=area_id, remarks=remarks
    )


def validate_application(
    raw: Mapping[str, object], deployment: Deployment
) -> CoordinatorApplication:
    """Check a coordinator application, in the same way and with the same messages."""
    fields = _Fields(raw)
    name = fields.name()
    email = fields.email()
    phone = fields.mobile_phone()
    address, area_id = fields.address(deployment)
    motivation = fields.text("motivation", multiline=True)
    fields.conditions(APPLICATION_CONDITIONS)
    if fields.errors or address is None or area_id is None:
        raise InvalidInput(fields.errors)
    return CoordinatorApplication(
        name=name,
        email=email,
        phone=phone,
        address=address,
        area_id=area_id,
        motivation=motivation,
    )


# A WhatsApp group invite link as WhatsApp's "Link kopiëren" gives it: the code is 20 to 24
# letters and digits (22 in every link seen). Newer apps append "?mode=…" to a copied link,
# which says how it was shared and is dropped. Anything else (another host, a path, a
# wa.me chat link, user info, a port) is refused: residents are sent exactly where it points.
INVITE_HOST = "chat.whatsapp.com"
_INVITE_CODE = re.compile(r"[A-Za-z0-9]{20,24}")
_INVITE_MODE = re.compile(r"[a-z0-9_]{1,32}")
MAX_INVITE_LINK_LENGTH = 200
INVITE_LINK_MESSAGE = (
    "Dit is geen uitnodigingslink van een WhatsApp-groep. Kopieer de link in WhatsApp via "
    "Groepsinfo, Uitnodigen via link, Link kopiëren. Hij begint met https://chat.whatsapp.com/."
)


def validate_invite_link(raw: object) -> str:
    """The group invite link, as ``https://chat.whatsapp.com/<code>``; InvalidInput naming the
    field ``link`` otherwise."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput({"link": "Plak hier de uitnodigingslink van uw WhatsApp-groep."})
    value = raw.strip()
    if len(value) > MAX_INVITE_LINK_LENGTH or not value.isascii() or not value.isprintable():
        raise InvalidInput({"link": INVITE_LINK_MESSAGE})
    if "://" not in value:
        value = f"https://{value}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise InvalidInput({"link": INVITE_LINK_MESSAGE}) from None
    path = parts.path
    code = path.removeprefix("/invite/") if path.startswith("/invite/") else path[1:]
    modes = parse_qsl(parts.query, keep_blank_values=True) if parts.query else []
    if (
        parts.scheme.lower() != "https"
        or (parts.hostname or "").lower() != INVITE_HOST
        or parts.netloc.lower() != INVITE_HOST
        or port is not None
        or not path.startswith("/")
        or not _INVITE_CODE.fullmatch(code)
        or parts.fragment
        or any(key != "mode" or not _INVITE_MODE.fullmatch(mode) for key, mode in modes)
        or (parts.query and not modes)
    ):
        raise InvalidInput({"link": INVITE_LINK_MESSAGE})
    return f"https://{INVITE_HOST}/{code}"


# --- What a link to a form may carry ----------------------------------------------------------

UNKNOWN_AREA = (
    "De link naar dit formulier noemt een buurt die wij niet kennen. Vul gewoon uw adres in: "
    "daaraan zien wij bij welke groep u hoort."
)
UNUSABLE_STREET = (
    "De straat in de link naar dit formulier kunnen wij niet overnemen; vul hem zelf in."
)


@dataclasses.dataclass(frozen=True, slots=True)
class Prefill:
    """What a link to the sign-up form (a poster's QR code, a site's button) fills in:
    ``/signup?area=ID&street=NAME``, checked like the form's own fields."""

    area: Area | None = None  # the area the link names, if the deployment has it
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)  # field -> shown
    notices: tuple[str, ...] = ()  # what was left out, and why (Dutch)


def prefill_from_link(query: Mapping[str, str], deployment: Deployment) -> Prefill:
    notices = []
    area = None
    area_id = query.get("area")
    if area_id is not None:
        area = deployment.area(area_id)
        if area is None:
            notices.append(UNKNOWN_AREA)
    values = {}
    if query.get("street") is not None:
        fields = _Fields({"street": query["street"]})
        street = fields.text("street", required=False)
        if fields.errors:
            notices.append(UNUSABLE_STREET)
        elif street:
            values["street"] = street
    return Prefill(area, values, tuple(notices))


class RedirectRefused(FormsError):
    """A ``redirect`` to a site that is not allowed (an open redirect); nothing was stored."""


MAX_REDIRECT_LENGTH = 2000


@dataclasses.dataclass(frozen=True, slots=True)
class GoBack:
    url: str  # as given
    origin: str  # the allowed origin it lies on, as the settings spell it


def check_redirect(value: object, allowed_origins: Iterable[str]) -> GoBack | None:
    """Where the browser goes after a valid sign-up posted from an allowed site's own form: an
    http(s) address on one of ``allowed_origins`` (a default port written out is the same
    origin); None when none was asked for. RedirectRefused for anything else."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_REDIRECT_LENGTH or not value.isascii():
        raise RedirectRefused("not an address")
    if any(c.isspace() or not c.isprintable() for c in value):
        raise RedirectRefused("not an address")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise RedirectRefused("not an address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise RedirectRefused("not an http(s) address")
    if parts.netloc.endswith(":") or port == 0:
        raise RedirectRefused("not a port")
    origin = origin_of(parts.scheme, parts.hostname, port)
    for allowed in allowed_origins:  # written alike by the settings (web_origins.py)
        if allowed.lower() == origin:
            return GoBack(value, allowed)
    raise RedirectRefused(f"origin {origin} is not allowed")
