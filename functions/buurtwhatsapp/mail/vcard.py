"""A vCard (RFC 6350, version 3.0 for the widest phone support) to save a member as a contact:
WhatsApp adds group members only from the phone's contacts."""

from __future__ import annotations


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def vcard(name: str, phone_e164: str, note: str | None = None) -> bytes:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"N:;{_escape(name)};;;",
        f"FN:{_escape(name)}",
        f"TEL;TYPE=CELL:{_escape(phone_e164)}",
    ]
    if note:
        lines.append(f"NOTE:{_escape(note)}")
    lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
