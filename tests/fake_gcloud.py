#!/usr/bin/env python3
"""A stand-in for gcloud, for the deploy's tests: it answers reads from a scripted project state
(a JSON file), applies changes to that state as Google Cloud would, and records every call.

    FAKE_GCLOUD_STATE=state.json FAKE_GCLOUD_LOG=calls.jsonl tests/fake_gcloud.py ARGS...

Only the commands the deploy, the check, the smoke test, the status and the teardown use are
known; anything else exits 2, as gcloud does for what it cannot parse, so that a new command
cannot slip into the plan untested. Scripted failures: ``state["fail"]`` maps a substring of the
command line to {"times": n, "stderr": "...", "code": 1}.

What it checks itself (parsing, flags) is only what the deploy relies on; that every planned
command is right for the real gcloud is tested against gcloud's own parser.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

PROJECT_NUMBER_DEFAULT = "123456789012"
BILLING_ACCOUNT = "0X0X0X-0X0X0X-0X0X0X"


def fresh_state(project: str = "p") -> dict[str, Any]:
    """A new project with billing: nothing enabled, nothing made."""
    return {
        "project": {"projectId": project, "projectNumber": PROJECT_NUMBER_DEFAULT},
        "billingEnabled": True,
        "account": "maintainer@example.org",
        "services": [],
        "databases": [],
        "serviceAccounts": [],
        "projectPolicy": {"bindings": []},
        "secrets": {},
        "indexes": [],
        "ttls": [],
        "sink": {"name": "_Default", "exclusions": []},
        "functions": {},
        "runPolicies": {},
        "jobs": {},
        "repositories": [],
        "buckets": {},
        "triggers": [],
        "channels": [],
        "logMetrics": {},
        "alertPolicies": [],
        "budgets": [],
        "fail": {},
    }


class Usage(Exception):
    pass


def main(argv: list[str]) -> int:
    state_path = Path(os.environ["FAKE_GCLOUD_STATE"])
    state = json.loads(state_path.read_text())
    stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    with open(os.environ["FAKE_GCLOUD_LOG"], "a") as log:
        log.write(json.dumps({"argv": argv, "stdin": bool(stdin)}) + "\n")
    line = " ".join(argv)
    for pattern, failure in list(state.get("fail", {}).items()):
        if pattern in line and failure.get("times", 0) > 0:
            failure["times"] -= 1
            state_path.write_text(json.dumps(state))
            sys.stderr.write(failure.get("stderr", "ERROR: scripted failure") + "\n")
            return int(failure.get("code", 1))
    words = [a for a in argv if not a.startswith("--")]
    flags: dict[str, list[str]] = {}
    for argument in argv:
        if argument.startswith("--"):
            name, _, value = argument[2:].partition("=")
            flags.setdefault(name, []).append(value)
    try:
        answer = Fake(state, words, flags, stdin).run()
    except Usage as error:
        sys.stderr.write(f"ERROR: (fake gcloud) {error}\n")
        return 2
    except LookupError as error:
        sys.stderr.write(f"ERROR: (gcloud) NOT_FOUND: {error}\n")
        return 1
    except Refused as error:
        sys.stderr.write(f"ERROR: (gcloud) {error}\n")
        return 1
    state_path.write_text(json.dumps(state, indent=1))
    if answer is not None:
        sys.stdout.write(answer if isinstance(answer, str) else json.dumps(answer))
    return 0


class Refused(Exception):
    """What Google refuses, with its own words (the message is gcloud's)."""


# Google's answer to a grant to allUsers under domain-restricted sharing.
DOMAIN_RESTRICTED = (
    "FAILED_PRECONDITION: One or more users named in the policy do not belong to a permitted "
    "customer, perhaps due to an organization policy."
)


class Fake:
    def __init__(self, state: dict, words: list[str], flags: dict[str, list[str]], stdin: str):
        self.s = state
        self.words = words
        self.flags = flags
        self.stdin = stdin

    def flag(self, name: str, default: str | None = None) -> str:
        values = self.flags.get(name)
        if not values:
            if default is None:
                raise Usage(f"--{name} is required")
            return default
        return values[-1]

    @property
    def project(self) -> str:
        return self.flag("project")

    def run(self) -> Any:
        path = tuple(self.words)
        for length in range(len(path), 0, -1):
            handler = COMMANDS.get(path[:length])
            if handler is not None:
                return handler(self, list(path[length:]))
        raise Usage(f"unknown command: {' '.join(path)}")

    # --- reads ---

    def version(self, _):
        return {"Google Cloud SDK": "528.0.0"}

    def beta_help(self, _):
        return "gcloud beta\n"

    def auth_list(self, _):
        return (self.s.get("account") or "") + "\n"

    def adc_token(self, _):
        """``gcloud auth application-default print-access-token``: fails without them, as
        gcloud does after only ``gcloud auth login``."""
        if not self.s.get("adc", True):
            raise LookupError("Your default credentials were not found")
        return "ya29.fake-application-default-token\n"

    def projects_describe(self, rest):
        if rest != [self.s["project"]["projectId"]]:
            raise LookupError(rest)
        return self.s["project"]

    def billing_describe(self, _):
        answer: dict[str, Any] = {"billingEnabled": self.s["billingEnabled"]}
        if self.s["billingEnabled"]:
            answer["billingAccountName"] = f"billingAccounts/{BILLING_ACCOUNT}"
        return answer

    # --- alerts and budget: answered as the APIs answer (names made by Google) ---

    def _needs(self, service: str) -> None:
        if service not in self.s["services"]:
            raise Refused(f"PERMISSION_DENIED: {service} has not been used in project before")

    def channels_list(self, _):
        self._needs("monitoring.googleapis.com")
        return self.s["channels"]

    def channel_create(self, _):
        self._needs("monitoring.googleapis.com")
        labels = dict(pair.split("=", 1) for pair in self.flag("channel-labels").split(","))
        channel = {
            "name": f"projects/{self.project}/notificationChannels/{len(self.s['channels']) + 1}00",
            "displayName": self.flag("display-name"),
            "type": self.flag("type"),
            "labels": labels,
        }
        self.s["channels"].append(channel)
        return channel

    def channel_delete(self, rest):
        self.s["channels"] = [c for c in self.s["channels"] if c["name"] != rest[0]]

    def metrics_list(self, _):
        return [{"name": name, **config} for name, config in self.s["logMetrics"].items()]

    def metric_write(self, rest):
        config = json.loads(Path(self.flag("config-from-file")).read_text())
        config.pop("name", None)
        exists = rest[0] in self.s["logMetrics"]
        if exists == (self.words[2] == "create"):
            raise Usage(f"metric {rest[0]} {'exists' if exists else 'does not exist'}")
        self.s["logMetrics"][rest[0]] = config

    def metric_delete(self, rest):
        self.s["logMetrics"].pop(rest[0], None)

    def policies_list(self, _):
        self._needs("monitoring.googleapis.com")
        return self.s["alertPolicies"]

    def policy_create(self, _):
        policy = json.loads(Path(self.flag("policy-from-file")).read_text())
        policy["name"] = (
            f"projects/{self.project}/alertPolicies/{len(self.s['alertPolicies']) + 1}1"
        )
        self.s["alertPolicies"].append(policy)
        return policy

    def policy_update(self, rest):
        policy = json.loads(Path(self.flag("policy-from-file")).read_text())
        for number, existing in enumerate(self.s["alertPolicies"]):
            if existing["name"] == rest[0]:
                self.s["alertPolicies"][number] = {**policy, "name": rest[0]}
                return self.s["alertPolicies"][number]
        raise LookupError(rest)

    def policy_delete(self, rest):
        self.s["alertPolicies"] = [p for p in self.s["alertPolicies"] if p["name"] != rest[0]]

    def budgets_list(self, _):
        self._needs("billingbudgets.googleapis.com")
        if self.flag("billing-account") != BILLING_ACCOUNT:
            raise LookupError(self.flag("billing-account"))
        return self.s["budgets"]

    def budget_create(self, _):
        self._needs("billingbudgets.googleapis.com")
        amount = self.flag("budget-amount")
        budget = {
            "name": f"billingAccounts/{BILLING_ACCOUNT}/budgets/b{len(self.s['budgets']) + 1}",
            "displayName": self.flag("display-name"),
            "amount": {"specifiedAmount": {"currencyCode": amount[-3:], "units": amount[:-3]}},
            "budgetFilter": {"projects": [self.flag("filter-projects")]},
            "thresholdRules": [
                {"thresholdPercent": float(rule.split("=")[1])}
                for rule in self.flags.get("threshold-rule", [])
            ],
            "notificationsRule": {
                "monitoringNotificationChannels": [
                    self.flag("notifications-rule-monitoring-notification-channels")
                ]
            },
        }
        self.s["budgets"].append(budget)
        return budget

    def budget_update(self, rest):
        for budget in self.s["budgets"]:
            if budget["name"].rsplit("/", 1)[-1] == rest[0]:
                amount = self.flag("budget-amount")
                budget["amount"] = {
                    "specifiedAmount": {"currencyCode": amount[-3:], "units": amount[:-3]}
                }
                return budget
        raise LookupError(rest)

    def budget_delete(self, rest):
        self.s["budgets"] = [
            b for b in self.s["budgets"] if b["name"].rsplit("/", 1)[-1] != rest[0]
        ]

    def services_list(self, _):
        return [{"config": {"name": name}} for name in self.s["services"]]

    def databases_list(self, _):
        return self.s["databases"]

    def accounts_list(self, _):
        return [{"email": email} for email in self.s["serviceAccounts"]]

    def project_policy(self, _):
        return self.s["projectPolicy"]

    def secrets_list(self, _):
        return [
            {"name": f"projects/{PROJECT_NUMBER_DEFAULT}/secrets/{n}"} for n in self.s["secrets"]
        ]

    def secret_versions_list(self, rest):
        secret = self.s["secrets"][rest[0]]
        enabled = [v for v in secret["versions"] if v["state"] == "ENABLED"]
        enabled.sort(key=lambda v: -v["n"])
        return [
            {"name": f"projects/{PROJECT_NUMBER_DEFAULT}/secrets/{rest[0]}/versions/{v['n']}"}
            for v in enabled[: int(self.flag("limit", "1000"))]
        ]

    def secret_policy(self, rest):
        return self.s["secrets"][rest[0]]["policy"]

    def indexes_list(self, _):
        return self.s["indexes"]

    def ttls_list(self, _):
        return self.s["ttls"]

    def sink_describe(self, rest):
        if rest != ["_Default"]:
            raise LookupError(rest)
        return self.s["sink"]

    def functions_list(self, _):
        if "v2" not in self.flags:
            raise Usage("functions list without --v2 answers in two formats")
        return list(self.s["functions"].values())

    def run_policy(self, rest):
        if rest[0] not in self.s["functions"]:
            raise LookupError(rest)
        return self.s["runPolicies"].get(rest[0], {})

    def jobs_list(self, _):
        return list(self.s["jobs"].values())

    def job_describe(self, rest):
        return self.s["jobs"][rest[0]]

    def repositories_list(self, _):
        return self.s["repositories"]

    def bucket_describe(self, rest):
        return self.s["buckets"][rest[0].removeprefix("gs://")]

    def runtimes_list(self, _):
        return [{"name": "python311", "stage": "GA"}, {"name": "python312", "stage": "GA"}]

    def triggers_list(self, _):
        return self.s["triggers"]

    # --- changes ---

    def services_enable(self, rest):
        self.s["services"] += [s for s in rest if s not in self.s["services"]]

    def identity_create(self, _):
        agent = self.flag("service").split(".")[0]  # eventarc, pubsub
        return {"email": f"service-{PROJECT_NUMBER_DEFAULT}@gcp-sa-{agent}.iam.gserviceaccount.com"}

    def databases_create(self, _):
        database = self.flag("database")
        self.s["databases"].append(
            {
                "name": f"projects/{self.project}/databases/{database}",
                "locationId": self.flag("location"),
                "type": {"firestore-native": "FIRESTORE_NATIVE"}[self.flag("type")],
                "deleteProtectionState": "DELETE_PROTECTION_ENABLED",
            }
        )

    def databases_update(self, _):
        for database in self.s["databases"]:
            if database["name"].endswith("/" + self.flag("database")):
                database["deleteProtectionState"] = "DELETE_PROTECTION_DISABLED"

    def databases_delete(self, _):
        name = f"projects/{self.project}/databases/{self.flag('database')}"
        self.s["databases"] = [d for d in self.s["databases"] if d["name"] != name]

    def accounts_create(self, rest):
        self.flag("display-name")
        self.s["serviceAccounts"].append(f"{rest[0]}@{self.project}.iam.gserviceaccount.com")

    def accounts_delete(self, rest):
        self.s["serviceAccounts"].remove(rest[0])

    def project_binding(self, rest):
        if self.flag("condition") != "None":
            raise Usage("add-iam-policy-binding needs --condition=None to run unprompted")
        _bind(self.s["projectPolicy"], self.flag("role"), self.flag("member"))

    def secrets_create(self, rest):
        if rest[0] in self.s["secrets"]:
            raise Usage(f"secret {rest[0]} exists")
        self.flag("replication-policy")
        self.s["secrets"][rest[0]] = {"versions": [], "policy": {"bindings": []}}

    def secret_version_add(self, rest):
        if self.flag("data-file") != "-" or not self.stdin:
            raise Usage("a secret's value must come on stdin")
        versions = self.s["secrets"][rest[0]]["versions"]
        number = len(versions) + 1
        versions.append({"n": number, "state": "ENABLED"})
        return {"name": f"projects/{PROJECT_NUMBER_DEFAULT}/secrets/{rest[0]}/versions/{number}"}

    def secret_binding(self, rest):
        _bind(self.s["secrets"][rest[0]]["policy"], self.flag("role"), self.flag("member"))

    def secrets_delete(self, rest):
        del self.s["secrets"][rest[0]]

    def index_create(self, _):
        group = self.flag("collection-group")
        fields = [
            {
                "fieldPath": dict(p.split("=") for p in spec.split(","))["field-path"],
                "order": "ASCENDING",
            }
            for spec in self.flags["field-config"]
        ]
        index = f"{_database_path(self.project)}/collectionGroups/{group}/indexes"
        self.s["indexes"].append(
            {
                "name": f"{index}/i{len(self.s['indexes']) + 1}",
                "fields": [*fields, {"fieldPath": "__name__", "order": "ASCENDING"}],
                "state": "CREATING",
            }
        )

    def ttl_update(self, rest):
        group = self.flag("collection-group")
        self.s["ttls"].append(
            {
                "name": f"{_database_path(self.project)}/collectionGroups/{group}/fields/{rest[0]}",
                "ttlConfig": {"state": "CREATING"},
            }
        )

    def sink_update(self, rest):
        for kind in ("add-exclusion", "update-exclusion"):
            for spec in self.flags.get(kind, []):
                values = dict(part.split("=", 1) for part in spec.split(","))
                exclusions = self.s["sink"]["exclusions"]
                exclusions[:] = [e for e in exclusions if e["name"] != values["name"]]
                exclusions.append({k: v for k, v in values.items()})

    def function_deploy(self, rest):
        name = rest[0]
        for required in ("region", "runtime", "source", "entry-point", "service-account",
                         "build-service-account", "env-vars-file", "set-secrets"):  # fmt: skip
            self.flag(required)
        if "gen2" not in self.flags:
            raise Usage("deploy without --gen2")
        if ":latest" in self.flag("set-secrets"):
            raise Usage("secrets must be pinned to a version")
        existing = self.s["functions"].get(name)
        if existing and existing.get("environment") == "GEN_1":
            raise Usage("Function already exists in 1st gen, can't change the environment.")
        labels = dict(
            label.split("=", 1)
            for spec in self.flags.get("update-labels", [])
            for label in spec.split(",")
        )
        region = self.flag("region")
        function = {
            "name": f"projects/{self.project}/locations/{region}/functions/{name}",
            "environment": "GEN_2",
            "state": "ACTIVE",
            "labels": {**(existing or {}).get("labels", {}), **labels},
            "url": f"https://{region}-{self.project}.cloudfunctions.net/{name}",
            "buildConfig": {
                "runtime": self.flag("runtime"),
                "source": {
                    "storageSource": {"bucket": f"gcf-v2-sources-{PROJECT_NUMBER_DEFAULT}-{region}"}
                },
            },
            "serviceConfig": {
                "uri": f"https://{name}-{PROJECT_NUMBER_DEFAULT}.{region}.run.app",
                "revision": f"{name}-0000{len(self.s['functions'])}-abc",
            },
        }
        if "trigger-location" in self.flags:
            function["eventTrigger"] = {"triggerRegion": self.flag("trigger-location")}
        self.s["functions"][name] = function
        # gcloud grants allUsers after creating the function, and only warns if that fails.
        if "allow-unauthenticated" in self.flags and not self.s.get("domainRestricted"):
            _bind(self.s["runPolicies"].setdefault(name, {}), "roles/run.invoker", "allUsers")
        bucket = f"gcf-v2-sources-{PROJECT_NUMBER_DEFAULT}-{region}"
        self.s["buckets"].setdefault(bucket, {"name": bucket})
        repository = f"projects/{self.project}/locations/{region}/repositories/gcf-artifacts"
        if not any(r["name"] == repository for r in self.s["repositories"]):
            self.s["repositories"].append({"name": repository})

    def function_delete(self, rest):
        del self.s["functions"][rest[0]]
        self.s["runPolicies"].pop(rest[0], None)

    def invoker_binding(self, rest):
        if rest[0] not in self.s["functions"]:
            raise LookupError(rest)
        if self.flag("member") == "allUsers" and self.s.get("domainRestricted"):
            raise Refused(DOMAIN_RESTRICTED)
        _bind(
            self.s["runPolicies"].setdefault(rest[0], {}), "roles/run.invoker", self.flag("member")
        )

    def job_create(self, rest):
        if rest[0] in self.s["jobs"]:
            raise Usage(f"job {rest[0]} exists")
        self.s["jobs"][rest[0]] = self._job(rest[0])

    def job_update(self, rest):
        if "headers" in self.flags:
            raise Usage("unrecognized arguments: --headers")
        self.s["jobs"][rest[0]] = {**self.s["jobs"][rest[0]], **self._job(rest[0])}

    def _job(self, name: str) -> dict:
        return {
            "name": f"projects/{self.project}/locations/{self.flag('location')}/jobs/{name}",
            "schedule": self.flag("schedule"),
            "timeZone": self.flag("time-zone", "Etc/UTC"),
            "state": "ENABLED",
            "attemptDeadline": self.flag("attempt-deadline"),
            "httpTarget": {
                "uri": self.flag("uri"),
                "httpMethod": self.flag("http-method").upper(),
                "oidcToken": {
                    "serviceAccountEmail": self.flag("oidc-service-account-email"),
                    "audience": self.flag("oidc-token-audience"),
                },
            },
        }

    def job_run(self, rest):
        self.s["jobs"][rest[0]]["lastAttemptTime"] = "2026-11-26T10:00:00Z"
        self.s["jobs"][rest[0]]["status"] = self.s.get("jobRunStatus", {})

    def job_delete(self, rest):
        del self.s["jobs"][rest[0]]

    def cleanup_set(self, rest):
        if "no-dry-run" not in self.flags:
            raise Usage("cleanup policies without --no-dry-run only pretend")
        policies = json.loads(Path(self.flag("policy")).read_text())
        for repository in self.s["repositories"]:
            if repository["name"].endswith("/" + rest[0]):
                repository["cleanupPolicies"] = {
                    p["name"]: {
                        "id": p["name"],
                        "action": p["action"]["type"].upper(),
                        **(
                            {
                                "condition": {
                                    k: (
                                        str(int(v[:-1]) * 86400) + "s"
                                        if k == "olderThan"
                                        else v.upper()
                                    )
                                    for k, v in p["condition"].items()
                                }
                            }
                            if "condition" in p
                            else {}
                        ),
                        **(
                            {"mostRecentVersions": p["mostRecentVersions"]}
                            if "mostRecentVersions" in p
                            else {}
                        ),
                    }
                    for p in policies
                }
                return
        raise LookupError(rest)

    def bucket_update(self, rest):
        lifecycle = json.loads(Path(self.flag("lifecycle-file")).read_text())
        self.s["buckets"][rest[0].removeprefix("gs://")]["lifecycle_config"] = lifecycle

    def trigger_delete(self, rest):
        self.s["triggers"] = [
            t for t in self.s["triggers"] if not t["name"].endswith("/" + rest[0])
        ]


def _database_path(project: str) -> str:
    return f"projects/{project}/databases/(default)"


def _bind(policy: dict, role: str, member: str) -> None:
    bindings = policy.setdefault("bindings", [])
    for binding in bindings:
        if binding["role"] == role:
            if member not in binding["members"]:
                binding["members"].append(member)
            return
    bindings.append({"role": role, "members": [member]})


COMMANDS = {
    ("version",): Fake.version,
    ("beta",): Fake.beta_help,
    ("auth", "list"): Fake.auth_list,
    ("auth", "application-default", "print-access-token"): Fake.adc_token,
    ("projects", "describe"): Fake.projects_describe,
    ("billing", "projects", "describe"): Fake.billing_describe,
    ("services", "list"): Fake.services_list,
    ("services", "enable"): Fake.services_enable,
    ("beta", "services", "identity", "create"): Fake.identity_create,
    ("firestore", "databases", "list"): Fake.databases_list,
    ("firestore", "databases", "create"): Fake.databases_create,
    ("firestore", "databases", "update"): Fake.databases_update,
    ("firestore", "databases", "delete"): Fake.databases_delete,
    ("iam", "service-accounts", "list"): Fake.accounts_list,
    ("iam", "service-accounts", "create"): Fake.accounts_create,
    ("iam", "service-accounts", "delete"): Fake.accounts_delete,
    ("projects", "get-iam-policy"): Fake.project_policy,
    ("projects", "add-iam-policy-binding"): Fake.project_binding,
    ("secrets", "list"): Fake.secrets_list,
    ("secrets", "create"): Fake.secrets_create,
    ("secrets", "delete"): Fake.secrets_delete,
    ("secrets", "versions", "list"): Fake.secret_versions_list,
    ("secrets", "versions", "add"): Fake.secret_version_add,
    ("secrets", "get-iam-policy"): Fake.secret_policy,
    ("secrets", "add-iam-policy-binding"): Fake.secret_binding,
    ("firestore", "indexes", "composite", "list"): Fake.indexes_list,
    ("firestore", "indexes", "composite", "create"): Fake.index_create,
    ("firestore", "fields", "ttls", "list"): Fake.ttls_list,
    ("firestore", "fields", "ttls", "update"): Fake.ttl_update,
    ("logging", "sinks", "describe"): Fake.sink_describe,
    ("logging", "sinks", "update"): Fake.sink_update,
    ("functions", "list"): Fake.functions_list,
    ("functions", "deploy"): Fake.function_deploy,
    ("functions", "delete"): Fake.function_delete,
    ("functions", "add-invoker-policy-binding"): Fake.invoker_binding,
    ("functions", "runtimes", "list"): Fake.runtimes_list,
    ("run", "services", "get-iam-policy"): Fake.run_policy,
    ("scheduler", "jobs", "list"): Fake.jobs_list,
    ("scheduler", "jobs", "describe"): Fake.job_describe,
    ("scheduler", "jobs", "create", "http"): Fake.job_create,
    ("scheduler", "jobs", "update", "http"): Fake.job_update,
    ("scheduler", "jobs", "run"): Fake.job_run,
    ("scheduler", "jobs", "delete"): Fake.job_delete,
    ("artifacts", "repositories", "list"): Fake.repositories_list,
    ("artifacts", "repositories", "set-cleanup-policies"): Fake.cleanup_set,
    ("storage", "buckets", "describe"): Fake.bucket_describe,
    ("storage", "buckets", "update"): Fake.bucket_update,
    ("eventarc", "triggers", "list"): Fake.triggers_list,
    ("eventarc", "triggers", "delete"): Fake.trigger_delete,
    ("beta", "monitoring", "channels", "list"): Fake.channels_list,
    ("beta", "monitoring", "channels", "create"): Fake.channel_create,
    ("beta", "monitoring", "channels", "delete"): Fake.channel_delete,
    ("logging", "metrics", "list"): Fake.metrics_list,
    ("logging", "metrics", "create"): Fake.metric_write,
    ("logging", "metrics", "update"): Fake.metric_write,
    ("logging", "metrics", "delete"): Fake.metric_delete,
    ("alpha", "monitoring", "policies", "list"): Fake.policies_list,
    ("alpha", "monitoring", "policies", "create"): Fake.policy_create,
    ("alpha", "monitoring", "policies", "update"): Fake.policy_update,
    ("alpha", "monitoring", "policies", "delete"): Fake.policy_delete,
    ("billing", "budgets", "list"): Fake.budgets_list,
    ("billing", "budgets", "create"): Fake.budget_create,
    ("billing", "budgets", "update"): Fake.budget_update,
    ("billing", "budgets", "delete"): Fake.budget_delete,
}


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
