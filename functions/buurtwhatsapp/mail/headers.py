"""Header values in their wire form, written here and nowhere else.

Nothing a resident typed may ever be *parsed* as header syntax. Python's ``email`` package
decodes RFC 2047 encoded words whenever a header value is assigned, so a name such as
``=?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5vcmc=?=`` would become a line break and a ``Bcc:``
header, and a subject could carry a bidi override that validation had refused. So every value
is encoded by this module (encoded words of our own, quoted strings, RFC 2231 parameters), and
``mime.py`` stores the result with ``set_raw``, which the generator writes out verbatim.

Everything returned is printable ASCII, folded with CRLF + space only where we fold it, so that
a reader who unfolds and decodes gets back exactly the text we were given, ``=?`` and all.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from urllib.parse import quote

from ..common.contacts import ascii_domain

# RFC 5322: lines SHOULD stay within 78 characters and MUST within 998.
LINE_LENGTH = 78
MAX_LINE_LENGTH = 998
# RFC 2047: an encoded word is at most 75 characters, "=?utf-8?b?" and "?=" included.
_ENCODED_WORD_PREFIX = "=?utf-8?b?"
_MAX_ENCODED_WORD = 75
_FOLD = "\r\n "

# Control, format (bidi overrides, zero-width), surrogate and line/paragraph separator
# characters: none of them belongs in a header, whatever the encoding.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# A word that may go on the wire as it is: printable ASCII, no space.
_PLAIN_WORD = re.compile(r"[!-~]+")
# RFC 5322 dot-atom (the local part of every address we send to).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
# Host names (one label allowed: "localhost" for local runs), after IDNA.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_NAME_AND_ADDRESS = re.compile(r"(?P<name>.*?)\s*<(?P<address>[^<>]*)>")
_BARE_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]\\]+")


def check_text(field: str, value: str) -> None:
    """Refuse characters that no header may hold; the message names the field, not the value."""
    if any(unicodedata.category(character) in _FORBIDDEN_CATEGORIES for character in value):
        raise ValueError(f"{field} contains a line break, control or format character")


def unstructured(field: str, value: str, *, name_length: int) -> str:
    """An unstructured value such as Subject, for a header whose name has ``name_length``
    characters: plain words as they are, anything else as UTF-8 encoded words."""
    check_text(field, value)
    first_room = LINE_LENGTH - name_length - 2
    if _is_plain(value):
        return _fold_words(value.split(" "), first_room)
    return _encoded_words(value, first_room)


def mailbox(field: str, value: str, *, name_length: int) -> tuple[str, str]:
    """``addr`` or ``Display Name <addr>`` as (wire form, bare address for the envelope).

    Parsed here with a strict grammar rather than by the ``email`` package, which would decode
    encoded words in the display name and even in the local part.
    """
    check_text(field, value)
    display_name, address = _split_mailbox(field, value.strip())
    if not display_name:
        return address, address
    if _is_plain(display_name):
        escaped = display_name.replace("\\", "\\\\").replace('"', '\\"')
        phrase = f'"{escaped}"'
    else:
        phrase = _encoded_words(display_name, LINE_LENGTH - name_length - 2)
    return f"{phrase} <{address}>", address


# Percent-encoded characters per RFC 2231 continuation: each section goes on a folded line of
# its own, within the 78 characters a line should keep to.
_FILENAME_SECTION = 50


def filename_parameter(field: str, filename: str) -> str:
    """The ``filename`` parameter of a Content-Disposition: quoted when plain ASCII, else
    RFC 2231 (``filename*=utf-8''...``), so that no mail client decodes anything of ours.

    A long name (a hundred 4-byte characters make 1200 encoded characters, past the 998 a line
    may hold) is split into numbered continuations, ``filename*0*=...;\r\n filename*1*=...``,
    each on a folded line (the caller folds before the first too); never inside a percent
    escape.
    """
    check_text(field, filename)
    if not filename:
        raise ValueError(f"{field} must not be empty")
    if _is_plain(filename) and not set(filename) & set('"\\%') and len(filename) <= 60:
        return f'filename="{filename}"'
    encoded = quote(filename, safe="")
    if len(encoded) <= _FILENAME_SECTION:
        return f"filename*=utf-8''{encoded}"
    sections, start = [], 0
    while start < len(encoded):
        end = min(start + _FILENAME_SECTION, len(encoded))
        while "%" in encoded[max(end - 2, start) : end]:  # not inside a %XX escape
            end -= 1
        sections.append(encoded[start:end])
        start = end
    parts = [
        f"filename*{n}*={'utf-8' + chr(39) * 2 if n == 0 else ''}{section}"
        for n, section in enumerate(sections)
    ]
    return ";\r\n ".join(parts)


def check_wire_form(field: str, value: str) -> None:
    """What goes on the wire: printable ASCII, folded only as we fold, lines within the limit."""
    lines = value.split("\r\n")
    if not all(_PLAIN_LINE.fullmatch(line) for line in lines):
        raise ValueError(f"{field} is not a printable ASCII header value")
    if any(not line.strip() for line in lines[1:]) or any(
        not line.startswith(" ") for line in lines[1:]
    ):
        raise ValueError(f"{field} is folded wrongly")
    if any(len(line) > MAX_LINE_LENGTH - len(field) - 2 for line in lines):
        raise ValueError(f"{field} has a line longer than {MAX_LINE_LENGTH} characters")


_PLAIN_LINE = re.compile(r"[ -~]*")


def _is_plain(value: str) -> bool:
    """Safe on the wire as it is: single-spaced printable ASCII words of a foldable length,
    and nothing a reader could take for an encoded word."""
    if "=?" in value or not value:
        return False
    words = value.split(" ")
    return all(_PLAIN_WORD.fullmatch(word) and len(word) <= LINE_LENGTH - 2 for word in words)


def _fold_words(words: list[str], first_room: int) -> str:
    lines: list[str] = []
    current = words[0]
    room = first_room
    for word in words[1:]:
        if len(current) + 1 + len(word) <= room:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
            room = LINE_LENGTH - 1
    lines.append(current)
    return _FOLD.join(lines)


def _encoded_words(value: str, first_room: int) -> str:
    """Base64 UTF-8 encoded words, each whole characters only (RFC 2047 section 5)."""
    words: list[str] = []
    chunk = ""
    room = min(first_room, _MAX_ENCODED_WORD)
    for character in value:
        if _encoded_length(chunk + character) > room and chunk:
            words.append(_encode(chunk))
            chunk = ""
            room = min(LINE_LENGTH - 1, _MAX_ENCODED_WORD)
        chunk += character
    words.append(_encode(chunk))
    return _FOLD.join(words)


def _encoded_length(text: str) -> int:
    size = len(text.encode("utf-8"))
    return len(_ENCODED_WORD_PREFIX) + 4 * ((size + 2) // 3) + 2


def _encode(text: str) -> str:
    return f"{_ENCODED_WORD_PREFIX}{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def _split_mailbox(field: str, value: str) -> tuple[str, str]:
    match = _NAME_AND_ADDRESS.fullmatch(value)
    if match:
        display_name, address = match["name"].strip(), match["address"].strip()
        if len(display_name) >= 2 and display_name[0] == display_name[-1] == '"':
            display_name = re.sub(r"\\(.)", r"\1", display_name[1:-1])
    elif _BARE_ADDRESS.fullmatch(value):
        display_name, address = "", value
    else:
        raise ValueError(f"{field} must be exactly one valid e-mail address")
    local_part, at, domain = address.rpartition("@")
    if not at or not local_part or not domain:
        raise ValueError(f"{field} must be exactly one valid e-mail address")
    if not local_part.isascii():
        # SES does not support SMTPUTF8, and mail must go through every transport alike.
        raise ValueError(f"{field} has a non-ASCII local part, which needs SMTPUTF8")
    if "=?" in local_part:
        raise ValueError(f"{field} has a local part shaped like an encoded word")
    try:
        # IDNA 2008, as the address was validated: never another domain than the one typed.
        wire_domain = ascii_domain(domain)
    except UnicodeError:
        raise ValueError(f"{field} has a domain that IDNA 2008 cannot encode") from None
    if not _DOT_ATOM.fullmatch(local_part) or not _DOMAIN.fullmatch(wire_domain):
        raise ValueError(f"{field} must be exactly one valid e-mail address")
    return display_name, f"{local_part}@{wire_domain}"
