"""Before and after a deploy: the preflight check, the smoke test, the status and the teardown."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from buurtwhatsapp.mail.transports import KINDS
from infra.deploy_settings import GENERATED_SECRETS, DeploySettings
from infra.functions import FUNCTIONS, Trigger
from infra.gcloud import Gcloud, GcloudError
from infra.steps import (
    ACCOUNTS,
    ALERT_CHANNEL,
    LOG_METRICS,
    RUNTIME,
    SERVICES,
    budget_name,
)

# ---- preflight ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    mend: str = ""  # the command or action that mends it


def preflight(
    settings: DeploySettings, *, executable: str = "gcloud", out: TextIO = sys.stdout
) -> int:
    """Say, before anything changes, what is in place and what is missing, each with its mend.
    Exit status 0 when the deploy can go ahead (what it creates itself is no obstacle)."""
    findings = list(_preflight(settings, executable))
    for finding in findings:
        print(f"{'ok ' if finding.ok else 'NO '} {finding.what}", file=out)
        if finding.mend:
            print(f"      {finding.mend}", file=out)
    blocking = [f for f in findings if not f.ok]
    verdict = "ready to deploy" if not blocking else f"{len(blocking)} thing(s) to mend first"
    print(f"\n{verdict}", file=out)
    return 0 if not blocking else 1


def _preflight(settings: DeploySettings, executable: str):
    project = settings.project
    if shutil.which(executable) is None:
        yield Finding(
            False,
            "gcloud is not installed (or not on PATH)",
            "install the Google Cloud SDK: https://cloud.google.com/sdk/docs/install",
        )
        return
    gcloud = Gcloud(project, executable=executable)
    version = _quiet(gcloud, "version")
    yield Finding(True, f"gcloud {version.get('Google Cloud SDK', '?') if version else '?'}")
    if _quiet(gcloud, "beta", "--help", raw=True) is None:
        yield Finding(False, "gcloud's beta commands are missing", "gcloud components install beta")
    accounts = _quiet(gcloud, "auth", "list", "--filter=status:ACTIVE", raw=True)
    if not accounts or not accounts.strip():
        yield Finding(False, "gcloud is not logged in", "gcloud auth login")
        return
    yield Finding(True, f"logged in as {accounts.strip().splitlines()[0]}")
    token = yield from _credential_findings(settings, gcloud)
    described = _quiet(gcloud, "projects", "describe", project)
    if not described:
        yield Finding(
            False,
            f"project {project} not found, or not yours to see",
            "check the id with: gcloud projects list   (or create one: gcloud projects create ID)",
        )
        return
    yield Finding(True, f"project {project} (number {described.get('projectNumber')})")
    billing = _quiet(gcloud, "billing", "projects", "describe", project)
    if not billing or not billing.get("billingEnabled"):
        yield Finding(
            False,
            f"billing is not enabled on {project} (Cloud Functions needs it)",
            f"gcloud billing accounts list; gcloud billing projects link {project} "
            "--billing-account=ACCOUNT_ID",
        )
    else:
        yield Finding(True, "billing enabled")
    enabled = {s["config"]["name"] for s in _quiet(gcloud, "services", "list", "--enabled") or []}
    missing = [s for s in SERVICES if s not in enabled]
    yield Finding(
        True,
        "all APIs enabled"
        if not missing
        else f"{len(missing)} API(s) not enabled yet: "
        + ", ".join(m.split(".")[0] for m in missing),
        "" if not missing else "the deploy enables them (gcloud services enable ...)",
    )
    database_there = yield from _database_findings(settings, gcloud, enabled)
    if token and database_there:
        yield _firestore_accepts(settings, token)
    yield from _secret_findings(settings, gcloud, enabled)
    yield from _sender_findings(settings)
    runtimes = _quiet(gcloud, "functions", "runtimes", "list", f"--region={settings.region}")
    runtime = next((r for r in runtimes or [] if r.get("name") == RUNTIME), None)
    if runtimes and runtime is None:
        yield Finding(False, f"runtime {RUNTIME} is not offered in {settings.region}", "")
    elif runtime and runtime.get("stage") not in (None, "GA"):
        yield Finding(
            True,
            f"runtime {RUNTIME} is {runtime.get('stage')} "
            f"(deprecated {runtime.get('deprecationDate', '?')}, "
            f"decommissioned {runtime.get('decommissionDate', '?')})",
            "plan a move to a newer Python runtime",
        )


def _database_findings(settings: DeploySettings, gcloud: Gcloud, enabled: set[str]):
    """The database's findings; returns whether it is there in Native mode."""
    if "firestore.googleapis.com" not in enabled:
        yield Finding(
            True,
            f"Firestore database {settings.database}: the deploy creates it in "
            f"{settings.database_location}",
        )
        return False
    name = f"projects/{settings.project}/databases/{settings.database}"
    databases = _quiet(gcloud, "firestore", "databases", "list") or []
    found = next((d for d in databases if d.get("name") == name), None)
    if found is None:
        yield Finding(
            True,
            f"Firestore database {settings.database}: the deploy creates it in "
            f"{settings.database_location} (Native mode)",
        )
        return False
    if found.get("type") != "FIRESTORE_NATIVE":
        yield Finding(
            False,
            f"Firestore database {settings.database} is in {found.get('type')} mode",
            "use another database (FIRESTORE_DATABASE in the env file) or another project",
        )
        return False
    if settings.database_location_given and found["locationId"] != settings.database_location:
        yield Finding(
            False,
            f"Firestore database {settings.database} is in {found['locationId']}, not "
            f"{settings.database_location}",
            f'set DEPLOY_DATABASE_LOCATION: "{found["locationId"]}" (a database cannot move)',
        )
    else:
        yield Finding(
            True, f"Firestore database {settings.database} in {found['locationId']} (Native mode)"
        )
    return True


# The deploy's people step, ``status`` (failed mail) and infra/maintain reach Firestore with the
# maintainer's application-default credentials, which ``gcloud auth login`` does not make.
ADC_USERS = "the deploy's people step, status and infra/maintain read Firestore with them"


def _credential_findings(settings: DeploySettings, gcloud: Gcloud):
    """Whether application-default credentials exist, and name a quota project; returns their
    access token (None without)."""
    token = _quiet(gcloud, "auth", "application-default", "print-access-token", raw=True)
    token = token.strip() if isinstance(token, str) else ""
    if not token:
        yield Finding(
            False,
            f"no application-default credentials ({ADC_USERS})",
            "gcloud auth application-default login",
        )
        return None
    quota = _adc_quota_project()
    if quota == "":
        yield Finding(
            True,
            "application-default credentials, without a quota project (Firestore is then "
            "billed to, and checked against, no project of yours)",
            f"gcloud auth application-default set-quota-project {settings.project}",
        )
    else:
        named = f", quota project {quota}" if quota else ""
        yield Finding(True, f"application-default credentials{named}")
    return token


def _adc_quota_project() -> str | None:
    """The quota project of user application-default credentials ("" for none); None when
    they are no user's (a service account's key), or cannot be read."""
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    config = os.environ.get("CLOUDSDK_CONFIG") or os.path.expanduser("~/.config/gcloud")
    path = Path(explicit) if explicit else Path(config) / "application_default_credentials.json"
    try:
        credentials = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(credentials, dict) or credentials.get("type") != "authorized_user":
        return None
    return str(credentials.get("quota_project_id") or "")


def _firestore_accepts(settings: DeploySettings, token: str) -> Finding:
    """Ask Firestore for one document with the application-default credentials, as the people
    step will: "not found" means it accepted them. Locally (FIRESTORE_EMULATOR_HOST) the
    emulator answers, with its own administrator token."""
    emulator = os.environ.get("FIRESTORE_EMULATOR_HOST")
    base = f"http://{emulator}" if emulator else "https://firestore.googleapis.com"
    url = (
        f"{base}/v1/projects/{settings.project}/databases/{settings.database}"
        "/documents/people/current"
    )
    request = urllib.request.Request(
        url,
        headers={
            "Authorization": f"Bearer {'owner' if emulator else token}",
            "x-goog-user-project": settings.project,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15):
            pass
    except urllib.error.HTTPError as error:
        if error.code == 404:
            pass  # accepted; nobody stored yet
        elif error.code in (401, 403):
            said = _google_message(error)
            return Finding(
                False,
                f"Firestore refuses your application-default credentials for "
                f"{settings.project} ({error.code}: {said})",
                "gcloud auth application-default login (with an account that has a role on the "
                f"project), then: gcloud auth application-default set-quota-project "
                f"{settings.project}",
            )
        else:
            return Finding(True, f"could not ask Firestore with them (HTTP {error.code})")
    except (urllib.error.URLError, OSError) as error:
        return Finding(True, f"could not reach Firestore to try them ({type(error).__name__})")
    return Finding(True, f"Firestore accepts your application-default credentials ({ADC_USERS})")


def _google_message(error: urllib.error.HTTPError) -> str:
    """The message of a Google API error body, shortened; the status text otherwise."""
    try:
        body = json.loads(error.read().decode("utf-8", "replace"))
        return str(body["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError, OSError):
        return str(error.reason)


def _secret_findings(settings: DeploySettings, gcloud: Gcloud, enabled: set[str]):
    existing = set()
    if "secretmanager.googleapis.com" in enabled:
        existing = {s["name"].rsplit("/", 1)[-1] for s in _quiet(gcloud, "secrets", "list") or []}
    given = settings.given_secrets
    for variable, secret in settings.secret_names.items():
        if secret in existing:
            yield Finding(True, f"secret {secret} ({variable}) exists")
        elif variable in GENERATED_SECRETS:
            yield Finding(True, f"secret {secret} ({variable}): the deploy generates it")
        elif given.get(variable):
            yield Finding(True, f"secret {secret} ({variable}): the deploy stores it from the file")
        else:
            yield Finding(
                True,
                f"secret {secret} ({variable}) does not exist yet: the deploy asks for it",
                "or put it in the file that DEPLOY_SECRETS_FILE names",
            )


def _sender_findings(settings: DeploySettings):
    """What the mail transport's own check says (mail/transports: each kind has one)."""
    kind = KINDS.get(settings.environment.get("MAIL_TRANSPORT", "file"))
    if kind is None:
        return  # the settings' check names an unknown transport already
    environment = {**settings.environment}
    for check in kind.check(environment, settings.given_secrets):
        yield Finding(check.ok, check.text, check.fix)


def _quiet(gcloud: Gcloud, *args: str, raw: bool = False) -> Any:
    """A read whose failure is a finding, not an error."""
    import subprocess

    command = gcloud.command(*args) + ([] if raw else ["--format=json"])
    if raw and args[:2] == ("auth", "list"):
        command = [gcloud.executable, *args, "--format=value(account)"]
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        return None
    return result.stdout if raw else json.loads(result.stdout or "null")


# ---- smoke test --------------------------------------------------------------------------------


def smoke(
    settings: DeploySettings,
    *,
    executable: str = "gcloud",
    out: TextIO = sys.stdout,
    base_url: str | None = None,
    wait_seconds: float = 120,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """The deployed product answers: the form, a sign-up with mistakes (422, Dutch, nothing
    stored), and the mail sweep run once by hand. Writes nothing personal."""
    base = (base_url or settings.public_base_url).rstrip("/")
    failures = 0

    def report(ok: bool, text: str) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'ok ' if ok else 'NO '} {text}", file=out, flush=True)

    status, body = _http("GET", f"{base}/signup")
    report(
        status == 200 and "<form" in body and 'lang="nl"' in body,
        f"GET {base}/signup answers {status} with the form",
    )
    status, body = _http(
        "POST",
        f"{base}/signup",
        json.dumps({"name": "", "email": "geen-adres", "privacy": False}).encode(),
        {"Content-Type": "application/json", "Accept": "application/json"},
    )
    errors = _json(body).get("errors", {}) if status == 422 else {}
    report(
        status == 422 and errors.get("name") == "Vul uw naam in." and "email" in errors,
        f"a sign-up with mistakes is refused: {status}, {len(errors)} field(s) explained in Dutch",
    )
    sweep = next(spec.name for spec in FUNCTIONS if spec.trigger is Trigger.SCHEDULE)
    gcloud = Gcloud(settings.project, executable=executable, out=out)
    where = f"--location={settings.region}"
    try:
        before = gcloud.read("scheduler", "jobs", "describe", sweep, where).get("lastAttemptTime")
        gcloud.change("scheduler", "jobs", "run", sweep, where)
        deadline = time.monotonic() + wait_seconds
        while True:
            job = gcloud.read("scheduler", "jobs", "describe", sweep, where)
            if job.get("lastAttemptTime") and job.get("lastAttemptTime") != before:
                code = job.get("status", {}).get("code", 0)
                report(code == 0, f"the scheduler ran {sweep} by hand: it answered "
                       f"{'OK' if code == 0 else 'with error code ' + str(code)}")  # fmt: skip
                break
            if time.monotonic() > deadline:
                report(
                    False, f"the scheduler ran {sweep}, but no answer within {wait_seconds:.0f} s"
                )
                break
            sleep(5)
    except GcloudError as error:
        report(False, f"could not run the scheduler job {sweep}: {error.message}")
    print("\nsmoke test passed" if not failures else f"\n{failures} check(s) failed", file=out)
    return 0 if not failures else 1


def _http(
    method: str, url: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, str(error)


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---- status ------------------------------------------------------------------------------------


def status(
    settings: DeploySettings, *, executable: str = "gcloud", out: TextIO = sys.stdout
) -> int:
    gcloud = Gcloud(settings.project, executable=executable, out=out)
    try:
        listed = gcloud.read("functions", "list", "--v2", f"--regions={settings.region}")
        jobs = gcloud.read("scheduler", "jobs", "list", f"--location={settings.region}")
    except GcloudError as error:
        print(f"could not read the project:\n{error.message}", file=out)
        return 1
    found = {f["name"].rsplit("/", 1)[-1]: f for f in listed}
    print("Functions:", file=out)
    for spec in FUNCTIONS:
        function = found.get(spec.name)
        if function is None:
            print(f"  {spec.name:<13} not deployed", file=out)
            continue
        service = function.get("serviceConfig", {})
        print(
            f"  {spec.name:<13} {function.get('state', '?'):<9} {service.get('revision', '?'):<28} "
            f"{function.get('url') or service.get('uri', '')}",
            file=out,
        )
    print("Scheduler jobs:", file=out)
    by_name = {job["name"].rsplit("/", 1)[-1]: job for job in jobs}
    for spec in FUNCTIONS:
        if spec.trigger is not Trigger.SCHEDULE:
            continue
        job = by_name.get(spec.name)
        if job is None:
            print(f"  {spec.name:<13} no job", file=out)
            continue
        code = job.get("status", {}).get("code", 0)
        last = job.get("lastAttemptTime", "never")
        print(
            f"  {spec.name:<13} {job.get('state', '?'):<8} last run {last}: "
            f"{'ok' if code == 0 else 'error ' + str(code)}",
            file=out,
        )
    failed = failed_mail_count(settings)
    print(f"Failed mail: {failed}" + ("  (infra/maintain mail failed)" if failed else ""), file=out)
    _alerts_status(gcloud, settings, out)
    return 0


ALERT_POLICY_PREFIX = "Buurt WhatsApp: "


def _alerts_status(gcloud: Gcloud, settings: DeploySettings, out: TextIO) -> None:
    """The alert policies, whom they mail, and the budget; or that there are none."""
    found = _alerting(gcloud, settings.project)
    print("Alerts:", file=out)
    if not (found.policies or found.budgets):
        print(
            "  none: nobody hears of trouble without looking (set DEPLOY_ALERT_EMAIL in the env "
            "file and deploy again)",
            file=out,
        )
        return
    mailed = ", ".join(found.channel_addresses) or "nobody"
    for policy in found.policies:
        state = "on" if policy.get("enabled", True) else "OFF"
        name = str(policy.get("displayName", "")).removeprefix(ALERT_POLICY_PREFIX)
        print(f"  {name:<26} {state:<4} mails {mailed}", file=out)
    for budget in found.budgets:
        money = (budget.get("amount") or {}).get("specifiedAmount") or {}
        rules = ", ".join(
            f"{round(float(rule.get('thresholdPercent', 0)) * 100)}%"
            for rule in budget.get("thresholdRules") or []
        )
        print(
            f"  budget {money.get('units', '?')} {money.get('currencyCode', '')} a month, "
            f"alerts at {rules}",
            file=out,
        )


@dataclass
class Alerting:
    """What the deploy's alerts step made in a project, as read now."""

    policies: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    metrics: list[str]
    budgets: list[dict[str, Any]]
    billing_account: str

    @property
    def channel_addresses(self) -> list[str]:
        return [str((c.get("labels") or {}).get("email_address", "")) for c in self.channels]


def _alerting(gcloud: Gcloud, project: str) -> Alerting:
    """Read what the alerts step made; an API that is not enabled holds none of it."""
    enabled = {s["config"]["name"] for s in gcloud.read("services", "list", "--enabled") or []}
    policies: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    if "monitoring.googleapis.com" in enabled:
        policies = [
            p
            for p in gcloud.read("alpha", "monitoring", "policies", "list") or []
            if str(p.get("displayName", "")).startswith(ALERT_POLICY_PREFIX)
        ]
        channels = [
            c
            for c in gcloud.read("beta", "monitoring", "channels", "list") or []
            if c.get("displayName") == ALERT_CHANNEL
        ]
    metrics = [
        m["name"].rsplit("/", 1)[-1]
        for m in gcloud.read("logging", "metrics", "list") or []
        if m["name"].rsplit("/", 1)[-1] in LOG_METRICS
    ]
    billing = gcloud.read("billing", "projects", "describe", project) or {}
    account = str(billing.get("billingAccountName") or "").removeprefix("billingAccounts/")
    budgets: list[dict[str, Any]] = []
    if account and "billingbudgets.googleapis.com" in enabled:
        budgets = [
            b
            for b in gcloud.read("billing", "budgets", "list", f"--billing-account={account}") or []
            if b.get("displayName") == budget_name(project)
        ]
    return Alerting(policies, channels, metrics, budgets, account)


def failed_mail_count(settings: DeploySettings) -> int | str:
    """How many mails stopped at 'failed', counted in Firestore (application default
    credentials: gcloud auth application-default login)."""
    try:
        from google.cloud import firestore
        from google.cloud.firestore_v1.base_query import FieldFilter

        client = firestore.Client(project=settings.project, database=settings.database)
        query = client.collection("mail").where(filter=FieldFilter("status", "==", "failed"))
        [[result]] = query.count().get(timeout=30)
        return int(result.value)
    except Exception as error:  # any failure is reported, never raised
        return f"unknown ({type(error).__name__}; try: gcloud auth application-default login)"


# ---- teardown ----------------------------------------------------------------------------------


def teardown(
    project: str,
    region: str,
    *,
    executable: str = "gcloud",
    out: TextIO = sys.stdout,
    confirmed: str | None = None,
    delete_database: bool = False,
    delete_secrets: bool = False,
    database: str = "(default)",
    ask: Callable[[str], str] = input,
) -> int:
    """Remove what the deploy made: the scheduler jobs, the functions (with their Eventarc
    trigger), the service accounts; the data and the secrets only when asked separately."""
    what = "functions, scheduler jobs, triggers, alerts, budget and service accounts"
    extra = [
        w
        for w, on in (("the Firestore data", delete_database), ("the secrets", delete_secrets))
        if on
    ]
    print(
        f"This removes the {what}{' and ' + ' and '.join(extra) if extra else ''} of {project}.",
        file=out,
    )
    if confirmed is None and sys.stdin.isatty():
        confirmed = ask(f"Type the project id ({project}) to go ahead: ").strip()
    if confirmed != project:
        print("not confirmed: nothing removed (pass --confirm=PROJECT_ID)", file=out)
        return 2
    gcloud = Gcloud(project, executable=executable, out=out)
    try:
        removed = _teardown(gcloud, project, region, delete_database, delete_secrets, database)
    except GcloudError as error:
        print(
            f"teardown stopped; gcloud said:\n{error.message}\nRun it again once mended.", file=out
        )
        return 1
    print(
        f"\nremoved: {', '.join(removed) if removed else 'nothing (it was gone already)'}", file=out
    )
    return 0


def _teardown(
    gcloud: Gcloud,
    project: str,
    region: str,
    delete_database: bool,
    delete_secrets: bool,
    database: str,
) -> list[str]:
    removed: list[str] = []
    jobs = {
        j["name"].rsplit("/", 1)[-1]
        for j in gcloud.read("scheduler", "jobs", "list", f"--location={region}")
    }
    for spec in FUNCTIONS:
        if spec.name in jobs:
            gcloud.change(
                "scheduler", "jobs", "delete", spec.name, f"--location={region}", "--quiet"
            )
            removed.append(f"job {spec.name}")
    listed = gcloud.read("functions", "list", "--v2", f"--regions={region}")
    functions = {f["name"].rsplit("/", 1)[-1]: f for f in listed}
    trigger_regions = set()
    for spec in FUNCTIONS:
        function = functions.get(spec.name)
        if function is None:
            continue
        if function.get("eventTrigger", {}).get("triggerRegion"):
            trigger_regions.add(function["eventTrigger"]["triggerRegion"])
        gcloud.change("functions", "delete", spec.name, "--gen2", f"--region={region}", "--quiet")
        removed.append(f"function {spec.name}")
    # A function's Eventarc trigger goes with it; one left by a failed deploy is removed here.
    names = {spec.name for spec in FUNCTIONS}
    for location in sorted(trigger_regions):
        for trigger in gcloud.read("eventarc", "triggers", "list", f"--location={location}"):
            if trigger.get("destination", {}).get("cloudFunction", "").rsplit("/", 1)[-1] in names:
                name = trigger["name"].rsplit("/", 1)[-1]
                gcloud.change(
                    "eventarc", "triggers", "delete", name, f"--location={location}", "--quiet"
                )
                removed.append(f"trigger {name}")
    alerting = _alerting(gcloud, project)
    for policy in alerting.policies:
        gcloud.change("alpha", "monitoring", "policies", "delete", policy["name"], "--quiet")
        removed.append(f"alert {str(policy['displayName']).removeprefix(ALERT_POLICY_PREFIX)}")
    for budget in alerting.budgets:
        gcloud.change(
            "billing", "budgets", "delete", budget["name"].rsplit("/", 1)[-1],
            f"--billing-account={alerting.billing_account}", "--quiet",
        )  # fmt: skip
        removed.append("budget")
    for channel in alerting.channels:
        gcloud.change(
            "beta", "monitoring", "channels", "delete", channel["name"], "--force", "--quiet"
        )
        removed.append("alert e-mail channel")
    for metric in alerting.metrics:
        gcloud.change("logging", "metrics", "delete", metric, "--quiet")
        removed.append(f"metric {metric}")
    accounts = {a["email"] for a in gcloud.read("iam", "service-accounts", "list")}
    for account in ACCOUNTS:
        if account.email(project) in accounts:
            gcloud.change("iam", "service-accounts", "delete", account.email(project), "--quiet")
            removed.append(f"account {account.name}")
    if delete_secrets:
        from infra.deploy_settings import DEFAULT_SECRET_NAMES

        existing = {s["name"].rsplit("/", 1)[-1] for s in gcloud.read("secrets", "list")}
        for secret in DEFAULT_SECRET_NAMES.values():
            if secret in existing:
                gcloud.change("secrets", "delete", secret, "--quiet")
                removed.append(f"secret {secret}")
        others = sorted(existing - set(DEFAULT_SECRET_NAMES.values()))
        if others:  # renamed with DEPLOY_SECRET_* in an env file this command does not read
            removed.append(
                f"(left: secrets {', '.join(others)}, not of the default names; delete those of "
                "this deploy with: gcloud secrets delete NAME)"
            )
    if delete_database:
        name = f"projects/{project}/databases/{database}"
        found = [d for d in gcloud.read("firestore", "databases", "list") if d.get("name") == name]
        if found:
            if found[0].get("deleteProtectionState") == "DELETE_PROTECTION_ENABLED":
                gcloud.change(
                    "firestore",
                    "databases",
                    "update",
                    f"--database={database}",
                    "--no-delete-protection",
                )
            gcloud.change("firestore", "databases", "delete", f"--database={database}", "--quiet")
            removed.append(f"database {database}")
    return removed
