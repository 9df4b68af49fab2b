"""Markdown, as the regiegroep writes news to members, for the HTML and plain-text parts of a mail.

markdown-it-py (CommonMark) parses it with raw HTML off: ``<script>`` or ``<img onerror=…>``
in the text is text, shown escaped; links are kept only for ``https:``, ``http:`` and
``mailto:`` (never ``javascript:``, ``data:`` or any other scheme). Images are off as well: a
mail to members loads nothing from elsewhere and tracks nobody. Headings start at level 2 (the mail
has its own title) and every element gets its inline style, since mail clients ignore style
sheets. The plain-text part is written from the same parse, so both say the same (emphasis
and strike-through lose their marks there).

markdown-it is imported on first use: only the delivery of news pays for it.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

WIDTH = 72
SAFE_SCHEMES = ("https://", "http://", "mailto:")


@functools.cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    parser.disable(["image", "table"])
    parser.validateLink = _safe_link  # type: ignore[method-assign]
    return parser


def _safe_link(url: str) -> bool:
    """Only web and mail addresses become links; anything else stays text as typed."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


def markdown_html(source: str, styles: Mapping[str, str] | None = None) -> Markup:
    """``source`` as HTML; ``styles``: the inline style per tag ("p", "h", "ul", "li", "a")."""
    parser = _parser()
    tokens = parser.parse(str(source))  # str(): a missing value raises, as in any template
    for token in _all(tokens):
        if token.type == "heading_open" or token.type == "heading_close":
            token.tag = f"h{min(int(token.tag[1]) + 1, 4)}"
        if token.nesting == 1 and styles:
            style = styles.get("h" if token.tag[0] == "h" and token.tag != "hr" else token.tag)
            if style is None and token.tag == "ol":
                style = styles.get("ul")
            if style:
                token.attrSet("style", style)
    return Markup(parser.renderer.render(tokens, parser.options, {}))


def markdown_text(source: str, width: int = WIDTH) -> str:
    """``source`` as plain text: paragraphs wrapped at ``width``, headings underlined, lists
    with "-" or "1.", a link as its text with the address after it."""
    return _TextWriter(width).write(_parser().parse(str(source)))


def _all(tokens: Sequence[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(_all(token.children))
    return found


class _TextWriter:
    def __init__(self, width: int) -> None:
        self._width = width
        self._blocks: list[str] = []
        self._lists: list[list[Any]] = []  # [ordered, next number, tight] per open list
        self._marker = ""  # the bullet of the list item whose first block comes next
        self._quote = 0
        self._heading = ""
        # markdown-it hides the paragraphs of a tight list: its items need no blank line
        # between them (but one before the list).
        self._tight = False
        self._list_starts = False

    def write(self, tokens: Sequence[Token]) -> str:
        for token in tokens:
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                start = int(token.attrGet("start") or 1)
                self._lists.append([kind == "ordered_list_open", start, False])
                self._list_starts = True
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self._lists.pop()
            elif kind == "list_item_open":
                ordered, number, _tight = self._lists[-1]
                self._marker = f"{number}. " if ordered else "- "
                self._lists[-1][1] = number + 1
            elif kind == "blockquote_open":
                self._quote += 1
            elif kind == "blockquote_close":
                self._quote -= 1
            elif kind == "paragraph_open":
                self._tight = token.hidden and not self._list_starts
                self._list_starts = False
            elif kind == "heading_open":
                self._heading = "=" if token.tag == "h1" else "-"
            elif kind == "inline":
                self._inline(token, tight=self._tight)
                self._tight = False
            elif kind in ("fence", "code_block"):
                code = token.content.rstrip("\n")
                self._add(textwrap.indent(code, "    "), tight=False, wrap=False)
            elif kind == "hr":
                self._add("-" * 10, tight=False, wrap=False)
        return "\n".join(self._blocks).strip("\n") + "\n" if self._blocks else ""

    def _inline(self, token: Token, *, tight: bool) -> None:
        text = _inline_text(token.children or [])
        if self._heading:
            underline = self._heading * min(len(text), self._width)
            self._heading = ""
            self._add(f"{text}\n{underline}", tight=False, wrap=False)
        else:
            self._add(text, tight=tight, wrap=True)

    def _add(self, text: str, *, tight: bool, wrap: bool) -> None:
        # A list item's first line carries its marker, the lines after it line up under it.
        outer = "   " * max(len(self._lists) - 1, 0)
        first = outer + self._marker if self._marker else ""
        indent = outer + " " * (len(self._marker) or (3 if self._lists else 0))
        first = first or indent
        quote = "> " * self._quote
        lines: list[str] = []
        for part in text.split("\n"):
            if not wrap:
                lines.append(part)
                continue
            width = max(self._width - len(indent) - len(quote), 20)
            wrapped = textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False)
            lines.extend(wrapped or [""])
        self._marker = ""
        if self._blocks and not tight:
            self._blocks.append("")
        for number, line in enumerate(lines):
            self._blocks.append((quote + (first if number == 0 else indent) + line).rstrip())


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    hrefs: list[tuple[str, int]] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            hrefs.append((str(child.attrGet("href") or ""), len(parts)))
        elif child.type == "link_close" and hrefs:
            href, start = hrefs.pop()
            label = "".join(parts[start:])
            if href and href != label and href.removeprefix("mailto:") != label:
                parts.append(f" ({href})")
    return "".join(parts)
