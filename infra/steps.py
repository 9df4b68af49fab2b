"""The deploy, step by step: each step reads what is there, then creates what is missing, updates
what differs, and leaves alone what is right ("unchanged"). Never by matching gcloud's error text:
a step decides from what a list, describe or get-iam-policy answers.

Order matters, and each step may use what earlier ones learned (``Context.facts``): the database
location decides the trigger's, the secret versions are pinned in the functions, a function's
URL goes into its scheduler job.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from getpass import getpass
from pathlib import Path
from typing import Any, TextIO

from buurtwhatsapp.common.logs import MAIL_FAILED_FOR_GOOD, SCHEDULED_RUN_DONE
from buurtwhatsapp.mail.outbox import Outbox
from buurtwhatsapp.model import EXPIRING
from buurtwhatsapp.store import Store
from infra.deploy_settings import GENERATED_SECRETS, DeploySettings
from infra.functions import FUNCTIONS, FunctionSpec, Trigger
from infra.gcloud import Gcloud, GcloudError, Unreadable

RUNTIME = "python311"
SERVICES = (
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "eventarcpublishing.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
)


@dataclass(frozen=True)
class Account:
    """A service account the deploy creates, and the project roles it needs (least privilege;
    per-resource grants, such as a secret or a function's invoker, come with their resource)."""

    name: str
    display_name: str
    project_roles: tuple[str, ...]

    def email(self, project: str) -> str:
        return f"{self.name}@{project}.iam.gserviceaccount.com"


RUNTIME_ACCOUNT = Account(
    "buurtwhatsapp-runtime", "Buurt WhatsApp functions", ("roles/datastore.user",)
)
BUILD_ACCOUNT = Account(
    "buurtwhatsapp-build", "Buurt WhatsApp build", ("roles/cloudbuild.builds.builder",)
)
TRIGGER_ACCOUNT = Account(
    "buurtwhatsapp-trigger", "Buurt WhatsApp mail trigger", ("roles/eventarc.eventReceiver",)
)
SCHEDULER_ACCOUNT = Account("buurtwhatsapp-scheduler", "Buurt WhatsApp scheduler", ())
ACCOUNTS = (RUNTIME_ACCOUNT, BUILD_ACCOUNT, TRIGGER_ACCOUNT, SCHEDULER_ACCOUNT)
EVENTARC_AGENT_ROLE = "roles/eventarc.serviceAgent"
# A project whose Pub/Sub service agent was made before 8 April 2021 lacks this role on it, and
# then the Eventarc trigger of a Firestore event never delivers (Eventarc's documentation for
# Firestore triggers says to grant it). Newer projects have it; only older ones get the grant.
PUBSUB_AGENT_ROLE = "roles/iam.serviceAccountTokenCreator"
PUBSUB_AGENT_BEFORE = "2021-04-08"

# The composite indexes the queries declare next to themselves (mail that is due for the sweep;
# sign-ups waiting for a reminder or for expiry), and the collections whose documents expire:
# read from the package, never written here again.
INDEXES = tuple(
    (index.collection, index.fields)
    for index in (*Outbox.COMPOSITE_INDEXES, *Store.COMPOSITE_INDEXES)
)
TTL_COLLECTIONS = EXPIRING
LOG_EXCLUSION = "buurtwhatsapp-link-tokens"
LOG_EXCLUSION_FILTER = 'log_id("run.googleapis.com/requests") AND httpRequest.requestUrl:"token="'
# Gen2 functions keep their images in this Artifact Registry repository of their region.
IMAGES_REPOSITORY = "gcf-artifacts"
# Old images carry the deployment file (coordinators' names and numbers): keep the last two
# builds of each function, delete the rest after a week.
CLEANUP_POLICIES = [
    {"name": "keep-latest", "action": {"type": "Keep"}, "mostRecentVersions": {"keepCount": 2}},
    {
        "name": "delete-old",
        "action": {"type": "Delete"},
        "condition": {"tagState": "any", "olderThan": "7d"},
    },
]
# Earlier uploads of the source (noncurrent object versions) go after a week; the current one
# stays, as the function is rebuilt from it.
SOURCE_LIFECYCLE = {
    "rule": [{"action": {"type": "Delete"}, "condition": {"isLive": False, "age": 7}}]
}
SCHEDULE_TIME_ZONE = "Europe/Amsterdam"
SCHEDULER_DEADLINE = "180s"
FINGERPRINT_LABEL = "buurtwhatsapp-fingerprint"
# A fresh project's first event trigger often fails while the Eventarc service agent's
# permissions propagate ("Permission denied while using the Eventarc Service Agent").
EVENTARC_RETRIES = 6
EVENTARC_RETRY_SECONDS = 60
# An API enabled a moment ago may still answer that it is disabled ("If you enabled this API
# recently, wait a few minutes for the action to propagate to our systems and retry"): the
# database and the secrets are created again after a short wait, a few times.
API_SETTLING = "wait a few minutes for the action to propagate"
API_SETTLE_RETRIES = 4
API_SETTLE_SECONDS = 30


class DeployError(Exception):
    """A step cannot go on; the message says what is wrong and what to do."""


@dataclass
class Context:
    settings: DeploySettings
    gcloud: Gcloud
    build_dir: Path
    source: Path
    out: TextIO = field(default_factory=lambda: sys.stdout)
    # Looked up when called, so that a test can stand in for the terminal.
    ask: Callable[[str], str] = field(default=lambda prompt: getpass(prompt))
    sleep: Callable[[float], None] = time.sleep
    facts: dict[str, Any] = field(default_factory=dict)
    # The deployment file as given, and as read (the upload holds a copy without people):
    # see people().
    deployment_file: Path | None = None
    deployment: Any = None  # deployment.structure.Deployment, imported with the deploy's venv

    @property
    def dry_run(self) -> bool:
        return self.gcloud.dry_run

    @property
    def project(self) -> str:
        return self.settings.project

    @property
    def region(self) -> str:
        return self.settings.region

    def read(self, *args: str, missing: Any = None) -> Any:
        """A read; in a dry run that cannot read the project, ``missing`` (as on a new one)."""
        try:
            return self.gcloud.read(*args)
        except Unreadable:
            return missing

    def say(self, text: str) -> None:
        print(f"    {text}", file=self.out, flush=True)

    def account(self, account: Account) -> str:
        return account.email(self.project)

    @property
    def project_number(self) -> str:
        if "project_number" not in self.facts:
            self._describe_project()
        return self.facts["project_number"]

    @property
    def project_created(self) -> str:
        """When the project was made (RFC 3339, "" when unknown), for the old projects'
        caveats."""
        if "project_created" not in self.facts:
            self._describe_project()
        return self.facts["project_created"]

    def _describe_project(self) -> None:
        project = self.read("projects", "describe", self.project, missing={})
        self.facts["project_number"] = str(project.get("projectNumber") or "PROJECT_NUMBER")
        self.facts["project_created"] = str(project.get("createTime") or "")


Outcome = str
StepFunction = Callable[[Context], Outcome]


def changed(verb: str, what: Iterable[str] = ()) -> Outcome:
    items = list(what)
    return f"{verb} {', '.join(items)}" if items else verb


# ---- the steps ----------------------------------------------------------------------------------


def apis(ctx: Context) -> Outcome:
    enabled = {s["config"]["name"] for s in ctx.read("services", "list", "--enabled", missing=[])}
    missing = [service for service in SERVICES if service not in enabled]
    if not missing:
        return "unchanged"
    # gcloud waits for the enabling to finish (no --async); the check after it makes sure.
    ctx.gcloud.change("services", "enable", *missing)
    if not ctx.dry_run:
        _wait_until(
            ctx,
            lambda: (
                set(missing)
                <= {s["config"]["name"] for s in ctx.read("services", "list", "--enabled")}
            ),
            what="the APIs to show as enabled",
        )
    return changed("enabled", missing)


def database(ctx: Context) -> Outcome:
    settings = ctx.settings
    wanted_name = f"projects/{ctx.project}/databases/{settings.database}"
    found = [
        d
        for d in ctx.read("firestore", "databases", "list", missing=[])
        if d.get("name") == wanted_name
    ]
    if found:
        [existing] = found
        if existing.get("type") != "FIRESTORE_NATIVE":
            raise DeployError(
                f"Firestore database {settings.database} is in {existing.get('type')} mode; this "
                "product needs Native mode. Use another database (FIRESTORE_DATABASE in the env "
                "file) or another project."
            )
        location = existing["locationId"]
        if settings.database_location_given and location != settings.database_location:
            raise DeployError(
                f"Firestore database {settings.database} exists in {location}, not in "
                f"{settings.database_location} (DEPLOY_DATABASE_LOCATION); a database cannot move. "
                f'Set DEPLOY_DATABASE_LOCATION: "{location}" or remove it.'
            )
        ctx.facts["database_location"] = location
        return f"unchanged (in {location})"
    location = settings.database_location
    _settling(
        ctx,
        lambda: ctx.gcloud.change(
            "firestore", "databases", "create", f"--database={settings.database}",
            f"--location={location}", "--type=firestore-native", "--delete-protection",
        ),
    )  # fmt: skip
    ctx.facts["database_location"] = location
    return f"created in {location}"


def service_accounts(ctx: Context) -> Outcome:
    existing = {a["email"] for a in ctx.read("iam", "service-accounts", "list", missing=[])}
    created = []
    for account in ACCOUNTS:
        if ctx.account(account) in existing:
            continue
        ctx.gcloud.change(
            "iam", "service-accounts", "create", account.name,
            f"--display-name={account.display_name}",
        )  # fmt: skip
        created.append(account.name)
    return changed("created", created) if created else "unchanged"


def project_roles(ctx: Context) -> Outcome:
    """The accounts' project roles, and the Eventarc service agent's role (its absence is the
    usual cause of a failing first trigger on a fresh project)."""
    policy = ctx.read("projects", "get-iam-policy", ctx.project, missing={})
    have = {(b["role"], m) for b in policy.get("bindings", []) for m in b.get("members", [])}
    wanted = [
        (role, f"serviceAccount:{ctx.account(account)}")
        for account in ACCOUNTS
        for role in account.project_roles
    ]
    agent = f"serviceAccount:service-{ctx.project_number}@gcp-sa-eventarc.iam.gserviceaccount.com"
    if (EVENTARC_AGENT_ROLE, agent) not in have:
        # Creates the agent if Eventarc has not yet; says who it is if it has.
        ctx.gcloud.change(
            "beta", "services", "identity", "create", "--service=eventarc.googleapis.com"
        )
        wanted.append((EVENTARC_AGENT_ROLE, agent))
    created = ctx.project_created
    pubsub = f"serviceAccount:service-{ctx.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
    if created and created < PUBSUB_AGENT_BEFORE and (PUBSUB_AGENT_ROLE, pubsub) not in have:
        ctx.gcloud.change(
            "beta", "services", "identity", "create", "--service=pubsub.googleapis.com"
        )
        wanted.append((PUBSUB_AGENT_ROLE, pubsub))
    granted = []
    for role, member in wanted:
        if (role, member) in have:
            continue
        _retrying(
            ctx,
            lambda role=role, member=member: ctx.gcloud.change(
                "projects",
                "add-iam-policy-binding",
                ctx.project,
                f"--member={member}",
                f"--role={role}",
                "--condition=None",
            ),
            # A service account created a moment ago may not be visible to IAM yet.
            why="a new service account can take a minute to be known to IAM",
        )
        granted.append(role.removeprefix("roles/"))
    return changed("granted", granted) if granted else "unchanged"


def secret_values(ctx: Context) -> Outcome:
    """Each secret the functions need exists, has an enabled version (pinned in the functions),
    and is readable by the runtime account, and by nobody else through this deploy."""
    settings = ctx.settings
    existing = {s["name"].rsplit("/", 1)[-1] for s in ctx.read("secrets", "list", missing=[])}
    runtime_member = f"serviceAccount:{ctx.account(RUNTIME_ACCOUNT)}"
    done: list[str] = []
    versions: dict[str, str] = {}
    for variable, secret in settings.secret_names.items():
        version = None
        if secret in existing:
            latest = ctx.read(
                "secrets", "versions", "list", secret, "--filter=state:ENABLED",
                "--sort-by=~createTime", "--limit=1", missing=[],
            )  # fmt: skip
            version = latest[0]["name"].rsplit("/", 1)[-1] if latest else None
        else:
            _settling(
                ctx,
                lambda secret=secret: ctx.gcloud.change(
                    "secrets", "create", secret, "--replication-policy=user-managed",
                    f"--locations={ctx.region}",
                ),
            )  # fmt: skip
            done.append(f"created {secret}")
        if version is None:
            value, label = _secret_value(ctx, variable, secret)
            answer = ctx.gcloud.change(
                "secrets", "versions", "add", secret, "--data-file=-", "--format=json",
                stdin=value, stdin_label=label,
            )  # fmt: skip
            version = json.loads(answer)["name"].rsplit("/", 1)[-1] if answer else "1"
            done.append(f"new version of {secret}")
        versions[variable] = version
        policy = (
            ctx.read("secrets", "get-iam-policy", secret, missing={}) if secret in existing else {}
        )
        members = {
            m
            for b in policy.get("bindings", [])
            if b["role"] == "roles/secretmanager.secretAccessor"
            for m in b.get("members", [])
        }
        if runtime_member not in members:
            _retrying(
                ctx,
                lambda secret=secret: ctx.gcloud.change(
                    "secrets",
                    "add-iam-policy-binding",
                    secret,
                    f"--member={runtime_member}",
                    "--role=roles/secretmanager.secretAccessor",
                ),
                why="a new service account can take a minute to be known to IAM",
            )
            done.append(f"access to {secret}")
    ctx.facts["secret_versions"] = versions
    pinned = ", ".join(f"{settings.secret_names[v]}:{n}" for v, n in versions.items())
    return f"{', '.join(done)} (pinned {pinned})" if done else f"unchanged ({pinned})"


def _secret_value(ctx: Context, variable: str, secret: str) -> tuple[str, str]:
    """A new secret's value: generated (the signing key), from the secrets file, or asked for.
    Never from or onto a command line."""
    if variable in GENERATED_SECRETS:
        return secrets.token_urlsafe(48), "generated, 64 random characters"
    value = ctx.settings.given_secrets.get(variable)
    if value:
        return value, f"{variable} from {ctx.settings.secrets_file}"
    if ctx.dry_run:
        return "", f"{variable}, asked for when the deploy runs"
    if not sys.stdin.isatty():
        raise DeployError(
            f"secret {secret} ({variable}) has no value yet. Put {variable}=... in the file "
            "that DEPLOY_SECRETS_FILE names in the env file, or run the deploy in a terminal to "
            "be asked for it."
        )
    value = ctx.ask(f"    {variable} (for secret {secret}; not shown): ").strip()
    if not value:
        raise DeployError(f"no value given for {variable}; nothing was stored")
    return value, f"{variable} as typed"


def indexes(ctx: Context) -> Outcome:
    database = f"--database={ctx.settings.database}"
    listed = ctx.read("firestore", "indexes", "composite", "list", database, missing=[])
    have = {
        (
            index["name"].split("/collectionGroups/")[1].split("/")[0],
            tuple(f["fieldPath"] for f in index.get("fields", []) if f["fieldPath"] != "__name__"),
        )
        for index in listed
    }
    created = []
    for collection, fields in INDEXES:
        if (collection, fields) in have:
            continue
        # --async: built in the background within minutes; only the scheduled queries use them.
        ctx.gcloud.change(
            "firestore", "indexes", "composite", "create", database,
            f"--collection-group={collection}", "--query-scope=COLLECTION",
            *(f"--field-config=field-path={field},order=ascending" for field in fields),
            "--async",
        )  # fmt: skip
        created.append(f"{collection}({', '.join(fields)})")
    return changed("created", created) if created else "unchanged"


def ttl_policies(ctx: Context) -> Outcome:
    database = f"--database={ctx.settings.database}"
    listed = ctx.read("firestore", "fields", "ttls", "list", database, missing=[])
    have = {
        field["name"].split("/collectionGroups/")[1].split("/")[0]
        for field in listed
        if field["name"].endswith("/fields/expire_at")
        and field.get("ttlConfig", {}).get("state") in ("ACTIVE", "CREATING")
    }
    enabled = []
    for collection in TTL_COLLECTIONS:
        if collection in have:
            continue
        ctx.gcloud.change(
            "firestore", "fields", "ttls", "update", "expire_at", database,
            f"--collection-group={collection}", "--enable-ttl", "--async",
        )  # fmt: skip
        enabled.append(collection)
    return changed("enabled on", enabled) if enabled else "unchanged"


def log_exclusion(ctx: Context) -> Outcome:
    """Cloud Run's request log keeps each URL with its query: the link tokens (a leave token
    erases a member) must not be stored in Cloud Logging."""
    sink = ctx.read("logging", "sinks", "describe", "_Default", missing={})
    current = {e["name"]: e for e in sink.get("exclusions", [])}
    spec = (
        f"name={LOG_EXCLUSION},description=Signed link tokens in request URLs,"
        f"filter={LOG_EXCLUSION_FILTER}"
    )
    existing = current.get(LOG_EXCLUSION)
    if existing is None:
        ctx.gcloud.change("logging", "sinks", "update", "_Default", f"--add-exclusion={spec}")
        return "added"
    if existing.get("filter") != LOG_EXCLUSION_FILTER or existing.get("disabled"):
        ctx.gcloud.change("logging", "sinks", "update", "_Default", f"--update-exclusion={spec}")
        return "updated"
    return "unchanged"


def people(ctx: Context) -> Outcome:
    """The coordinators and regiegroep a deployment file still names go into Firestore, once
    (the upload never holds them); later changes go through infra/maintain, so a file's
    people change nothing once some are stored. Firestore is reached with the maintainer's
    application-default credentials, as infra/maintain does."""
    from buurtwhatsapp.deployment.people import People

    named = People.from_deployment(ctx.deployment)
    counts = (
        f"{len(named.coordinators)} coordinator(s), {len(named.regiegroep)} regiegroep member(s)"
    )
    if ctx.dry_run:
        # Planned, not skipped: this is the one step that needs the maintainer's own
        # application-default credentials, and a first deploy stops here without them.
        task = (
            "warn about groups without a coordinator"
            if named.is_empty
            else f"store {counts} from the deployment file, unless some are stored already"
        )
        ctx.say(
            "would read Firestore with your application-default credentials (made by: gcloud "
            f"auth application-default login; `check` tries them) and {task}"
        )
        return "planned: read the stored people with your application-default credentials"
    from google.api_core.exceptions import GoogleAPICallError
    from google.auth.exceptions import GoogleAuthError
    from google.cloud import firestore

    from buurtwhatsapp.common.clock import SystemClock
    from buurtwhatsapp.coordinators.changes import seed_people
    from buurtwhatsapp.store import Store

    try:
        store = Store(firestore.Client(project=ctx.project, database=ctx.settings.database))
        seeded = seed_people(deployment=ctx.deployment, store=store, clock=SystemClock())
    except (GoogleAuthError, GoogleAPICallError) as error:
        raise DeployError(
            f"cannot reach Firestore with your own Google login ({type(error).__name__}: "
            f"{str(error)[:300]}). Run: gcloud auth application-default login (an account with "
            f"roles/datastore.user on {ctx.project}), then deploy again."
        ) from None
    maintain = (
        f"GOOGLE_CLOUD_PROJECT={ctx.project} DEPLOYMENT_FILE={ctx.deployment_file} infra/maintain"
    )
    stored = seeded.people
    if stored is None or not stored.regiegroep:
        ctx.say(
            "no regiegroep is stored: sign-ups no group can take and coordinator applications "
            f"reach nobody. Set it: {maintain} regiegroep set --member NAME EMAIL PHONE"
        )
    for group in ctx.deployment.groups:
        if stored is None or not stored.coordinator_of(group.id):
            ctx.say(
                f"no coordinator for {group.id}: the regiegroep adds its residents. Set one: "
                f"{maintain} coordinators set {group.id} --name NAME --email EMAIL --phone PHONE"
            )
    return f"stored {counts} from the deployment file" if seeded.changed else "unchanged"


def tallies(ctx: Context) -> Outcome:
    """The overview's counters follow the deployment file's areas and streets: after the
    upgrade that brought them, or a change of streets, every sign-up is counted anew under
    the file's layout (overview/recount.py; ``infra/maintain tallies``). Run after the
    functions, so that the new instances already count so; housekeeping counts what an old
    instance still counted its way meanwhile. With nothing to move it only reads."""
    if ctx.dry_run:
        ctx.say(
            "would count every sign-up into the overview's counters for this file's streets "
            "(as infra/maintain tallies), with your application-default credentials"
        )
        return "planned: count the overview's counters with your application-default credentials"
    from google.api_core.exceptions import GoogleAPICallError
    from google.auth.exceptions import GoogleAuthError
    from google.cloud import firestore

    from buurtwhatsapp.common.clock import SystemClock
    from buurtwhatsapp.deployment.layout import Layout
    from buurtwhatsapp.overview.recount import recount
    from buurtwhatsapp.store import Store

    layout = Layout(ctx.deployment)
    try:
        client = firestore.Client(project=ctx.project, database=ctx.settings.database)
        counted = recount(layout=layout, store=Store(client, layout), clock=SystemClock())
    except (GoogleAuthError, GoogleAPICallError) as error:
        raise DeployError(
            f"cannot reach Firestore with your own Google login ({type(error).__name__}: "
            f"{str(error)[:300]}). Run: gcloud auth application-default login, then deploy "
            "again (or later: infra/maintain tallies)."
        ) from None
    if counted.left:
        ctx.say(
            f"{len(counted.left)} changed at every try: housekeeping counts them within the "
            "hour, or run infra/maintain tallies"
        )
    if not counted.signups and not counted.households:
        return "unchanged"
    return f"counted {counted.signups} sign-up(s) and {counted.households} household(s) anew"


def functions(ctx: Context) -> Outcome:
    listed = ctx.read("functions", "list", "--v2", f"--regions={ctx.region}", missing=[])
    found = {f["name"].rsplit("/", 1)[-1]: f for f in listed}
    source_hash = tree_hash(ctx.source)
    env_file = ctx.build_dir / "env.yaml"
    deployed = []
    for spec in FUNCTIONS:
        existing = found.get(spec.name)
        if existing is not None and existing.get("environment") == "GEN_1":
            raise DeployError(
                f"a 1st gen function {spec.name} exists in {ctx.region}; this deploy makes 2nd gen "
                f"functions and cannot change a function's generation. Delete it first: "
                f"gcloud functions delete {spec.name} --region={ctx.region} --project={ctx.project}"
            )
        args = function_args(ctx, spec, env_file)
        fingerprint = function_fingerprint(args, source_hash, env_file)
        labels = (existing or {}).get("labels", {})
        if (
            existing is not None
            and existing.get("state") == "ACTIVE"
            and labels.get(FINGERPRINT_LABEL) == fingerprint
        ):
            continue
        command = (
            "functions",
            "deploy",
            spec.name,
            *args,
            f"--update-labels={FINGERPRINT_LABEL}={fingerprint}",
        )
        if spec.trigger is Trigger.MAIL_CREATED:
            _retrying(
                ctx,
                lambda command=command: ctx.gcloud.change(*command),
                why="the Eventarc service agent of a new project needs a few minutes",
                attempts=EVENTARC_RETRIES,
                seconds=EVENTARC_RETRY_SECONDS,
                only_if="Eventarc Service Agent",
            )
        else:
            ctx.gcloud.change(*command)
        deployed.append(spec.name)
    if deployed and not ctx.dry_run:
        listed = ctx.read("functions", "list", "--v2", f"--regions={ctx.region}")
        found = {f["name"].rsplit("/", 1)[-1]: f for f in listed}
    ctx.facts["functions"] = found
    return changed("deployed", deployed) if deployed else "unchanged"


def function_args(ctx: Context, spec: FunctionSpec, env_file: Path) -> list[str]:
    versions = ctx.facts.get("secret_versions", {})
    secret_flags = ",".join(
        f"{variable}={secret}:{versions.get(variable, 'latest')}"
        for variable, secret in ctx.settings.secret_names.items()
    )
    args = [
        "--gen2", f"--region={ctx.region}", f"--runtime={RUNTIME}", f"--source={ctx.source}",
        f"--entry-point={spec.entry_point}", f"--env-vars-file={env_file}",
        f"--set-secrets={secret_flags}",
        f"--service-account={ctx.account(RUNTIME_ACCOUNT)}",
        f"--build-service-account=projects/{ctx.project}/serviceAccounts/{ctx.account(BUILD_ACCOUNT)}",
        "--memory=256Mi", "--timeout=120s", "--max-instances=10",
    ]  # fmt: skip
    if spec.cpu is not None:
        args.append(f"--cpu={spec.cpu}")
    if spec.trigger is Trigger.MAIL_CREATED:
        trigger_location = ctx.facts.get("database_location", ctx.settings.database_location)
        args += [
            "--trigger-event-filters=type=google.cloud.firestore.document.v1.created",
            f"--trigger-event-filters=database={ctx.settings.database}",
            "--trigger-event-filters-path-pattern=document=mail/{mailId}",
            # The database's own location (eur3, nam5 or a region), as Eventarc requires; the
            # function itself runs in the deploy's region.
            f"--trigger-location={trigger_location}",
            f"--trigger-service-account={ctx.account(TRIGGER_ACCOUNT)}",
            # Eventarc redelivers only when the function itself fails; a failed send is retried
            # by the outbox with backoff.
            "--retry",
            "--no-allow-unauthenticated",
        ]
    else:
        args += [
            "--trigger-http",
            "--allow-unauthenticated" if spec.public else "--no-allow-unauthenticated",
        ]
    return args


def function_fingerprint(args: list[str], source_hash: str, env_file: Path) -> str:
    """What a deployed function was made from: the source, its environment and every flag. Kept
    as a label on the function, so that a second deploy leaves an unchanged function alone.

    It claims nothing about who may call the function: gcloud's allUsers grant can fail after
    the label is set, so the invokers step verifies every function's callers on every run."""
    parts = [
        f"--env-vars-file={_file_hash(env_file)}" if a.startswith("--env-vars-file=") else a
        for a in args
        if not a.startswith("--source=")
    ]
    digest = hashlib.sha256("\n".join([source_hash, *parts]).encode()).hexdigest()
    return digest[:40]


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "none"


# What Google answers a grant to allUsers that an organisation's domain-restricted sharing
# (constraints/iam.allowedPolicyMemberDomains) forbids.
DOMAIN_RESTRICTED = "permitted customer"


def invokers(ctx: Context) -> Outcome:
    """Who may call each function, verified on every run: everybody (``allUsers``) the public
    ones, the scheduler its two, the trigger the mail one.

    gcloud grants ``allUsers`` after it created a public function, and only warns when that
    grant is refused; the function's fingerprint label (functions step) says nothing about it.
    So each public function's policy is read here, every time, and the grant made again where
    it is missing: a function never stays private while the deploy reports success.
    """

    def caller(spec: FunctionSpec) -> str:
        if spec.public:
            return "allUsers"
        account = SCHEDULER_ACCOUNT if spec.trigger is Trigger.SCHEDULE else TRIGGER_ACCOUNT
        return f"serviceAccount:{ctx.account(account)}"

    wanted = [(spec, caller(spec)) for spec in FUNCTIONS]
    granted = []
    deployed = ctx.facts.get("functions", {})
    for spec, member in wanted:
        # A function not deployed yet (only in a dry run) has no service, so no policy to read.
        policy = (
            ctx.read(
                "run", "services", "get-iam-policy", spec.name, f"--region={ctx.region}",
                missing={},
            )
            if spec.name in deployed
            else {}
        )  # fmt: skip
        members = {
            m
            for b in policy.get("bindings", [])
            if b["role"] == "roles/run.invoker"
            for m in b.get("members", [])
        }
        if member in members or (spec.public and ctx.dry_run and spec.name not in deployed):
            continue  # a dry run's new public function is granted by its deploy command
        try:
            ctx.gcloud.change(
                "functions", "add-invoker-policy-binding", spec.name, f"--region={ctx.region}",
                f"--member={member}",
            )  # fmt: skip
        except GcloudError as error:
            if member == "allUsers" and DOMAIN_RESTRICTED in error.message:
                raise DeployError(
                    f"{spec.name} must answer everybody (residents open it), but an "
                    "organisation policy refuses allUsers: domain-restricted sharing "
                    "(constraints/iam.allowedPolicyMemberDomains). Ask the organisation's "
                    "administrator for an exception for this project (README, Deploy, 'An "
                    "existing project'), or deploy into a project outside the organisation; "
                    "then deploy again. Until then the forms and links are private."
                ) from None
            raise
        granted.append(spec.name)
    return changed("granted on", granted) if granted else "unchanged"


def scheduler_jobs(ctx: Context) -> Outcome:
    listed = ctx.read("scheduler", "jobs", "list", f"--location={ctx.region}", missing=[])
    jobs = {job["name"].rsplit("/", 1)[-1]: job for job in listed}
    account = ctx.account(SCHEDULER_ACCOUNT)
    done = []
    for spec in FUNCTIONS:
        if spec.trigger is not Trigger.SCHEDULE:
            continue
        url = function_uri(ctx, spec)
        wanted = {
            "schedule": spec.schedule,
            "timeZone": SCHEDULE_TIME_ZONE,
            "uri": url,
            "httpMethod": "POST",
            "serviceAccountEmail": account,
            "audience": url,
            "attemptDeadline": SCHEDULER_DEADLINE,
        }
        flags = [
            f"--location={ctx.region}", f"--schedule={spec.schedule}",
            f"--time-zone={SCHEDULE_TIME_ZONE}", f"--uri={url}", "--http-method=POST",
            f"--oidc-service-account-email={account}", f"--oidc-token-audience={url}",
            f"--attempt-deadline={SCHEDULER_DEADLINE}",
        ]  # fmt: skip
        job = jobs.get(spec.name)
        if job is None:
            ctx.gcloud.change("scheduler", "jobs", "create", "http", spec.name, *flags)
            done.append(f"created {spec.name}")
        elif _job_settings(job) != wanted:
            ctx.gcloud.change("scheduler", "jobs", "update", "http", spec.name, *flags)
            done.append(f"updated {spec.name}")
    return ", ".join(done) if done else "unchanged"


def function_uri(ctx: Context, spec: FunctionSpec) -> str:
    """The function's own run.app address (Cloud Run's, which its OIDC tokens are checked
    against); before the first deploy, the address it will get."""
    function = ctx.facts.get("functions", {}).get(spec.name, {})
    uri = function.get("serviceConfig", {}).get("uri")
    return uri or f"https://{spec.name}-{ctx.project_number}.{ctx.region}.run.app"


def _job_settings(job: dict[str, Any]) -> dict[str, Any]:
    target = job.get("httpTarget", {})
    token = target.get("oidcToken", {})
    return {
        "schedule": job.get("schedule"),
        "timeZone": job.get("timeZone"),
        "uri": target.get("uri"),
        "httpMethod": target.get("httpMethod"),
        "serviceAccountEmail": token.get("serviceAccountEmail"),
        "audience": token.get("audience"),
        "attemptDeadline": job.get("attemptDeadline"),
    }


def cleanup_policies(ctx: Context) -> Outcome:
    """Old images and sources hold the deployment file, with coordinators' names and numbers:
    they must not stay for ever."""
    done = []
    repositories = ctx.read(
        "artifacts", "repositories", "list", f"--location={ctx.region}", missing=[]
    )
    images = next((r for r in repositories if r["name"].endswith(f"/{IMAGES_REPOSITORY}")), None)
    if images is None or _policies(images) != _policies({"cleanupPolicies": _policy_map()}):
        policy_file = ctx.build_dir / "cleanup-policies.json"
        policy_file.write_text(json.dumps(CLEANUP_POLICIES, indent=2) + "\n")
        ctx.gcloud.change(
            "artifacts", "repositories", "set-cleanup-policies", IMAGES_REPOSITORY,
            f"--location={ctx.region}", f"--policy={policy_file}", "--no-dry-run",
        )  # fmt: skip
        done.append(f"images ({IMAGES_REPOSITORY})")
    buckets = {
        f.get("buildConfig", {}).get("source", {}).get("storageSource", {}).get("bucket")
        for f in ctx.facts.get("functions", {}).values()
    } - {None}
    for bucket in sorted(buckets):
        described = ctx.read("storage", "buckets", "describe", f"gs://{bucket}", missing={})
        if described.get("lifecycle_config") == SOURCE_LIFECYCLE:
            continue
        lifecycle_file = ctx.build_dir / "source-lifecycle.json"
        lifecycle_file.write_text(json.dumps(SOURCE_LIFECYCLE, indent=2) + "\n")
        ctx.gcloud.change(
            "storage", "buckets", "update", f"gs://{bucket}", f"--lifecycle-file={lifecycle_file}"
        )
        done.append(f"sources (gs://{bucket})")
    if not buckets:
        ctx.say("(the sources bucket exists once a function is deployed; the next run sets it)")
    return changed("set on", done) if done else "unchanged"


def _policy_map() -> dict[str, Any]:
    return {
        policy["name"]: {k: v for k, v in policy.items() if k != "name"}
        for policy in CLEANUP_POLICIES
    }


def _policies(repository: dict[str, Any]) -> str:
    """A repository's cleanup policies in a form that compares equal when they mean the same:
    the API answers a map by name, with the action type and durations spelt its way."""
    policies = repository.get("cleanupPolicies") or {}
    normal = {}
    for name, policy in policies.items():
        condition = dict(policy.get("condition") or {})
        if "olderThan" in condition:
            condition["olderThan"] = _seconds(condition["olderThan"])
        action = policy.get("action")
        normal[name] = {
            "action": str(action.get("type") if isinstance(action, dict) else action).upper(),
            "condition": {k: str(v).upper() for k, v in condition.items()},
            "mostRecentVersions": {
                k: int(v) for k, v in (policy.get("mostRecentVersions") or {}).items()
            },
        }
    return json.dumps(normal, sort_keys=True)


def _seconds(duration: str) -> str:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = str(duration).strip().lower()
    return str(int(float(text[:-1]) * units[text[-1]])) if text and text[-1] in units else text


# ---- hearing about trouble ----------------------------------------------------------------------

# With DEPLOY_ALERT_EMAIL, Google's own services watch the project for the maintainer: Cloud
# Monitoring mails on failed mail, errors and jobs that stopped; Cloud Billing on costs.
ALERT_SERVICES = ("monitoring.googleapis.com", "billingbudgets.googleapis.com")
ALERT_CHANNEL = "Buurt WhatsApp maintainer"
ALERT_LABEL = "buurtwhatsapp"  # each policy's userLabels: the fingerprint of what it says
MAIL_FAILED_METRIC = "buurtwhatsapp-mail-failed"
SCHEDULED_RUNS_METRIC = "buurtwhatsapp-scheduled-runs"
OUR_LOGS = 'resource.type="cloud_run_revision"'
LOG_METRICS: dict[str, dict[str, Any]] = {
    MAIL_FAILED_METRIC: {
        "description": "Mail the outbox gave up on, once per mail (mail/delivery.py)",
        "filter": f'{OUR_LOGS} AND jsonPayload.message="{MAIL_FAILED_FOR_GOOD}"',
        "metricDescriptor": {"metricKind": "DELTA", "valueType": "INT64"},
    },
    SCHEDULED_RUNS_METRIC: {
        "description": "Scheduled runs that finished, per job (web/scheduled.py)",
        "filter": f'{OUR_LOGS} AND jsonPayload.message="{SCHEDULED_RUN_DONE}"',
        "labelExtractors": {"job": "EXTRACT(jsonPayload.job)"},
        "metricDescriptor": {
            "metricKind": "DELTA",
            "valueType": "INT64",
            "labels": [{"key": "job", "valueType": "STRING"}],
        },
    },
}
# More 5xx answers than this in an hour, across the functions, is an alert: one is a fluke.
ERRORS_PER_HOUR = 5
SCHEDULE_SILENCE = "7200s"  # a job that has not finished for 2 hours


def _alert_policies(channel: str) -> list[dict[str, Any]]:
    """The three policies, as Cloud Monitoring's AlertPolicy JSON, each mailing ``channel``."""

    def metric(name: str) -> str:
        return f'metric.type="logging.googleapis.com/user/{name}" AND {OUR_LOGS}'

    def policy(name: str, what: str, condition: dict[str, Any], advice: str) -> dict[str, Any]:
        return {
            "displayName": f"Buurt WhatsApp: {name}",
            "combiner": "OR",
            "conditions": [{"displayName": what, **condition}],
            "notificationChannels": [channel],
            "documentation": {"content": advice, "mimeType": "text/markdown"},
        }

    summed = {"perSeriesAligner": "ALIGN_SUM", "crossSeriesReducer": "REDUCE_SUM"}
    return [
        policy(
            "mail failed for good",
            "a mail was given up on",
            {
                "conditionThreshold": {
                    "filter": metric(MAIL_FAILED_METRIC),
                    "aggregations": [{"alignmentPeriod": "300s", **summed}],
                    "comparison": "COMPARISON_GT",
                    "thresholdValue": 0,
                    "duration": "0s",
                }
            },
            "A mail will not be tried again. See which and why: `infra/maintain mail failed`; "
            "mend the cause (README, Maintainers), then `infra/maintain mail requeue MAIL_ID`.",
        ),
        policy(
            "functions answer errors",
            f"more than {ERRORS_PER_HOUR} answers 5xx in an hour",
            {
                "conditionThreshold": {
                    "filter": (
                        'metric.type="run.googleapis.com/request_count" AND '
                        f'{OUR_LOGS} AND metric.labels.response_code_class="5xx"'
                    ),
                    "aggregations": [{"alignmentPeriod": "3600s", **summed}],
                    "comparison": "COMPARISON_GT",
                    "thresholdValue": ERRORS_PER_HOUR,
                    "duration": "0s",
                }
            },
            "Residents or the scheduler got errors. Read the functions' logs (severity ERROR) "
            "in the Logs Explorer, and `python3 infra/deploy.py status`.",
        ),
        policy(
            "a scheduled job stopped",
            "a job has not finished for 2 hours",
            {
                "conditionAbsent": {
                    "filter": metric(SCHEDULED_RUNS_METRIC),
                    "aggregations": [
                        {"alignmentPeriod": "600s", **summed, "groupByFields": ["metric.label.job"]}
                    ],
                    "duration": SCHEDULE_SILENCE,
                }
            },
            "The mail sweep or the housekeeping has not finished for 2 hours: mail and reminders "
            "wait. `python3 infra/deploy.py status` shows the jobs' last runs.",
        ),
    ]


def _fingerprint(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def alerts(ctx: Context) -> Outcome:
    """E-mail alerts and a monthly budget, when the env file names who hears of them."""
    email = ctx.settings.alert_email
    if not email:
        ctx.say(
            "no DEPLOY_ALERT_EMAIL in the env file: nobody hears of failed mail, errors or "
            "costs unless they look; name an address to have them mailed (README, Deploy, 3)"
        )
        return "unchanged (no DEPLOY_ALERT_EMAIL)"
    done: list[str] = []
    enabled = {s["config"]["name"] for s in ctx.read("services", "list", "--enabled", missing=[])}
    missing = [service for service in ALERT_SERVICES if service not in enabled]
    if missing:
        ctx.gcloud.change("services", "enable", *missing)
        done.append("APIs")
    # A dry run cannot read what an API not yet enabled holds: it holds nothing yet.
    unread = ctx.dry_run and bool(missing)
    channel = _alert_channel(ctx, email, done, unread)
    _log_metrics(ctx, done)
    _policies_of_alerts(ctx, channel, done, unread)
    _budget(ctx, channel, done, unread)
    return changed("set up", done) if done else "unchanged"


def _alert_channel(ctx: Context, email: str, done: list[str], unread: bool) -> str:
    channels = [] if unread else ctx.read("beta", "monitoring", "channels", "list", missing=[])
    for channel in channels:
        if (
            channel.get("type") == "email"
            and (channel.get("labels") or {}).get("email_address") == email
        ):
            return str(channel["name"])
    answer = ctx.gcloud.change(
        "beta", "monitoring", "channels", "create", f"--display-name={ALERT_CHANNEL}",
        "--type=email", f"--channel-labels=email_address={email}", "--format=json",
    )  # fmt: skip
    done.append("the e-mail channel")
    if not answer:  # a dry run
        return f"projects/{ctx.project}/notificationChannels/NEW_CHANNEL"
    return str(json.loads(answer)["name"])


def _log_metrics(ctx: Context, done: list[str]) -> None:
    listed = {
        m["name"].rsplit("/", 1)[-1]: m for m in ctx.read("logging", "metrics", "list", missing=[])
    }
    for name, config in LOG_METRICS.items():
        existing = listed.get(name)
        same = (
            existing is not None
            and all(existing.get(key) == config[key] for key in ("filter", "description"))
            and existing.get("labelExtractors", {}) == config.get("labelExtractors", {})
        )
        if same:
            continue
        config_file = ctx.build_dir / f"{name}.json"
        config_file.write_text(json.dumps({"name": name, **config}, indent=2) + "\n")
        verb = "create" if existing is None else "update"
        ctx.gcloud.change("logging", "metrics", verb, name, f"--config-from-file={config_file}")
        done.append(f"metric {name}")


def _policies_of_alerts(ctx: Context, channel: str, done: list[str], unread: bool) -> None:
    policies = [] if unread else ctx.read("alpha", "monitoring", "policies", "list", missing=[])
    listed = {p.get("displayName"): p for p in policies}
    for number, wanted in enumerate(_alert_policies(channel), start=1):
        fingerprint = _fingerprint(wanted)
        existing = listed.get(wanted["displayName"])
        if (
            existing is not None
            and (existing.get("userLabels") or {}).get(ALERT_LABEL) == fingerprint
        ):
            continue
        policy_file = ctx.build_dir / f"alert-policy-{number}.json"
        policy_file.write_text(
            json.dumps({**wanted, "userLabels": {ALERT_LABEL: fingerprint}}, indent=2) + "\n"
        )
        if existing is None:
            ctx.gcloud.change(
                "alpha", "monitoring", "policies", "create", f"--policy-from-file={policy_file}"
            )
        else:
            ctx.gcloud.change(
                "alpha", "monitoring", "policies", "update", existing["name"],
                f"--policy-from-file={policy_file}",
            )  # fmt: skip
        done.append(f"alert {wanted['displayName'].removeprefix('Buurt WhatsApp: ')}")


def budget_name(project: str) -> str:
    return f"Buurt WhatsApp {project}"


def billing_account(ctx: Context) -> str:
    """The billing account's id, as the budgets commands take it; "" without one."""
    billing = ctx.read("billing", "projects", "describe", ctx.project, missing={})
    return str(billing.get("billingAccountName") or "").removeprefix("billingAccounts/")


def _budget(ctx: Context, channel: str, done: list[str], unread: bool) -> None:
    account = billing_account(ctx)
    if not account and ctx.dry_run:
        ctx.say(
            f"would set a monthly budget of {ctx.settings.budget} on the project's billing "
            "account (its id is read once the project can be)"
        )
        return
    if not account:
        ctx.say("no billing account to set a budget on (check says how to link one)")
        return
    budgets = (
        []
        if unread
        else ctx.read("billing", "budgets", "list", f"--billing-account={account}", missing=[])
    )
    existing = next((b for b in budgets if b.get("displayName") == budget_name(ctx.project)), None)
    amount = ctx.settings.budget
    if existing is not None:
        money = (existing.get("amount") or {}).get("specifiedAmount") or {}
        if f"{money.get('units', '')}{money.get('currencyCode', '')}" == amount:
            return
        ctx.gcloud.change(
            "billing", "budgets", "update", existing["name"].rsplit("/", 1)[-1],
            f"--billing-account={account}", f"--budget-amount={amount}",
        )  # fmt: skip
        done.append(f"budget {amount}")
        return
    ctx.gcloud.change(
        "billing", "budgets", "create", f"--billing-account={account}",
        f"--display-name={budget_name(ctx.project)}", f"--budget-amount={amount}",
        "--calendar-period=month", f"--filter-projects=projects/{ctx.project}",
        "--threshold-rule=percent=0.5", "--threshold-rule=percent=0.9",
        "--threshold-rule=percent=1.0",
        f"--notifications-rule-monitoring-notification-channels={channel}",
    )  # fmt: skip
    done.append(f"budget {amount} a month")


STEPS: tuple[tuple[str, StepFunction], ...] = (
    ("APIs", apis),
    ("Firestore database", database),
    ("Service accounts", service_accounts),
    ("Project roles", project_roles),
    ("Secrets", secret_values),
    ("Firestore indexes", indexes),
    ("Firestore TTL policies", ttl_policies),
    ("Link tokens kept out of the request log", log_exclusion),
    ("Coordinators and regiegroep (from the file, first deploy only)", people),
    ("Functions", functions),
    ("The overview's counters (after a change of streets)", tallies),
    ("Who may call each function", invokers),
    ("Scheduler jobs", scheduler_jobs),
    ("Alerts and budget (with DEPLOY_ALERT_EMAIL)", alerts),
    ("Cleanup of old images and sources", cleanup_policies),
)


# ---- retries ----------------------------------------------------------------------------------


def _retrying(
    ctx: Context,
    action: Callable[[], object],
    *,
    why: str,
    attempts: int = 5,
    seconds: float = 20,
    only_if: str | None = None,
) -> None:
    """Run ``action``; after a failure, wait and try again, a bounded number of times.

    For what a fresh project is known to need time for (IAM propagation, the Eventarc service
    agent). ``only_if``: retry only when gcloud's message says so; any other failure stops at
    once.
    """
    for attempt in range(1, attempts + 1):
        try:
            action()
            return
        except GcloudError as error:
            if attempt == attempts or (only_if is not None and only_if not in error.message):
                raise
            ctx.say(f"failed ({why}); trying again in {seconds:.0f} s ({attempt}/{attempts - 1})")
            ctx.sleep(seconds)


def _settling(ctx: Context, action: Callable[[], object]) -> None:
    """``action`` on an API enabled moments ago: again after a short wait while Google says it
    is still propagating; any other failure stops at once."""
    _retrying(
        ctx,
        action,
        why="an API enabled moments ago is still being switched on",
        attempts=API_SETTLE_RETRIES,
        seconds=API_SETTLE_SECONDS,
        only_if=API_SETTLING,
    )


def _wait_until(ctx: Context, done: Callable[[], bool], *, what: str, minutes: float = 5) -> None:
    deadline = time.monotonic() + minutes * 60
    while not done():
        if time.monotonic() > deadline:
            raise DeployError(f"gave up waiting for {what} after {minutes:.0f} minutes")
        ctx.say(f"waiting for {what} ...")
        ctx.sleep(10)
