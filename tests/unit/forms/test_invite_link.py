"""A group's invite link is exactly a WhatsApp group invite link, spelled one way."""

from __future__ import annotations

import pytest

from buurtwhatsapp.forms.validation import InvalidInput, validate_invite_link

CODE = "C1adgkdEGki7554BWDdMkd"


@pytest.mark.parametrize(
    "raw",
    [
        f"https://chat.whatsapp.com/{CODE}",
        f"  https://chat.whatsapp.com/{CODE}\n",
        f"chat.whatsapp.com/{CODE}",
        f"https://CHAT.WhatsApp.com/{CODE}",
        f"https://chat.whatsapp.com/invite/{CODE}",
        f"https://chat.whatsapp.com/{CODE}?mode=ems_copy_t",
        f"https://chat.whatsapp.com/{CODE}?mode=ac_t",
    ],
)
def test_what_whatsapp_copies_is_taken_and_stored_in_one_spelling(raw):
    assert validate_invite_link(raw) == f"https://chat.whatsapp.com/{CODE}"


def test_a_code_that_starts_with_the_word_invite_is_still_a_code():
    assert validate_invite_link("https://chat.whatsapp.com/inviteAbc123456789012345") == (
        "https://chat.whatsapp.com/inviteAbc123456789012345"
    )


@pytest.mark.parametrize(
    "raw",
    [
        f"http://chat.whatsapp.com/{CODE}",  # not HTTPS
        f"https://chat.whatsapp.com.evil.example/{CODE}",
        f"https://evil.example/chat.whatsapp.com/{CODE}",
        f"https://user@chat.whatsapp.com/{CODE}",
        f"https://chat.whatsapp.com:443/{CODE}",
        f"https://chat.whatsapp.com/{CODE}/more",
        f"https://chat.whatsapp.com/{CODE}?next=https://evil.example",
        f"https://chat.whatsapp.com/{CODE}?mode=",
        f"https://chat.whatsapp.com/{CODE}#fragment",
        "https://chat.whatsapp.com/short",
        "https://chat.whatsapp.com/" + "A" * 25,
        f"https://chat.whatsapp.com/{CODE[:-1]}é",
        "https://wa.me/31612345678",
        "javascript:alert(1)",
        f"https://chat.whatsapp.com/{CODE} https://chat.whatsapp.com/{CODE}",
        "https://chat.whatsapp.com/" + CODE + "\u200b",
        "",
        "   ",
        None,
        42,
        "https://chat.whatsapp.com/" + "A" * 300,
    ],
)
def test_anything_else_is_refused_with_a_dutch_sentence_for_the_field(raw):
    with pytest.raises(InvalidInput) as refused:
        validate_invite_link(raw)
    assert set(refused.value.errors) == {"link"}
    assert refused.value.errors["link"].startswith(("Dit is geen", "Plak hier"))
