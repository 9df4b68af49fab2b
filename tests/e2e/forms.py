"""What the browser tests type into the forms, by the labels a resident reads."""

from __future__ import annotations

# The four checkboxes every sign-up must tick, by their labels.
CONDITIONS = (
    "Ik ben 18 jaar of ouder.",
    "Ik heb WhatsApp op mijn smartphone of tablet.",
    "Ik houd me aan de groepsregels.",
    "Ik ga akkoord met de privacyverklaring.",
)

# A resident of the village signing up, field by label (the street: as a test needs it).
RESIDENT = {
    "Naam": "Zoë van 't Veld",
    "E-mailadres": "zoe@example.org",
    "Mobiel nummer": "06-12345678",
    "Straat": "Kagerdreef",
    "Huisnummer": "7",
    "Postcode": "2158 AB",
}

# A coordinator application, field by label.
APPLICANT = {
    "Naam": "Bram de Vries",
    "E-mailadres": "bram@example.org",
    "Mobiel nummer": "06-87654321",
    "Straat": "Lisserweg",
    "Huisnummer": "3",
    "Postcode": "2158 AC",
    "Waarom wilt u coördinator worden?": "Ik woon in het buitengebied en help graag mee.",
}
APPLICANT_PRIVACY = (
    "Ik vind het goed dat de regiegroep deze gegevens gebruikt om contact met mij op te nemen "
    "over mijn aanmelding als coördinator."
)
