"""Sign-up validation: every field's rule, all problems at once, Dutch messages."""

from __future__ import annotations

import pytest

from buurtwhatsapp.common.form_values import is_checked
from buurtwhatsapp.forms.validation import InvalidInput, honeypot_filled, validate_signup


def errors_of(raw, deployment) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate_signup(raw, deployment)
    return caught.value.errors


@pytest.mark.parametrize(
    "spelling",
    [
        "06-12345678",
        "0612345678",
        "06 1234 5678",
        "+31 6 1234 5678",
        "0031612345678",
        "+31612345678",
    ],
)
def test_dutch_mobile_numbers_in_common_spellings_are_stored_as_e164(
    spelling, valid_signup, deployment
):
    request = validate_signup({**valid_signup, "phone": spelling}, deployment)
    assert request.phone == "+31612345678"


@pytest.mark.parametrize(
    ("spelling", "e164"),
    [("+32 470 12 34 56", "+32470123456"), ("+49 151 23456789", "+4915123456789")],
)
def test_foreign_mobile_numbers_are_accepted(spelling, e164, valid_signup, deployment):
    assert validate_signup({**valid_signup, "phone": spelling}, deployment).phone == e164


@pytest.mark.parametrize("landline", ["071-5123456", "020 123 4567", "+31 252 123456"])
def test_landlines_are_refused_with_a_reason(landline, valid_signup, deployment):
    message = errors_of({**valid_signup, "phone": landline}, deployment)["phone"]
    assert "mobiel" in message and "vast" in message


@pytest.mark.parametrize("nonsense", ["12345", "abc", "06-1234", "0000000000", "+99 123"])
def test_nonsense_numbers_are_refused(nonsense, valid_signup, deployment):
    assert "klopt niet" in errors_of({**valid_signup, "phone": nonsense}, deployment)["phone"]


@pytest.mark.parametrize("spelling", ["2158ab", "2158 AB", " 2158  ab ", "2158Ab"])
def test_postcodes_are_normalised(spelling, valid_signup, deployment):
    request = validate_signup({**valid_signup, "postcode": spelling}, deployment)
    assert request.address.postcode == "2158AB"
    assert request.address.postcode_display == "2158 AB"


@pytest.mark.parametrize("postcode", ["215 AB", "21588AB", "ABCD 12", "0158 AB", "2158 SS"])
def test_malformed_postcodes_are_refused(postcode, valid_signup, deployment):
    assert "postcode" in errors_of({**valid_signup, "postcode": postcode}, deployment)


def test_an_address_outside_the_area_is_refused(valid_signup, deployment):
    outside = {**valid_signup, "postcode": "1012 AB", "street": "Dam", "house_number": "1"}
    message = errors_of(outside, deployment)["postcode"]
    assert "buiten het gebied" in message
    assert deployment.initiative.place in message


@pytest.mark.parametrize("checkbox", ["adult", "whatsapp", "rules", "privacy"])
@pytest.mark.parametrize("unticked", [None, "", "off", "false", False, 0])
def test_each_condition_must_be_ticked(checkbox, unticked, valid_signup, deployment):
    raw = {**valid_signup, checkbox: unticked}
    if unticked is None:
        del raw[checkbox]
    assert set(errors_of(raw, deployment)) == {checkbox}


@pytest.mark.parametrize("ticked", ["on", "true", "TRUE", "1", True])
def test_a_checkbox_is_ticked_as_on_true_1_or_json_true(ticked):
    assert is_checked(ticked)


@pytest.mark.parametrize(
    "name", ["Zoë van 't Veld", "Anne-Marie d'Hondt", "José Çelik-Ünal", "Jan-Willem O’Neill"]
)
def test_names_with_accents_apostrophes_and_hyphens_are_kept_exactly(
    name, valid_signup, deployment
):
    assert validate_signup({**valid_signup, "name": name}, deployment).name == name


def test_every_problem_is_reported_at_once(deployment):
    errors = errors_of({"email": "geen-adres", "phone": "071-5123456", "postcode": "x"}, deployment)
    assert set(errors) == {
        "name",
        "email",
        "phone",
        "street",
        "house_number",
        "postcode",
        "adult",
        "whatsapp",
        "rules",
        "privacy",
    }
    assert errors["name"] == "Vul uw naam in."


def test_lengths_are_bounded(valid_signup, deployment):
    errors = errors_of({**valid_signup, "name": "a" * 101, "remarks": "b" * 1001}, deployment)
    assert set(errors) == {"name", "remarks"}
    assert "100" in errors["name"]


def test_line_breaks_in_a_name_are_refused_but_allowed_in_remarks(valid_signup, deployment):
    errors = errors_of({**valid_signup, "name": "Jan\r\nBcc: x@example.org"}, deployment)
    assert set(errors) == {"name"}
    remarks = "Eerste regel\nTweede regel"
    assert validate_signup({**valid_signup, "remarks": remarks}, deployment).remarks == remarks
    # Browsers send a textarea's line breaks as CR LF; they are kept as line breaks.
    typed = "Eerste regel\r\nTweede regel"
    assert validate_signup({**valid_signup, "remarks": typed}, deployment).remarks == remarks


@pytest.mark.parametrize("hidden", ["\u2028", "\u2029", "\u202e", "\u200b"])
def test_separators_and_bidi_controls_are_refused_in_a_name(hidden, valid_signup, deployment):
    errors = errors_of({**valid_signup, "name": f"Jan{hidden}Jansen"}, deployment)
    assert set(errors) == {"name"}


def test_non_text_json_values_are_refused(valid_signup, deployment):
    errors = errors_of({**valid_signup, "name": ["Jan"], "street": 12}, deployment)
    assert set(errors) == {"name", "street"}


def test_email_is_normalised(valid_signup, deployment):
    request = validate_signup({**valid_signup, "email": "  jan@Example.ORG "}, deployment)
    assert request.email == "jan@example.org"


@pytest.mark.parametrize(
    "email", ["jan", "jan@", "@example.org", "jan@@example.org", "zoë@example.org"]
)
def test_invalid_email_is_refused(email, valid_signup, deployment):
    assert "e-mailadres" in errors_of({**valid_signup, "email": email}, deployment)["email"]


def test_house_number_needs_a_number(valid_signup, deployment):
    assert (
        "huisnummer" in errors_of({**valid_signup, "house_number": "a"}, deployment)["house_number"]
    )
    request = validate_signup({**valid_signup, "house_number": "12a"}, deployment)
    assert request.address.house_number == "12a"


def test_a_valid_signup_is_placed_in_an_area(valid_signup, deployment):
    request = validate_signup(valid_signup, deployment)
    assert request.area_id in {area.id for area in deployment.areas}


@pytest.mark.parametrize(("value", "filled"), [("", False), (None, False), ("http://x", True)])
def test_honeypot(value, filled, valid_signup):
    assert honeypot_filled({**valid_signup, "website": value}) is filled
