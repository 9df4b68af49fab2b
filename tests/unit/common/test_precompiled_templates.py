"""The templates the deploy compiles into the upload: an instance renders the same from their
bytecode without compiling, and compiles any template whose source changed since."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from buurtwhatsapp.common.rendering import (
    COMPILED_TEMPLATES,
    compile_templates,
    deployment_environment,
)
from tests.conftest import REPOSITORY


@pytest.fixture
def staged(tmp_path) -> Path:
    """A copy of the templates, compiled as the deploy compiles them, from another path: the
    instance's path differs from the deploy's."""
    templates = tmp_path / "deploy" / "templates"
    shutil.copytree(REPOSITORY / "templates", templates)
    assert compile_templates(templates) > 60
    instance = tmp_path / "instance" / "templates"
    shutil.copytree(templates, instance)
    shutil.rmtree(tmp_path / "deploy")
    return instance


def never_compiles(monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError("compiled a template that was compiled at the deploy")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_an_instance_renders_the_compiled_templates_without_compiling(
    staged, deployment, monkeypatch
):
    expected = deployment_environment(REPOSITORY / "templates", deployment.initiative)
    context = {"reason": "expired", "purpose": "confirm", "name": "Zoë & <b>Sem</b>"}
    page = expected.get_template("pages/link_problem.html").render(context)
    mail = {"name": "Zoë & Sem", "group_name": "Dorp", "leave_url": "https://example.org/leave"}
    text = expected.get_template("mail/added/body.txt").render(mail)

    never_compiles(monkeypatch)
    instance = deployment_environment(staged, deployment.initiative)
    assert instance.get_template("pages/link_problem.html").render(context) == page
    assert "Deze link werkt niet" in page
    # Compiled with the same settings: a .txt template is still not escaped.
    assert instance.get_template("mail/added/body.txt").render(mail) == text
    assert "Zoë & Sem" in text


def test_a_template_changed_since_is_compiled_as_usual(staged, deployment, monkeypatch):
    page = staged / "pages" / "link_problem.html"
    source = page.read_text(encoding="utf-8")
    page.write_text(source.replace("Deze link werkt niet", "Deze link werkt echt niet"), "utf-8")
    instance = deployment_environment(staged, deployment.initiative)
    assert "Deze link werkt echt niet" in instance.get_template("pages/link_problem.html").render(
        reason="expired", purpose="confirm", name="Zoë"
    )
    # An instance writes nothing: its upload is read only.
    before = sorted(p.name for p in (staged / COMPILED_TEMPLATES).iterdir())
    instance.get_template("pages/link_problem.html")
    assert sorted(p.name for p in (staged / COMPILED_TEMPLATES).iterdir()) == before
