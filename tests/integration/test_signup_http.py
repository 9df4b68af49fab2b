"""``/signup`` through the real functions-framework app, stored in a real emulator."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest

from buurtwhatsapp.model import MAIL, SIGNUPS

pytestmark = pytest.mark.emulator


def stored(client, collection):
    return [snapshot.to_dict() for snapshot in client.collection(collection).stream()]


class FormParser(HTMLParser):
    """Collects the form controls and labels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, str | None]] = {}
        self.label_targets: set[str] = set()
        self.textareas: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("input", "textarea") and attributes.get("name"):
            self.controls[attributes["name"]] = attributes
        if tag == "textarea":
            self._textarea = attributes.get("name")
            self.textareas[self._textarea] = ""
        if tag == "label" and attributes.get("for"):
            self.label_targets.add(attributes["for"])

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def test_the_form_is_dutch_and_every_field_has_a_label(signup_client):
    response = signup_client.get("/signup")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Aanmelden" in html
    form = parse_form(html)
    for field in ("name", "email", "phone", "street", "house_number", "postcode", "remarks"):
        assert field in form.controls
        assert form.controls[field]["id"] in form.label_targets
    for checkbox in ("adult", "whatsapp", "rules", "privacy"):
        assert form.controls[checkbox]["type"] == "checkbox"
        assert checkbox in form.label_targets
    assert form.controls["website"]["tabindex"] == "-1"
    assert "<script" not in html, "the form works without JavaScript"


def test_a_browser_signup_is_stored_and_redirected_to_the_thank_you_page(
    signup_client, firestore_client, valid_signup
):
    response = signup_client.post("/signup", data=valid_signup)
    assert response.status_code == 303
    assert response.headers["Location"] == "?received=1"
    [signup] = stored(firestore_client, SIGNUPS)
    assert signup["status"] == "pending"
    assert signup["phone"] == "+31612345678"
    assert signup["name"] == "Zoë van 't Veld"
    assert len(stored(firestore_client, MAIL)) == 1

    thanks = signup_client.get("/signup?received=1")
    assert thanks.status_code == 200
    assert "Dank u wel" in thanks.get_data(as_text=True)


def test_a_json_signup_gets_201_and_json(signup_client, firestore_client, valid_signup):
    body = {**valid_signup, "adult": True, "whatsapp": True, "rules": True, "privacy": True}
    response = signup_client.post("/signup", json=body)
    assert response.status_code == 201
    assert response.json["status"] == "received"
    assert "e-mail" in response.json["message"]
    assert len(stored(firestore_client, SIGNUPS)) == 1


def test_invalid_json_gets_every_error_in_dutch_and_stores_nothing(signup_client, firestore_client):
    response = signup_client.post("/signup", json={"name": "Jan", "phone": "071-5123456"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {
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
    assert errors["email"] == "Vul uw e-mailadres in."
    assert stored(firestore_client, SIGNUPS) == []
    assert stored(firestore_client, MAIL) == []


def test_an_invalid_form_comes_back_with_the_input_kept_and_messages_beside_fields(
    signup_client, firestore_client, valid_signup
):
    typed = {
        **valid_signup,
        "name": '<script>alert("x")</script> & Zoë',
        "phone": "071-5123456",
        "privacy": "",
        "remarks": "Eerste regel\n<b>vet</b>",
    }
    response = signup_client.post("/signup", data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    form = parse_form(html)
    assert form.controls["name"]["value"] == typed["name"]
    assert form.controls["email"]["value"] == "zoe@example.org"
    assert form.controls["street"]["value"] == "Lisserweg"
    assert form.controls["phone"]["aria-invalid"] == "true"
    assert "phone-error" in form.controls["phone"]["aria-describedby"]
    assert "checked" in form.controls["rules"]
    assert "checked" not in form.controls["privacy"]
    assert form.textareas["remarks"] == typed["remarks"]
    assert '<script>alert("x")</script>' not in html
    assert "vast nummer" in html
    assert "privacyverklaring" in html
    assert stored(firestore_client, SIGNUPS) == []


def test_a_filled_honeypot_gets_the_ordinary_answer_and_nothing_happens(
    signup_client, firestore_client, valid_signup
):
    response = signup_client.post("/signup", data={**valid_signup, "website": "http://spam"})
    assert response.status_code == 303
    assert response.headers["Location"] == "?received=1"
    assert stored(firestore_client, SIGNUPS) == []
    assert stored(firestore_client, MAIL) == []


def test_a_repeated_signup_gets_exactly_the_same_answer(signup_client, valid_signup):
    body = {**valid_signup, "adult": True, "whatsapp": True, "rules": True, "privacy": True}
    first = signup_client.post("/signup", json=body)
    second = signup_client.post("/signup", json={**body, "email": "ander@example.org"})
    assert (first.status_code, first.get_data()) == (second.status_code, second.get_data())


def test_an_oversized_body_gets_413(signup_client, valid_signup, firestore_client):
    response = signup_client.post(
        "/signup",
        data={**valid_signup, "remarks": "x" * 20_000},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert "te groot" in response.json["error"]
    assert stored(firestore_client, SIGNUPS) == []


def test_an_oversized_body_without_length_gets_413(signup_client, firestore_client):
    """A chunked body has no Content-Length; it is cut off at the limit while being read."""
    body = b"&".join(b"a%d=" % i + b"x" * 1000 for i in range(40))
    response = signup_client.post(
        "/signup",
        input_stream=io.BytesIO(body),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert stored(firestore_client, SIGNUPS) == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml", ""]
)
def test_an_unsupported_content_type_gets_415(signup_client, content_type):
    response = signup_client.post(
        "/signup", data=b"name=x", headers={"Content-Type": content_type, "Accept": "text/html"}
    )
    assert response.status_code == 415
    assert "formuliergegevens of JSON" in response.get_data(as_text=True)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_json_gets_400(signup_client, body):
    response = signup_client.post(
        "/signup", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(signup_client, method):
    response = signup_client.open("/signup", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_a_broken_deployment_answers_in_dutch_without_a_stack_trace(
    signup_client, monkeypatch, tmp_path, valid_signup
):
    from buurtwhatsapp import bootstrap

    broken = tmp_path / "broken.toml"
    broken.write_text("[initiative\n")
    monkeypatch.setenv("DEPLOYMENT_FILE", str(broken))
    bootstrap.reset()

    response = signup_client.post("/signup", data=valid_signup)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Er ging aan onze kant iets mis" in body
    assert "Traceback" not in body and "broken.toml" not in body


def test_pages_carry_security_headers(signup_client):
    response = signup_client.get("/signup")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
