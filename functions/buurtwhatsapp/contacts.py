"""E-mail addresses and phone numbers: parsed, normalised and shown the same way everywhere.

The form, the deployment file and the maintainer's command line all go through here, so that
what one accepts the others accept, and an address the mail transports cannot use (a non-ASCII
local part needs SMTPUTF8, which SES lacks) is refused where it is typed, not after the deploy.

Errors carry a reason code, not a sentence: residents read Dutch, maintainers English, and
each caller words the reason for its reader.

email-validator and phonenumbers are imported where they are used (about 50 ms together):
every function imports this module, but only the forms and the mails about members use them.
"""

from __future__ import annotations

from enum import StrEnum

DEFAULT_REGION = "NL"


class Reason(StrEnum):
    EMAIL_INVALID = "email-invalid"
    PHONE_INVALID = "phone-invalid"
    PHONE_NOT_MOBILE = "phone-not-mobile"


class ContactError(ValueError):
    """Why an address or number was refused (``reason``), with the library's own words for a
    maintainer (``detail``); never the value itself, which is personal data."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail


def normalise_email(text: str) -> str:
    """The address as mail will be sent to it (domain lower-cased and in Unicode form)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        # Without SMTPUTF8 (which SES lacks) a non-ASCII local part could never be delivered.
        return validate_email(
            text.strip(), check_deliverability=False, allow_smtputf8=False
        ).normalized
    except EmailNotValidError as error:
        raise ContactError(Reason.EMAIL_INVALID, str(error)) from None


def normalise_phone(text: str, *, mobile: bool = False, region: str = DEFAULT_REGION) -> str:
    """The number in E.164 (+31612345678); ``mobile``: only numbers WhatsApp can use."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ContactError(Reason.PHONE_INVALID)
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if mobile and phonenumbers.number_type(number) not in mobile_types:
        raise ContactError(Reason.PHONE_NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """+31612345678 -> 06 12345678 for Dutch numbers; international format otherwise."""
    import phonenumbers

    number = phonenumbers.parse(e164)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 31
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def wa_me_url(e164: str) -> str:
    """The WhatsApp chat link for a number."""
    return f"https://wa.me/{e164.lstrip('+')}"
