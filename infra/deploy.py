"""Deploy one initiative to Google Cloud with one command.

    make deploy PROJECT=my-project DEPLOYMENT=infra/deployments/buitenkaag.toml \
                ENV_FILE=infra/env.example.yaml [REGION=europe-west4] [DRY_RUN=1]

Steps: check the deployment file; stage the upload (functions/ + templates/ + the deployment
file as deployment.toml); enable the APIs; create the Firestore indexes and TTL policies; deploy
every function of infra/functions.py; schedule the sweep. Every step can run again safely.
Secrets live in Secret Manager (see infra/env.example.yaml for the names), never in the env file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.functions import FUNCTIONS, FunctionSpec, Trigger

REPOSITORY = Path(__file__).resolve().parent.parent
RUNTIME = "python311"
SERVICES = (
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "cloudscheduler.googleapis.com",
    "secretmanager.googleapis.com",
)
# Secret Manager secret -> environment variable, mounted into every function.
SECRETS = {"SIGNING_KEY": "buurtwhatsapp-signing-key"}
OPTIONAL_SECRETS = {
    "SMTP_PASSWORD": "buurtwhatsapp-smtp-password",
    "AWS_ACCESS_KEY_ID": "buurtwhatsapp-aws-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "buurtwhatsapp-aws-secret-access-key",
}
# Composite indexes for the scheduled queries: mail that is due or whose lease has lapsed
# (delivery sweep); sign-ups that wait for a reminder or for expiry (housekeeping).
INDEXES = (
    ("mail", ("status", "not_before")),
    ("mail", ("status", "lease_until")),
    ("signups", ("status", "confirm_reminder_sent", "created_at")),
    ("signups", ("status", "coordinator_reminder_sent", "confirmed_at")),
    ("signups", ("status", "created_at")),
)
# Firestore deletes these documents by itself once expire_at has passed.
TTL_COLLECTIONS = (
    "mail",
    "mail_claims",
    "signup_revisions",
    "applications",
    "application_keys",
    "form_mail_quota",
)


LOG_EXCLUSION = "buurtwhatsapp-link-tokens"
LOG_EXCLUSION_FILTER = 'log_id("run.googleapis.com/requests") AND httpRequest.requestUrl:"token="'


def stage(deployment_file: Path, build_dir: Path) -> Path:
    """The upload: the functions package, the templates and this initiative's configuration."""
    upload = build_dir / "functions"
    if upload.exists():
        shutil.rmtree(upload)
    shutil.copytree(
        REPOSITORY / "functions",
        upload,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "deployment.toml", "templates"),
    )
    shutil.copytree(REPOSITORY / "templates", upload / "templates")
    shutil.copyfile(deployment_file, upload / "deployment.toml")
    return upload


def function_command(
    spec: FunctionSpec,
    *,
    project: str,
    region: str,
    database: str,
    source: Path,
    env_file: Path,
    secrets: dict[str, str],
) -> list[str]:
    command = [
        "gcloud", "functions", "deploy", function_name(spec),
        f"--project={project}", f"--region={region}", "--gen2", f"--runtime={RUNTIME}",
        f"--source={source}", f"--entry-point={spec.entry_point}",
        f"--env-vars-file={env_file}",
        "--set-secrets=" + ",".join(f"{var}={name}:latest" for var, name in secrets.items()),
        "--memory=256Mi", "--timeout=120s", "--max-instances=10",
    ]  # fmt: skip
    if spec.trigger is Trigger.MAIL_CREATED:
        command += [
            "--trigger-event-filters=type=google.cloud.firestore.document.v1.created",
            f"--trigger-event-filters=database={database}",
            "--trigger-event-filters-path-pattern=document=mail/{mailId}",
            f"--trigger-location={region}",
            # Eventarc retries only if the function itself crashes; send failures are retried
            # by the outbox with backoff, not by redelivering the event.
            "--retry",
        ]
    else:
        command.append("--trigger-http")
        command.append("--allow-unauthenticated" if spec.public else "--no-allow-unauthenticated")
    return command


def function_name(spec: FunctionSpec) -> str:
    return spec.entry_point.replace("_", "-")


def commands(
    *,
    project: str,
    region: str,
    database: str,
    source: Path,
    env_file: Path,
    secrets: dict[str, str],
    scheduler_account: str,
) -> list[list[str]]:
    where = [f"--project={project}"]
    steps = [["gcloud", "services", "enable", *SERVICES, *where]]
    account_name, _, account_domain = scheduler_account.partition("@")
    if account_domain == f"{project}.iam.gserviceaccount.com":
        steps.append(
            ["gcloud", "iam", "service-accounts", "create", account_name, *where,
             "--display-name=Buurt WhatsApp scheduler"]
        )  # fmt: skip
    for collection, fields in INDEXES:
        steps.append(
            ["gcloud", "firestore", "indexes", "composite", "create", *where,
             f"--database={database}", f"--collection-group={collection}",
             "--query-scope=COLLECTION",
             *(f"--field-config=field-path={field},order=ascending" for field in fields),
             "--async"]
        )  # fmt: skip
    for collection in TTL_COLLECTIONS:
        steps.append(
            ["gcloud", "firestore", "fields", "ttls", "update", "expire_at", *where,
             f"--database={database}", f"--collection-group={collection}", "--enable-ttl",
             "--async"]
        )  # fmt: skip
    # Cloud Run's request log keeps each request's full URL, query string included, so the
    # signed tokens of the link pages (a leave token erases a member for two years) would sit
    # in Cloud Logging for its retention (30 days in _Default). Keep those entries out.
    steps.append(
        ["gcloud", "logging", "sinks", "update", "_Default", *where,
         f"--add-exclusion=name={LOG_EXCLUSION},description=Signed link tokens in request URLs,"
         f"filter={LOG_EXCLUSION_FILTER}"]
    )  # fmt: skip
    for spec in FUNCTIONS:
        steps.append(
            function_command(
                spec, project=project, region=region, database=database, source=source,
                env_file=env_file, secrets=secrets,
            )
        )  # fmt: skip
    for spec in FUNCTIONS:
        if spec.trigger is not Trigger.SCHEDULE:
            continue
        name = function_name(spec)
        url = f"https://{region}-{project}.cloudfunctions.net/{name}"
        steps.append(
            # Only the scheduler's account may call the scheduled functions.
            ["gcloud", "functions", "add-invoker-policy-binding", name, *where,
             f"--region={region}", f"--member=serviceAccount:{scheduler_account}"]
        )  # fmt: skip
        steps.append(
            ["gcloud", "scheduler", "jobs", "create", "http", name, *where,
             f"--location={region}", f"--schedule={spec.schedule}", f"--uri={url}",
             "--http-method=POST", f"--oidc-service-account-email={scheduler_account}",
             f"--oidc-token-audience={url}", "--attempt-deadline=180s"]
        )  # fmt: skip
    return steps


def database_in(env_file: Path) -> str:
    """FIRESTORE_DATABASE as the env file sets it for the functions, so that the trigger,
    the indexes and the functions all use the same database."""
    for line in env_file.read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "FIRESTORE_DATABASE" and value.strip():
            return value.strip().strip("'\"")
    return "(default)"


# Steps that fail only because their object exists already; the deploy goes on.
ALREADY_DONE = ("already exists", "ALREADY_EXISTS")


def run(steps: Sequence[Sequence[str]], *, dry_run: bool) -> int:
    for step in steps:
        print("+ " + " ".join(step), flush=True)
        if dry_run:
            continue
        result = subprocess.run(step, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            if any(marker in result.stderr for marker in ALREADY_DONE):
                print("  (exists already: left as it is)")
                continue
            sys.stderr.write(result.stderr)
            print(
                f"deploy stopped: step failed with exit code {result.returncode}", file=sys.stderr
            )
            return result.returncode
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--region", default="europe-west4")
    parser.add_argument("--deployment", type=Path, required=True, help="the initiative's .toml")
    parser.add_argument("--env-file", type=Path, required=True, help="non-secret settings, YAML")
    parser.add_argument("--scheduler-account", help="service account that calls the sweep")
    parser.add_argument(
        "--with-secret",
        action="append",
        default=[],
        choices=OPTIONAL_SECRETS,
        help="also mount this optional secret (SMTP or SES credentials)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPOSITORY / "functions"))
    from buurtwhatsapp.config import ConfigError, load_deployment

    try:
        load_deployment(args.deployment)
    except ConfigError as error:
        print(f"deployment file refused:\n{error}", file=sys.stderr)
        return 2
    if not args.env_file.is_file():
        print(f"env file not found: {args.env_file}", file=sys.stderr)
        return 2

    source = stage(args.deployment, REPOSITORY / "build")
    secrets = {**SECRETS, **{name: OPTIONAL_SECRETS[name] for name in args.with_secret}}
    account = args.scheduler_account or (
        f"buurtwhatsapp-scheduler@{args.project}.iam.gserviceaccount.com"
    )
    steps = commands(
        database=database_in(args.env_file),
        project=args.project,
        region=args.region,
        source=source,
        env_file=args.env_file,
        secrets=secrets,
        scheduler_account=account,
    )
    return run(steps, dry_run=args.dry_run)


if __name__ == "__main__":
    raise SystemExit(main())
