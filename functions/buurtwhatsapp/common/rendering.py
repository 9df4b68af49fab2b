"""The Jinja2 environments for pages and mail: autoescaped HTML, and strict about missing values.

Pages live under ``templates/pages/``. Every mail is a directory ``templates/mail/<name>/`` with
three templates, rendered together by :func:`render_mail`:

``subject.txt``
    The subject line. Rendered, stripped and with runs of spaces and tabs collapsed; it must come
    out as one non-empty line (a line break in a header could inject other headers).
``body.html``
    The HTML part; extends ``mail/layout.html``.
``body.txt``
    The plain-text part with the same content and links; extends ``mail/layout.txt``.

HTML templates are autoescaped; ``.txt`` templates are not, so a resident's name such as
``Zoë & Sem`` appears in plain text as typed, not as ``Zoë &amp; Sem``. A missing context value
raises :class:`jinja2.UndefinedError` instead of rendering as an empty string.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .form_values import is_checked
from .markdown import markdown_html, markdown_text

__all__ = [
    "RenderedMail",
    "compile_templates",
    "deployment_environment",
    "render_mail",
    "template_environment",
]

# Inside the templates directory: every template compiled by the deploy when it staged the
# upload (compile_templates).
COMPILED_TEMPLATES = "__compiled__"


class PrecompiledTemplates(jinja2.BytecodeCache):
    """The templates as the deploy compiled them: a function's first request loads each one's
    bytecode (well under a millisecond) instead of compiling it (5 to 35 ms each, 40 to 80 ms
    of a cold start). Read only, as an instance's upload is. A template changed since, or
    compiled by another Python version, fails Jinja2's own checks of the source's checksum and
    of the magic number, and is compiled as usual."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # By name only: the upload's path differs between the deploy and the instance.
        return hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self._directory / f"{bucket.key}.cache"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            with self._path(bucket).open("rb") as compiled:
                bucket.load_bytecode(compiled)
        except FileNotFoundError:
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Nothing: an instance never writes (compile_templates does, at the deploy)."""


class _CompilingTemplates(PrecompiledTemplates):
    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Nothing: compile every template afresh."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._directory.mkdir(exist_ok=True)
        with self._path(bucket).open("wb") as compiled:
            bucket.write_bytecode(compiled)


def _autoescape(name: str | None) -> bool:
    """Escape everything except plain-text templates; a template without a name is escaped."""
    return name is None or not name.endswith(".txt")


def template_environment(templates_dir: Path, *, compiling: bool = False) -> jinja2.Environment:
    """The environment for pages and mail, loading from ``templates_dir`` (and its compiled
    templates, when the deploy made them; ``compiling``: make them).

    Autoescape is on for every template except ``*.txt``: residents' own words end up in pages
    and mail, and only plain text may show them unescaped. ``markdown_html`` and
    ``markdown_text`` render Markdown (news) for the two parts of a mail.
    """
    compiled = templates_dir / COMPILED_TEMPLATES
    cache: jinja2.BytecodeCache | None = None
    if compiling:
        cache = _CompilingTemplates(compiled)
    elif compiled.is_dir():
        cache = PrecompiledTemplates(compiled)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        bytecode_cache=cache,
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # News to members is Markdown (markdown.py): raw HTML off, for both parts.
    environment.filters["markdown_html"] = markdown_html
    environment.filters["markdown_text"] = markdown_text
    return environment


def deployment_environment(templates_dir: Path, initiative: object) -> jinja2.Environment:
    """The environment a deployment renders with: every template knows the initiative, and
    forms can ask whether a typed checkbox value counts as ticked (``value is checked``)."""
    templates = template_environment(templates_dir)
    templates.globals["initiative"] = initiative
    templates.tests["checked"] = is_checked
    return templates


def compile_templates(templates_dir: Path) -> int:
    """Compile every template into ``templates_dir/__compiled__`` (the deploy, when it stages
    the upload); how many."""
    environment = template_environment(templates_dir, compiling=True)
    names = environment.list_templates(
        filter_func=lambda name: (
            not name.startswith(COMPILED_TEMPLATES) and name.endswith((".html", ".txt", ".js"))
        )
    )
    for name in names:
        environment.get_template(name)
    return len(names)


@dataclass(frozen=True, slots=True)
class RenderedMail:
    """One mail's rendered parts: a one-line subject, the HTML part and the plain-text part."""

    subject: str
    html: str
    text: str


_MAIL_NAME = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)*")
# Every character str.splitlines() breaks on, so "one line" means one line to any reader.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_BLANK_LINES = re.compile(r"\n{4,}")


def render_mail(
    templates: jinja2.Environment, template: str, context: Mapping[str, object]
) -> RenderedMail:
    """Render the mail ``templates/mail/<template>/`` with ``context``.

    Raises :class:`jinja2.UndefinedError` when the templates use a value ``context`` lacks,
    :class:`jinja2.TemplateNotFound` when a part is missing, and :class:`ValueError` for a mail
    name that is not a plain lower-case name or a subject that is empty, spans several lines or
    holds other control characters.
    """
    if not _MAIL_NAME.fullmatch(template):
        raise ValueError(f"not a mail template name: {template!r}")
    values = dict(context)
    subject = _one_line_subject(
        templates.get_template(f"mail/{template}/subject.txt").render(values), template
    )
    html = templates.get_template(f"mail/{template}/body.html").render(values)
    text = _tidy_text(templates.get_template(f"mail/{template}/body.txt").render(values))
    return RenderedMail(subject=subject, html=html, text=text)


def _one_line_subject(rendered: str, template: str) -> str:
    stripped = rendered.strip()
    if any(character in _LINE_BREAKS for character in stripped):
        raise ValueError(f"mail/{template}/subject.txt: the subject spans more than one line")
    subject = " ".join(stripped.split())
    if any(unicodedata.category(character) == "Cc" for character in subject):
        raise ValueError(f"mail/{template}/subject.txt: the subject holds a control character")
    if not subject:
        raise ValueError(f"mail/{template}/subject.txt: the subject is empty")
    return subject


def _tidy_text(rendered: str) -> str:
    """Plain text without trailing spaces, at most two blank lines in a row, one final newline."""
    lines = [line.rstrip() for line in rendered.strip("\n").split("\n")]
    return _BLANK_LINES.sub("\n\n\n", "\n".join(lines)) + "\n"
