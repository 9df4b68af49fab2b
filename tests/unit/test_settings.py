"""The settings object: read from the environment, every problem named at once."""

from __future__ import annotations

import pytest

from buurtwhatsapp.settings import LOCAL_KEY_PEPPER, Settings, SettingsError


def test_a_bare_environment_gives_the_local_defaults():
    settings = Settings.from_env({})
    assert settings.mail_transport == "file"
    assert settings.public_base_url == "http://localhost:8080"
    assert (settings.rate_limit_posts, settings.rate_limit_window_seconds) == (20, 600)
    assert settings.deployment_file.name == "buitenkaag.toml"
    assert settings.news_mails_per_second == 10  # inside SES's default 14 a second


def test_every_problem_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "MAIL_TRANSPORT": "pigeon",
                "PUBLIC_BASE_URL": "http://buurt.example.org",
                "MAIL_SENDER": "a@example.org, b@example.org",
                "MAX_BODY_BYTES": "lots",
                "RATE_LIMIT": "20",
                "SES_TAGS": "initiative",
                "ALLOWED_ORIGINS": "https://www.example.org,http://[::1",
                "NEWS_MAILS_PER_SECOND": "snel",
                "EMBED_ORIGINS": "https://www.example.org/pagina",
            }
        )
    message = str(caught.value)
    assert "https://www.example.org'" not in message  # the good origin is not named
    for variable in (
        "ALLOWED_ORIGINS",
        "MAIL_TRANSPORT",
        "PUBLIC_BASE_URL",
        "MAIL_SENDER",
        "MAX_BODY_BYTES",
        "RATE_LIMIT",
        "SES_TAGS",
        "NEWS_MAILS_PER_SECOND",
        "EMBED_ORIGINS",
    ):
        assert variable in message


@pytest.mark.parametrize(
    ("value", "valid"), [("0.5", True), ("14", True), ("0", False), ("500", False)]
)
def test_the_news_pace_is_a_number_of_mails_a_second_within_bounds(value, valid):
    environment = {"NEWS_MAILS_PER_SECOND": value}
    if valid:
        assert Settings.from_env(environment).news_mails_per_second == float(value)
    else:
        with pytest.raises(SettingsError, match="NEWS_MAILS_PER_SECOND must be a number"):
            Settings.from_env(environment)


def test_real_mail_needs_a_real_signing_key_pepper_and_server():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"MAIL_TRANSPORT": "smtp", "SIGNING_KEY": "short", "KEY_PEPPER": "p"})
    for variable in ("SIGNING_KEY", "KEY_PEPPER", "SMTP_HOST"):
        assert variable in str(caught.value)


def test_local_runs_have_a_pepper_of_their_own_and_real_ones_use_theirs():
    assert Settings.from_env({}).key_pepper == LOCAL_KEY_PEPPER
    pepper = "p" * 40
    assert Settings.from_env({"KEY_PEPPER": pepper}).key_pepper == pepper


def test_ses_settings_are_parsed():
    settings = Settings.from_env(
        {
            "MAIL_TRANSPORT": "ses",
            "SIGNING_KEY": "k" * 32,
            "KEY_PEPPER": "p" * 32,
            "PUBLIC_BASE_URL": "https://buurt.example.org/",
            "SES_TAGS": "initiative=buitenkaag, env=prod",
            "SES_CONFIGURATION_SET": "buurt",
        }
    )
    assert settings.public_base_url == "https://buurt.example.org"
    assert settings.transport.tags == (("initiative", "buitenkaag"), ("env", "prod"))
    assert settings.transport.configuration_set == "buurt"


@pytest.mark.parametrize(
    "origin",
    [
        "http://[::1",
        "www.example.org",
        "ftp://example.org",
        "https://example.org/page",
        "https://a@b.org",
        "https://x.org:0",
    ],
)
def test_an_allowed_origin_must_be_an_origin(origin):
    with pytest.raises(SettingsError, match="ALLOWED_ORIGINS"):
        Settings.from_env({"ALLOWED_ORIGINS": f"https://www.example.org, {origin}"})


def test_allowed_origins_are_trimmed():
    settings = Settings.from_env(
        {"ALLOWED_ORIGINS": " https://www.example.org/ ,http://localhost:3000"}
    )
    assert settings.allowed_origins == ("https://www.example.org", "http://localhost:3000")


def test_origins_are_kept_as_a_browser_sends_them():
    """A default port or capitals written out in the settings still match the Origin a
    browser sends, and a redirect back to that site (forms/validation.check_redirect)."""
    from buurtwhatsapp.forms.validation import check_redirect

    settings = Settings.from_env({"ALLOWED_ORIGINS": "https://WWW.Example.org:443/"})
    assert settings.allowed_origins == ("https://www.example.org",)
    back = check_redirect("https://www.example.org:443/bedankt", settings.allowed_origins)
    assert back is not None and back.origin == "https://www.example.org"
