"""The example env file and secrets file, written from the transports' registry.

``python3 infra/deploy.py examples DIR`` writes ``DIR/my-env.yaml`` and ``DIR/secrets.env`` to
copy from: the settings every deployment has, and each mail transport's own lines as its kind
declares them (buurtwhatsapp/mail/transports), SES filled in and the others commented out. So
a new transport never touches these files.
"""

from __future__ import annotations

from pathlib import Path

from buurtwhatsapp.mail.transports import KINDS
from infra.deploy_settings import GENERATED_SECRETS, default_secret_name

# The transport the example chooses; the others are there, commented out.
CHOSEN = "ses"


def env_example() -> str:
    secrets = "\n".join(
        f"#   {variable:<40} generated on the first deploy (secret {default_secret_name(variable)})"
        for variable in GENERATED_SECRETS
    )
    per_transport = "\n".join(
        f'#   {", ".join(kind.secret_variables):<40} for MAIL_TRANSPORT "{kind.name}"'
        for kind in KINDS.values()
        if kind.secret_variables
    )
    transports = "\n\n".join(
        kind.example if name == CHOSEN else _commented(kind.example)
        for name, kind in KINDS.items()
        if name != "file"
    )
    return f"""\
# Settings for `make deploy ... ENV_FILE=my-env.yaml`. Fill it in, keep it out of git.
# One `KEY: "value"` per line. What the functions read is described in README.md, Configuration.
# Keys that start with DEPLOY_ configure the deploy itself and never reach the functions.
#
# No secrets here. The deploy keeps them in Secret Manager and gives each function a pinned version:
{secrets}
{per_transport}
# A mail credential is read from the file DEPLOY_SECRETS_FILE names (NAME=value lines, see
# secrets.env), or asked for in the terminal, the first time its secret is made.

MAIL_SENDER: "Buurt WhatsApp Buitenkaag <buurtwhatsapp@example.org>"

{transports}

# Optional: the address of the forms, as residents see it in every link. Leave it out and the
# deploy uses Google's own address, https://REGION-PROJECT.cloudfunctions.net (each function at
# /signup, /confirm, ...). Set it only once a domain of your own points at the functions
# (README, "A domain of your own").
# PUBLIC_BASE_URL: "https://aanmelden.example.org"

# Optional: other web sites whose pages may post to the forms (their own HTML form, which may
# send the browser back to them with redirect=URL), comma-separated.
# ALLOWED_ORIGINS: "https://www.example.org"

# Optional: the web sites that may show the forms in an iframe (?embed=1), comma-separated;
# without it no site may (README, "The form on your own site").
# EMBED_ORIGINS: "https://www.example.org"

# Optional: how many news mails infra/maintain news send queues a second; keep it under the
# transport's sending rate (SES: 14 a second unless raised, 1 in its sandbox). Default 10.
# NEWS_MAILS_PER_SECOND: "10"

# Optional: a named Firestore database instead of "(default)".
# FIRESTORE_DATABASE: "buurtwhatsapp"

# Optional: how many seconds a running function keeps the coordinators it read before reading
# them again (infra/maintain coordinators set); 0 to 3600, default 300.
# PEOPLE_CACHE_SECONDS: "300"

# Deploy settings.
# Where a NEW Firestore database goes: eur3 (multi-region Europe, the default) or a region such as
# europe-west4. An existing database stays where it is: a database cannot move.
DEPLOY_DATABASE_LOCATION: "eur3"
# The file with the mail credentials (relative to this file). Keep it out of git, too.
DEPLOY_SECRETS_FILE: "secrets.env"
# Optional: another Secret Manager secret name for a variable, e.g.
# DEPLOY_SECRET_SIGNING_KEY: "my-signing-key"
# Recommended: who hears about trouble without looking. With an address the deploy sets up
# e-mail alerts (mail that failed for good, functions answering errors, a scheduled job that
# has not run for 2 hours) and a monthly budget with alerts at 50%, 90% and 100%, in the
# billing account's currency.
# DEPLOY_ALERT_EMAIL: "beheer@example.org"
# DEPLOY_BUDGET: "5EUR"
"""


def secrets_example() -> str:
    lines = "\n".join(
        kind.example_secrets if name == CHOSEN else _commented(kind.example_secrets)
        for name, kind in KINDS.items()
        if kind.example_secrets
    )
    return f"""\
# Mail credentials for the deploy (DEPLOY_SECRETS_FILE in the env file). Fill in, keep out
# of git. Read only when a secret does not exist yet; to replace a credential later, see README,
# "Changing a secret".
{lines}
"""


def write_examples(directory: Path) -> tuple[Path, Path]:
    """Write my-env.yaml and secrets.env into ``directory``; refuse to overwrite either."""
    env_file, secrets_file = directory / "my-env.yaml", directory / "secrets.env"
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in ((env_file, env_example()), (secrets_file, secrets_example())):
        with path.open("x", encoding="utf-8") as target:  # never over a file filled in
            target.write(text)
    return env_file, secrets_file


def _commented(text: str) -> str:
    return "\n".join(line if line.startswith("#") else f"# {line}" for line in text.splitlines())
