"""What a mail shows of a person, in one place: each card is the least its reader needs.

Built from the stored sign-up or application (or a coordinator), never from what was typed
last; the templates read these keys, and ``MailTemplate.vcards`` names the card whose contact
goes along as a vCard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..common.contacts import phone_display, wa_me_url
from ..deployment.structure import Person
from ..model import Address, Signup


def member_card(signup: Signup) -> dict[str, object]:
    """What whoever adds the resident to a group needs."""
    return {
        "name": signup.name,
        "street": signup.address.street,
        "house_number": signup.address.house_number,
        "postcode_display": signup.address.postcode_display,
        "phone": signup.phone,
        "phone_display": phone_display(signup.phone),
        "email": signup.email,
        "remarks": signup.remarks,
    }


def removal_card(signup: Signup) -> dict[str, object]:
    """What a coordinator needs to take the resident out of a group, and no more."""
    return {"name": signup.name, "phone_display": phone_display(signup.phone)}


def handover_card(signup: Signup) -> dict[str, object]:
    """A member of a group, for the coordinator who takes it over."""
    return {
        "name": signup.name,
        "street": signup.address.street,
        "house_number": signup.address.house_number,
        "postcode_display": signup.address.postcode_display,
        "phone": signup.phone,
        "phone_display": phone_display(signup.phone),
        "wa_me_url": wa_me_url(signup.phone),
    }


def contact_card(person: Person) -> dict[str, object]:
    """A coordinator to save as a contact (the one before hands over to them)."""
    return {
        "name": person.name,
        "phone": person.phone,
        "phone_display": phone_display(person.phone),
    }


def applicant_card(application: Mapping[str, Any]) -> dict[str, object]:
    """What the regiegroep needs to call an applicant back, from the stored application."""
    address = Address(
        str(application["street"]), str(application["house_number"]), str(application["postcode"])
    )
    return {
        "name": application["name"],
        "email": application["email"],
        "phone_display": phone_display(str(application["phone"])),
        "street": address.street,
        "house_number": address.house_number,
        "postcode_display": address.postcode_display,
        "motivation": application["motivation"],
    }
