"""The sign-up form on an initiative's own site, in a real browser across origins: framed by an
allowed site it works end to end and tells that site its height; framed by any other site the
browser blocks it (CSP frame-ancestors); a site's own HTML form is sent back to that site after
a valid sign-up, and a redirect anywhere else is refused with nothing stored."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from buurtwhatsapp import bootstrap
from buurtwhatsapp.model import SIGNUPS
from tests.conftest import VALID_SIGNUP
from tests.e2e.axe import assert_accessible
from tests.e2e.forms import CONDITIONS, RESIDENT

pytestmark = pytest.mark.browser


class Site:
    """A site of its own on localhost:<port> (another origin than the form's 127.0.0.1),
    serving the pages it is given by path."""

    def __init__(self) -> None:
        pages: dict[str, str] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(urlsplit(self.path).path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    """The initiative's site (allowed) and somebody else's."""
    own, other = Site(), Site()
    try:
        yield own, other
    finally:
        own.close()
        other.close()


@pytest.fixture
def form(live_server, sites, monkeypatch):
    own, _other = sites
    monkeypatch.setenv("EMBED_ORIGINS", own.origin)
    monkeypatch.setenv("ALLOWED_ORIGINS", f"{live_server.url},{own.origin}")
    bootstrap.reset()
    return live_server


def framing_page(form_url: str, form_origin: str, height: int = 300) -> str:
    """The documented snippet (README): an iframe, and a listener that sizes it."""
    return f"""<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Buurt</title>
</head><body><h1>Onze buurt</h1>
<iframe id="buurtwhatsapp" src="{form_url}" title="Aanmelden" style="width:100%;border:0"
  height="{height}"></iframe>
<script>
window.received = [];
window.addEventListener("message", function (event) {{
  window.received.push({{origin: event.origin, data: event.data}});
  if (event.origin !== "{form_origin}") return;
  if (event.data && event.data.type === "buurtwhatsapp:height") {{
    document.getElementById("buurtwhatsapp").style.height = event.data.height + "px";
  }}
}});
</script></body></html>"""


def test_framed_by_the_initiatives_site_the_form_works_and_fits(
    form, sites, new_context, firestore_client
):
    own, _other = sites
    # Framed too tall at first: the form's height makes it fit, down as well as up.
    own.pages["/aanmelden"] = framing_page(form("/signup?embed=1&area=dorp"), form.url, 3000)
    page = new_context().new_page()
    page.goto(f"{own.origin}/aanmelden")
    frame = page.frame_locator("#buurtwhatsapp")
    expect(frame.get_by_text("U meldt zich aan voor")).to_be_visible()

    # The height came to this site, from the form's origin, and the iframe took it.
    page.wait_for_function("window.received.length > 0")
    received = page.evaluate("window.received")
    assert {message["origin"] for message in received} == {form.url}
    height = received[-1]["data"]["height"]
    assert 800 < height < 3000 and received[-1]["data"]["type"] == "buurtwhatsapp:height"
    expect(page.locator("#buurtwhatsapp")).to_have_attribute(
        "style", f"width: 100%; border: 0px; height: {height}px;"
    )

    for label, value in RESIDENT.items():
        frame.get_by_label(label, exact=True).fill(value)
    for label in CONDITIONS:
        frame.get_by_label(label).check()
    frame.get_by_role("button", name="Aanmelden").click()
    expect(frame.get_by_role("heading", name="Dank u wel voor uw aanmelding!")).to_be_visible()
    [signup] = [s.to_dict() for s in firestore_client.collection(SIGNUPS).stream()]
    assert signup["area"] == "dorp" and signup["status"] == "pending"


def test_framed_by_any_other_site_the_browser_blocks_the_form(form, sites, new_context):
    _own, other = sites
    other.pages["/namaak"] = framing_page(form("/signup?embed=1"), form.url)
    page = new_context().new_page()
    refusals = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(f"{other.origin}/namaak")
    page.wait_for_timeout(1000)
    [framed] = [f for f in page.frames if f != page.main_frame]
    assert framed.locator("form").count() == 0  # nothing of the form in the frame
    assert any("frame-ancestors" in text for text in refusals), refusals
    assert page.evaluate("window.received") == []  # and no height told


def own_form(target: str, back: str) -> str:
    """A site's own HTML form posting a whole sign-up to ours, asking to come back."""
    fields = {**VALID_SIGNUP, "street": "Kagerdreef", "redirect": back}
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    return f"""<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Aanmelden</title>
</head><body><form method="post" action="{target}">{inputs}<button>Verstuur</button></form>
</body></html>"""


def test_a_sites_own_form_comes_back_to_that_site_and_nowhere_else(
    form, sites, new_context, firestore_client
):
    own, other = sites
    own.pages["/bedankt"] = "<!doctype html><title>Bedankt</title><p>Bedankt voor uw aanmelding"
    own.pages["/vreemd"] = own_form(form("/signup"), f"{other.origin}/bedankt")
    own.pages["/formulier"] = own_form(form("/signup"), f"{own.origin}/bedankt")
    page = new_context().new_page()

    page.goto(f"{own.origin}/vreemd")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Verstuur").click()
    assert refused.value.status == 400
    expect(page.get_by_text("Daarom hebben wij niets opgeslagen")).to_be_visible()
    assert list(firestore_client.collection(SIGNUPS).stream()) == []

    page.goto(f"{own.origin}/formulier")
    page.get_by_role("button", name="Verstuur").click()
    page.wait_for_url(f"{own.origin}/bedankt")
    expect(page.get_by_text("Bedankt voor uw aanmelding")).to_be_visible()
    assert len(list(firestore_client.collection(SIGNUPS).stream())) == 1


@pytest.mark.parametrize("width", [320, 800])
def test_the_embedded_form_passes_axe_at_the_widths_of_a_sites_column(form, new_context, width):
    page = new_context().new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(form("/signup?embed=1&area=dorp&street=Kagerdreef"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_accessible(page)
