"""The poster and the door letter as a maintainer makes them on a fresh clone: the command
prints one A4 page each through Chromium, and the PDF is read back as a resident would meet
it: its text (pdftotext), its QR code decoded from a rendered image (pdftoppm, zbarimg) to the
exact address of the form. The printable pages pass axe and vnu."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.axe import assert_accessible
from tests.html_checker import check

pytestmark = pytest.mark.browser

REPOSITORY = Path(__file__).resolve().parents[2]
BASE = "https://europe-west1-buurt-voorbeeld.cloudfunctions.net"


def maintain(*argv: str, base: str = BASE) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PUBLIC_BASE_URL": base}
    environment.pop("DEPLOYMENT_FILE", None)  # the example file
    return subprocess.run(
        [str(REPOSITORY / "infra" / "maintain"), *argv],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.parametrize(
    ("kind", "area", "says"),
    [
        ("poster", "dorp", ["Samen voor een veilige buurt", "in Buitenkaag dorp",
                            "Signaleer: ziet u iets verdachts?", "www.example.org/buurtwhatsapp"]),
        ("letter", "buitengebied", ["Doet u mee met de buurt-WhatsApp?", "geen kletsgroep",
                                    "0900-8844", "regiegroep"]),
    ],
)  # fmt: skip
def test_the_printed_page_is_one_a4_page_saying_what_it_should_with_a_qr_code_to_the_form(
    kind, area, says, tmp_path
):
    pdf = tmp_path / f"{kind}.pdf"
    made = maintain("print", kind, "--area", area, "--output", str(pdf))
    assert made.returncode == 0, made.stdout + made.stderr
    url = f"{BASE}/signup?area={area}"
    assert made.stdout.strip().endswith(f"(1 A4 page); QR code to {url}")

    info = run("pdfinfo", str(pdf))
    assert "Pages:           1" in info and "(A4)" in info
    text = " ".join(run("pdftotext", "-layout", str(pdf), "-").split())
    for expected in says:
        assert expected in text, expected
    run("pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / kind))
    decoded = run("zbarimg", "--quiet", "--raw", str(tmp_path / f"{kind}.png"))
    assert decoded.strip() == url


def test_an_unknown_area_or_output_is_refused_with_the_reason(tmp_path):
    unknown = maintain("print", "poster", "--area", "maan", "--output", str(tmp_path / "p.pdf"))
    assert unknown.returncode == 2
    assert unknown.stdout.startswith("error: no area 'maan' in the deployment file")
    word = maintain("print", "letter", "--area", "dorp", "--output", str(tmp_path / "p.docx"))
    assert word.returncode == 2 and "ending in .pdf or .html" in word.stdout
    # A QR code to the maintainer's own machine, unless they ask for one to try it out.
    local = ("print", "poster", "--area", "dorp", "--output", str(tmp_path / "p.html"))
    refused = maintain(*local, base="http://localhost:8080")
    assert refused.returncode == 2
    assert refused.stdout.startswith("error: the QR code would lead to http://localhost:8080")
    assert not list(tmp_path.iterdir())
    tried = maintain(*local, "--local", base="http://localhost:8080")
    assert tried.returncode == 0
    assert "QR code to http://localhost:8080/signup?area=dorp" in tried.stdout


@pytest.mark.parametrize("width", [360, 1280])
def test_the_printable_pages_pass_axe_and_vnu(width, new_context, tmp_path):
    pages = {}
    for kind in ("poster", "letter"):
        target = tmp_path / f"{kind}.html"
        made = maintain("print", kind, "--area", "dorp", "--output", str(target))
        assert made.returncode == 0, made.stdout + made.stderr
        pages[kind] = target.read_text(encoding="utf-8")
        page = new_context().new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content(pages[kind])
        assert_accessible(page)
    report = check(pages)
    assert not report.errors(), report.errors()
