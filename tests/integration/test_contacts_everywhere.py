"""One table of e-mail addresses and phone numbers through the form, the deployment file and
the maintainer's command line: what one accepts the others accept, normalised alike."""

from __future__ import annotations

import io

import pytest

from buurtwhatsapp import cli
from buurtwhatsapp.deployment.loading import load_deployment
from buurtwhatsapp.deployment.structure import ConfigError
from buurtwhatsapp.forms.validation import InvalidInput, validate_signup
from tests.conftest import EXAMPLE_DEPLOYMENT

# typed -> as stored (None: refused everywhere)
EMAILS = [
    ("zoe@example.org", "zoe@example.org"),
    ("  Zoe@EXAMPLE.org ", "Zoe@example.org"),
    ("zoe@exämple.org", "zoe@exämple.org"),
    # The drift case: a non-ASCII local part needs SMTPUTF8, which SES lacks. The deployment
    # file used to accept it, and every alert to that coordinator then failed after the deploy.
    ("jürgen@example.org", None),
    ("zoe@", None),
    ("zoe example.org", None),
    # International domains are kept as typed (IDNA 2008): faß.de is not fass.de.
    ("resident@xn--fa-hia.de", "resident@faß.de"),
    ("resident@fass.de", "resident@fass.de"),
    ("thea@xn--nxasmm1c.com", "thea@βόλος.com"),
    ("resident@😀.example", None),
    ("resident@xn--mgba3gch31f060k.com", None),  # a zero-width non-joiner in the domain
    # An RFC 2047 encoded word as local part, which mail readers would decode.
    ("=?utf-8?b?DQpCY2M6IGVAZS5l?=@example.org", None),
]
PHONES = [
    ("06-12345678", "+31612345678"),
    ("+31 6 1234 5678", "+31612345678"),
    ("0031612345678", "+31612345678"),
    ("+49 1512 3456789", "+4915123456789"),
    ("12345", None),
    ("06-1234", None),
]
LANDLINE = ("071-5123456", "+31715123456")  # fine for a coordinator, not for WhatsApp members


def form(deployment, **fields) -> dict:
    raw = {
        "name": "Zoë", "email": "zoe@example.org", "phone": "06-12345678",
        "street": "Lisserweg", "house_number": "500", "postcode": "2158 AB",
        "adult": "on", "whatsapp": "on", "rules": "on", "privacy": "on", **fields,
    }  # fmt: skip
    try:
        request = validate_signup(raw, deployment)
    except InvalidInput as invalid:
        return {"errors": invalid.errors}
    return {"email": request.email, "phone": request.phone}


def in_file(tmp_path, **person) -> object:
    text = (
        EXAMPLE_DEPLOYMENT.read_text()
        .replace(
            'email = "coordinator.dorp@example.org"',
            f'email = "{person.get("email", "coordinator.dorp@example.org")}"',
            1,
        )
        .replace('phone = "06-12340001"', f'phone = "{person.get("phone", "06-12340001")}"', 1)
    )
    path = tmp_path / "deployment.toml"
    path.write_text(text)
    try:
        coordinator = load_deployment(path).group("dorp").coordinator
    except ConfigError as error:
        return str(error)
    return coordinator


@pytest.mark.parametrize(("typed", "stored"), EMAILS)
def test_an_email_address_is_taken_or_refused_alike_by_the_form_and_the_file(
    typed, stored, deployment, tmp_path
):
    through_form = form(deployment, email=typed)
    through_file = in_file(tmp_path, email=typed)
    if stored is None:
        assert "email" in through_form["errors"]
        assert "invalid e-mail address" in through_file
    else:
        assert through_form["email"] == stored
        assert through_file.email == stored


@pytest.mark.parametrize(("typed", "stored"), [*PHONES, LANDLINE])
def test_a_phone_number_is_normalised_alike_by_the_form_and_the_file(
    typed, stored, deployment, tmp_path
):
    through_form = form(deployment, phone=typed)
    through_file = in_file(tmp_path, phone=typed)
    if stored is None:
        assert "phone" in through_form["errors"]
        assert "invalid phone number" in through_file
    elif (typed, stored) == LANDLINE:
        assert through_form["errors"]["phone"].startswith("Vul een mobiel nummer in")
        assert through_file.phone == stored
    else:
        assert through_form["phone"] == stored
        assert through_file.phone == stored


@pytest.mark.parametrize(
    ("option", "typed"),
    [("--email", "  Zoe@EXAMPLE.org "), ("--email", "zoe@example.org"),
     ("--phone", "+31 6 1234 5678"), ("--phone", "0031612345678")],
)  # fmt: skip
def test_the_command_line_finds_a_resident_by_what_the_form_stored(
    option, typed, function_client, firestore_client, valid_signup
):
    signup = {**valid_signup, "email": "Zoe@example.org", "phone": "06-12345678"}
    assert function_client("signup").post("/signup", data=signup).status_code == 303
    out = io.StringIO()
    assert cli.main(["signups", "erase", option, typed], out=out) == 0, out.getvalue()
    assert list(firestore_client.collection("signups").stream()) == []


@pytest.mark.parametrize(
    ("option", "typed"), [("--email", "jürgen@example.org"), ("--phone", "12345")]
)
def test_the_command_line_refuses_what_the_form_refuses(option, typed, app_environment):
    out = io.StringIO()
    assert cli.main(["signups", "erase", option, typed], out=out) == 2
    assert out.getvalue().startswith("not a valid")


def delivered_recipients(firestore_client, tmp_path) -> dict[str, str]:
    """Deliver every queued mail to files, as the functions would; each mail's To address."""
    from email import policy
    from email.parser import BytesParser

    from buurtwhatsapp import bootstrap
    from buurtwhatsapp.mail.delivery import deliver

    mailer = bootstrap.runtime().mailer
    recipients = {}
    for snapshot in firestore_client.collection("mail").stream():
        if snapshot.get("status") == "queued" and snapshot.get("not_before"):
            deliver(snapshot.id, mailer)
            eml = tmp_path / "outbox" / f"{snapshot.id}.eml"
            if eml.exists():
                message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
                recipients[snapshot.get("template")] = message["To"].addresses[0].addr_spec
    return recipients


def test_a_resident_at_an_eszett_domain_is_mailed_there_not_at_the_ss_domain(
    function_client, firestore_client, valid_signup, tmp_path
):
    signup = {**valid_signup, "email": "resident@xn--fa-hia.de"}
    assert function_client("signup").post("/signup", data=signup).status_code == 303
    [stored] = [s.to_dict() for s in firestore_client.collection("signups").stream()]
    assert stored["email"] == "resident@faß.de"

    assert delivered_recipients(firestore_client, tmp_path) == {
        "werkwijze": "resident@xn--fa-hia.de"
    }


def test_a_coordinator_set_at_an_eszett_domain_gets_the_handover_there(
    function_client, firestore_client, valid_signup, tmp_path
):
    # The handover lists every member with name, address and number: it must not go astray.
    out = io.StringIO()
    command = ["coordinators", "set", "dorp", "--name", "Fenna", "--phone", "06-12340009"]
    assert cli.main([*command, "--email", "fenna@xn--fa-hia.de"], out=out) == 0, out.getvalue()

    assert delivered_recipients(firestore_client, tmp_path) == {
        "coordinator-handover": "fenna@xn--fa-hia.de",
        "coordinator-thanks": "coordinator.dorp@example.org",
    }


# typed -> as stored (None: refused everywhere). One rule for names (contacts.normalise_name).
NAMES = [
    ("Zoë van 't Veld", "Zoë van 't Veld"),
    ("  Zoe\u0308 ", "Zoë"),  # decomposed: stored composed (NFC)
    ("Jan \u202eJansen", None),  # a bidi override: reads as another name
    ("Jan\u2028Jansen", None),  # a line separator
    ("Jan\u200bJansen", None),  # a zero-width space
    ("Jan\x00", None),
    ("x" * 101, None),
]


@pytest.mark.parametrize(("typed", "stored"), NAMES, ids=repr)
def test_a_name_is_taken_or_refused_alike_by_the_form_the_file_and_the_command_line(
    typed, stored, deployment, app_environment
):
    raw = {
        "name": typed, "email": "zoe@example.org", "phone": "06-12345678",
        "street": "Lisserweg", "house_number": "500", "postcode": "2158 AB",
        "adult": "on", "whatsapp": "on", "rules": "on", "privacy": "on",
    }  # fmt: skip
    from buurtwhatsapp.deployment.schema import check_people

    person = {"name": typed, "email": "fenna@example.org", "phone": "06-12340009"}
    out = io.StringIO()
    code = cli.main(
        ["coordinators", "set", "dorp", "--name", typed, "--email", person["email"],
         "--phone", person["phone"]],
        out=out,
    )  # fmt: skip
    if stored is None:
        with pytest.raises(InvalidInput) as refused:
            validate_signup(raw, deployment)
        assert set(refused.value.errors) == {"name"}
        with pytest.raises(ConfigError):
            check_people({"coordinator": person})
        assert code == 2 and out.getvalue().startswith("--name: "), out.getvalue()
    else:
        assert validate_signup(raw, deployment).name == stored
        assert check_people({"coordinator": person})[0].name == stored
        assert code == 0, out.getvalue()
