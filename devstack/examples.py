"""The one valid sign-up the tests and the bench start from: every field as a browser posts it
(checkboxes ``on``), the address inside the example deployment's area. A new form field gets
its example value here, once."""

from __future__ import annotations

VALID_SIGNUP: dict[str, str] = {
    "name": "Zoë van 't Veld",
    "email": "zoe@example.org",
    "phone": "06-12345678",
    "street": "Lisserweg",
    "house_number": "12a",
    "postcode": "2158 AB",
    "adult": "on",
    "whatsapp": "on",
    "rules": "on",
    "privacy": "on",
    "remarks": "",
    "website": "",
}
# The form's checkboxes: ``on`` from a browser, ``true`` in JSON.
CHECKBOXES = ("adult", "whatsapp", "rules", "privacy")
