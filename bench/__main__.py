"""``make bench``: one table of what the functions cost, each figure beside its baseline.

    python -m bench [--source TREE] [--quick] [--emulator auto|google|npm] [--budget SECONDS]
                    [--only SECTION ...] [--pairs N] [--function NAME ...]

Measures the source tree TREE (default: this checkout; ``make bench BENCH_SOURCE=...``) with
this checkout's bench, as production runs it: the upload its own ``infra.deploy.stage`` builds,
in a venv of its functions/requirements.txt alone, one ``functions-framework`` process per
function. Sections, in the order of the table:

1. cold start of every function against the floor function (bench/floor.py), interleaved pairs;
2. warm p50, p95 and p99 of POST /signup and of deliver_mail against the floor;
3. Firestore writes, reads, deletes and TTL deletes of one complete journey, counted at the
   client (bench/journey.py), and what they cost (bench/cost.py); and the round trips of each
   resident- and coordinator-facing request (bench/round_trips.py);
4. peak memory of every function's process tree after its requests, against the 256 MiB tier;
5. the mail-latency figures of bench/mail_latency.py, on every emulator installed.

Progress goes to standard error; the table, at the end, to standard output. A section that
fails (say, the tree is half-way through a change) prints as a FAILED line with the reason,
and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

from bench import cold_start, cost, warm
from bench.figures import Table
from bench.floor import write_floor
from bench.payloads import Requests
from bench.processes import SIGNING_KEY, Spec, Stage, cpu_count
from bench.source import BENCH_ROOT, SourceTree, run_child


@dataclass(frozen=True)
class Plan:
    """How many of everything: the full bench, or a quick one for development."""

    signup_pairs: int = 12
    other_pairs: int = 8
    warm_requests: int = 300
    warm_batch: int = 25
    memory_requests: int = 300
    journeys: int = 2
    mail_latency_signups: int = 30
    scale_members: int = 20_000  # bench/scale.py; 0: not measured
    quick: bool = False
    only: frozenset[str] = frozenset()  # sections to run (SECTIONS); empty: all of them
    cold_functions: frozenset[str] = frozenset()  # names of functions to start cold; empty: all

    def runs(self, section: str) -> bool:
        return not self.only or section in self.only

    def pairs(self, entry_point: str) -> int:
        return self.signup_pairs if entry_point == "signup" else self.other_pairs


# What --only can choose: the parts of the table, each run by itself. "warm" includes memory.
SECTIONS = ("firestore", "cold", "warm", "scale", "mail")
FULL = Plan()
QUICK = Plan(
    signup_pairs=3,
    other_pairs=1,
    warm_requests=40,
    warm_batch=10,
    memory_requests=40,
    journeys=2,
    mail_latency_signups=5,
    scale_members=0,
    quick=True,
)
CHILD_TIMEOUT = 300.0
# Projects on the one emulator: the sweep must not see the pool of mail deliver_mail sends.
SIGNUPS_PROJECT = "bench-signups"
LINKED_PROJECT = "bench-linked"
SCHEDULES_PROJECT = "bench-schedules"
FLOOR_PROJECT = "bench-floor"


class Bench:
    def __init__(self, source: SourceTree, plan: Plan, work: Path, budget: float) -> None:
        self.source = source
        self.plan = plan
        self.work = work
        self.budget = budget
        self.began = time.monotonic()
        self.sections: dict[str, Table] = {
            name: Table() for name in ("cold", "warm", "firestore", "memory", "scale", "mail")
        }
        self.failed = False

    def progress(self, message: str) -> None:
        print(f"[{time.monotonic() - self.began:5.0f} s] {message}", file=sys.stderr, flush=True)

    def section(self, name: str, title: str, run: Callable[[Table], None]) -> None:
        """Run one section into its part of the table; a failure becomes its FAILED line."""
        table = self.sections[name]
        if time.monotonic() - self.began > self.budget:
            table.add(title, "SKIPPED", f"the bench's {self.budget:.0f} s were used up")
            self.failed = True
            return
        self.progress(f"{title} ...")
        try:
            run(table)
        except Exception as error:  # the table still prints, with this section's reason
            self.failed = True
            reason = " ".join(str(error).split())[:300]
            table.add(title, "FAILED", f"{type(error).__name__}: {reason}")
            print(f"{title} failed:\n{error}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)

    def child_environment(self, upload: Path, emulator_host: str, project: str) -> dict[str, str]:
        return {
            "FIRESTORE_EMULATOR_HOST": emulator_host,
            "GOOGLE_CLOUD_PROJECT": project,
            "MAIL_TRANSPORT": "file",
            "MAIL_OUTBOX_DIR": str(self.work / "outbox" / f"child-{project}"),
            "PUBLIC_BASE_URL": "http://localhost:8080",
            "SIGNING_KEY": SIGNING_KEY,
            "DEPLOYMENT_FILE": str(upload / "deployment.toml"),
            "TEMPLATES_DIR": str(upload / "templates"),
        }

    def run(self, emulator_kind: str) -> Table:
        from devstack.emulator import running
        from devstack.upload_unit import upload_venv

        table = Table()
        quick = " --quick" if self.plan.quick else ""
        table.note(f"make bench{quick}: {self.source.describe()}")
        load_at_start = os.getloadavg()[0]
        self.progress("the functions' venv (functions/requirements.txt alone) ...")
        venv = upload_venv(self.source.requirements)
        upload = self.source.stage(self.work / "build")
        functions: tuple[Spec, ...] = self.source.functions()
        with running(emulator_kind) as emulator:
            table.note(
                f"{cpu_count()} CPUs, Python {platform.python_version()}, Firestore emulator "
                f"{emulator.kind}, functions from {venv.name}; each figure beside its baseline"
            )
            stage = Stage(venv, upload, write_floor(self.work / "floor"), emulator.host, self.work)
            fixtures: dict[str, Any] = {}
            if self.plan.runs("firestore"):
                self.section(
                    "firestore",
                    "Firestore per journey",
                    lambda part: self._journeys(part, upload, emulator.host, functions),
                )
                self.section(
                    "firestore",
                    "round trips",
                    lambda part: self._round_trips(part, upload, emulator.host),
                )
            if self.plan.runs("cold") or self.plan.runs("warm"):
                self.section(
                    "cold",
                    "fixtures",
                    lambda _part: fixtures.update(self._fixtures(upload, emulator.host, functions)),
                )
            if fixtures:
                requests = fixtures["requests"]
                if self.plan.runs("cold"):
                    self.section(
                        "cold",
                        "cold start",
                        lambda part: self._cold_starts(part, stage, functions, requests),
                    )
                if self.plan.runs("warm"):
                    self.section(
                        "warm",
                        "warm latency",
                        lambda part: self._warm(part, stage, functions, requests),
                    )
                self._check_deliveries(stage, fixtures)
            if self.plan.scale_members and self.plan.runs("scale"):
                self.section(
                    "scale",
                    f"a town of {self.plan.scale_members} members",
                    lambda part: self._scale(part, upload, emulator.host),
                )
        if self.plan.runs("mail"):
            self.section("mail", "mail latency", self._mail_latency)
        for part in self.sections.values():
            table.lines += part.lines
        table.note(
            f"load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
            "(other work on the machine shows as spread)"
        )
        table.add("bench wall time", f"{time.monotonic() - self.began:.0f} s")
        return table

    # ---- sections ---------------------------------------------------------------------------

    def _scale(self, table: Table, upload: Path, emulator_host: str) -> None:
        """bench/scale.py, against the staged upload, on a project of its own."""
        output = self.work / "scale.json"
        members = str(self.plan.scale_members)
        run_child(
            ["-m", "bench.scale", "--members", members, "--output", str(output)],
            python_path=[upload, BENCH_ROOT],
            environment=self.child_environment(upload, emulator_host, "unused"),
            timeout=2 * CHILD_TIMEOUT,
            cwd=self.work,
        )
        for figure in json.loads(output.read_text()):
            table.add(figure["name"], figure["value"], figure["note"])

    def _round_trips(self, table: Table, upload: Path, emulator_host: str) -> None:
        """bench/round_trips.py, against the staged upload: one line per request."""
        output = self.work / "round_trips.json"
        run_child(
            ["-m", "bench.round_trips", "--output", str(output)],
            python_path=[upload, BENCH_ROOT],
            environment=self.child_environment(upload, emulator_host, "unused"),
            timeout=CHILD_TIMEOUT,
            cwd=self.work,
        )
        for figure in json.loads(output.read_text()):
            met = "met" if figure["round_trips"] <= figure["goal"] else "MISSED"
            table.add(
                f"round trips {figure['request']}",
                str(figure["round_trips"]),
                f"goal ≤ {figure['goal']} {met}; Firestore calls one after another, warm",
            )

    def _journeys(
        self, table: Table, upload: Path, emulator_host: str, functions: tuple[Spec, ...]
    ) -> None:
        from bench.journey import DUE, MEMBERS, STEPS

        output = self.work / "journeys.json"
        run_child(
            ["-m", "bench.journey", "--repeat", str(self.plan.journeys), "--output", str(output)],
            python_path=[upload, BENCH_ROOT],
            environment=self.child_environment(upload, emulator_host, "unused"),
            timeout=CHILD_TIMEOUT,
            cwd=self.work,
        )
        journeys = json.loads(output.read_text())["journeys"]
        first = journeys[0]
        stable = all(
            {key: journey[key] for key in ("total", "ttl_documents", "outcomes")}
            == {key: first[key] for key in ("total", "ttl_documents", "outcomes")}
            for journey in journeys
        )
        steps, total = first["steps"], first["total"]
        sent = first["outcomes"].get("sent", 0)
        named = {"delivery": f"delivery of {sent} mails", "schedules": "sweep and housekeeping"}

        def by_step(kind: str) -> str:
            return ", ".join(
                f"{named.get(step, step)} {steps[step][kind]}"
                for step in (*STEPS, "delivery", "schedules")
            )

        for kind in ("writes", "reads", "deletes"):
            table.add(f"Firestore {kind} per journey", str(total[kind]), by_step(kind))
        ttl = first["ttl_documents"]
        table.add(
            "Firestore TTL deletes per journey",
            str(first["ttl_deletes"]),
            "documents left with an expire_at: " + _counts(ttl),
        )
        kept = first["kept_documents"]
        table.add(
            "Firestore documents kept per journey",
            str(sum(kept.values())),
            "left without an expire_at: " + _counts(kept),
        )
        if sent:
            table.add(
                "Firestore writes per mail delivered",
                f"{steps['delivery']['writes'] / sent:.1f}",
                f"{steps['delivery']['writes']} writes for {sent} mails, outcomes "
                + _counts(first["outcomes"]),
            )
        table.add(
            "Firestore writes and deletes by collection per journey",
            str(total["writes"] + total["deletes"]),
            _counts(total["written"]),
        )
        members = json.loads(output.read_text()).get("members")
        if members is not None:
            table.add(
                f"Firestore reads per housekeeping run among {MEMBERS} members, {DUE} due",
                str(members["reads"]),
                f"writes {members['writes']}, deletes {members['deletes']}; an idle run reads "
                f"{first['idle_housekeeping']['reads']}: the yearly check reads what is due "
                "(the due members, their mails and fences), never every member",
            )
        table.add(
            "Firestore counts stable",
            "yes" if stable else "NO",
            f"{len(journeys)} journeys, each on a fresh project, counted alike"
            if stable
            else "journeys differ: " + "; ".join(json.dumps(j["total"]) for j in journeys),
        )
        self._cost(table, first, functions)

    def _cost(self, table: Table, journey: dict[str, Any], functions: tuple[Spec, ...]) -> None:
        total = journey["total"]
        usage = cost.Usage(
            reads=total["reads"],
            writes=total["writes"],
            deletes=total["deletes"],
            ttl_deletes=journey["ttl_deletes"],
        )
        runs = {
            spec.entry_point: cost.runs_per_day(getattr(spec, "schedule", None))
            for spec in functions
        }
        idle = {"sweep_mail": journey["idle_sweep"], "housekeeping": journey["idle_housekeeping"]}
        fixed = cost.Usage(0, 0, 0)
        fixed_details = []
        for entry_point, operations in idle.items():
            per_day = runs.get(entry_point)
            table.add(
                f"Firestore reads per idle {entry_point} run",
                str(operations["reads"]),
                f"writes {operations['writes']}, deletes {operations['deletes']}; "
                f"{per_day if per_day is not None else 'unknown'} runs a day",
            )
            if per_day:
                fixed = cost.Usage(
                    fixed.reads + per_day * operations["reads"],
                    fixed.writes + per_day * operations["writes"],
                    fixed.deletes + per_day * operations["deletes"],
                )
                fixed_details.append(f"{per_day} × {entry_point}")
        table.add(
            "Firestore reads per day for the schedules",
            f"{fixed.reads:.0f}",
            ", ".join(fixed_details) + " on an idle project, whatever the traffic",
        )
        prices = cost.price(usage * 1000)
        table.add(
            "cost per 1000 journeys",
            f"${prices['total']:.4f}",
            ", ".join(f"{kind} ${value:.4f}" for kind, value in prices.items() if kind != "total")
            + f"; {cost.LOCATION} list prices per 100k: reads ${cost.USD_PER_100K_READS}, "
            f"writes ${cost.USD_PER_100K_WRITES}, deletes ${cost.USD_PER_100K_DELETES}, "
            "nothing free counted",
        )
        tier = cost.free_tier(usage, fixed)
        table.add(
            "free tier journeys per day",
            str(tier.journeys),
            f"{tier.first_out} run out first; "
            + ", ".join(f"{kind} alone {value}" for kind, value in tier.by_quota.items())
            + f"; after the schedules' {fixed.reads:.0f} reads a day; free tier "
            f"{cost.FREE_READS_PER_DAY} reads, {cost.FREE_WRITES_PER_DAY} writes, "
            f"{cost.FREE_DELETES_PER_DAY} deletes a day; TTL deletes are never free "
            f"(${cost.price(cost.Usage(0, 0, 0, journey['ttl_deletes']))['total'] * 1000:.4f} "
            "per 1000 journeys)",
        )

    def _fixtures(
        self, upload: Path, emulator_host: str, functions: tuple[Spec, ...]
    ) -> dict[str, Any]:
        from google.cloud import firestore

        deliveries = [spec for spec in functions if spec.signature_type == "cloudevent"]
        mails = len(deliveries) * (
            self.plan.other_pairs + warm.WARM_UP_REQUESTS + self.plan.warm_requests + 5
        )
        output = self.work / "fixtures.json"
        run_child(
            ["-m", "bench.fixtures", "--mails", str(mails), "--output", str(output)],
            python_path=[upload, BENCH_ROOT],
            environment=self.child_environment(upload, emulator_host, LINKED_PROJECT),
            timeout=CHILD_TIMEOUT,
            cwd=self.work,
        )
        made = json.loads(output.read_text())
        # The client reads the emulator's address when it is made; the bench's own environment
        # keeps none, so that the mail-latency section still finds every emulator kind.
        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator_host
        try:
            client = firestore.Client(project=LINKED_PROJECT)
        finally:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        references = [client.collection("mail").document(mail_id) for mail_id in made["mails"]]
        fields = {snapshot.id: snapshot.to_dict() or {} for snapshot in client.get_all(references)}
        pool = [(mail_id, fields[mail_id]) for mail_id in made["mails"]]
        self.progress(f"fixtures: {len(pool)} queued mails, a confirmed sign-up's links")
        return {"requests": Requests(made["links"], pool, LINKED_PROJECT), "pool": len(pool)}

    def _project(self, spec: Spec) -> str:
        if spec.entry_point == "signup":
            return SIGNUPS_PROJECT
        if spec.signature_type == "http" and getattr(spec, "schedule", None):
            return SCHEDULES_PROJECT
        return LINKED_PROJECT

    def _cold_starts(
        self, table: Table, stage: Stage, functions: tuple[Spec, ...], requests: Requests
    ) -> None:
        for spec in functions:
            if not requests.knows(spec.entry_point):
                table.add(f"cold start {spec.name}", "SKIPPED", "no meaningful request known")
        chosen = self.plan.cold_functions
        plan = [
            (spec, self.plan.pairs(spec.entry_point), self._project(spec))
            for spec in functions
            if requests.knows(spec.entry_point) and (not chosen or spec.name in chosen)
        ]
        results = cold_start.measure(stage, plan, requests, FLOOR_PROJECT, self.progress)
        cold_start.report(table, results)

    def _warm(
        self, table: Table, stage: Stage, functions: tuple[Spec, ...], requests: Requests
    ) -> None:
        memory = self.sections["memory"]
        labels = {"signup": "POST /signup", "deliver_mail": "deliver-mail"}
        floors = {}
        for spec in functions:
            if spec.entry_point not in labels:
                continue
            ours, floor = warm.against_floor(
                stage,
                spec,
                self._project(spec),
                FLOOR_PROJECT,
                requests,
                count=self.plan.warm_requests,
                batch=self.plan.warm_batch,
                progress=self.progress,
            )
            warm.report_latency(table, labels[spec.entry_point], ours, floor, self.plan.warm_batch)
            floors[spec.signature_type] = floor
            warm.report_memory(memory, ours, floor)
        for spec in functions:
            if spec.entry_point in labels or not requests.knows(spec.entry_point):
                continue
            served = warm.alone(
                stage,
                spec,
                self._project(spec),
                requests,
                count=self.plan.memory_requests,
                progress=self.progress,
            )
            floor = floors.get(spec.signature_type) or next(iter(floors.values()))
            warm.report_memory(memory, served, floor)

    def _check_deliveries(self, stage: Stage, fixtures: dict[str, Any]) -> None:
        """Every CloudEvent sent was a mail written: the deliveries measured were real ones."""
        sent = fixtures["requests"].events
        written = len(list(stage.outbox(LINKED_PROJECT).glob("*.eml")))
        self.progress(f"deliver_mail got {sent} CloudEvents and wrote {written} .eml files")
        if written != sent:
            self.sections["warm"].add(
                "deliveries",
                "FAILED",
                f"{sent} CloudEvents for queued mail, but {written} mails written",
            )
            self.failed = True

    def _mail_latency(self, table: Table) -> None:
        from bench.mail_latency import MISSED
        from devstack.emulator import available_kinds, running

        figures = []
        for kind in available_kinds():
            output = self.work / f"mail-latency-{kind}.json"
            # The emulator is started here, outside the child's memory limit: a JVM reserves
            # more address space than the limit allows, and would not start in the child.
            with running(kind) as emulator:
                run_child(
                    [
                        str(BENCH_ROOT / "bench" / "mail_latency.py"),
                        "--count",
                        str(self.plan.mail_latency_signups),
                        "--json",
                        str(output),
                        "--emulator",
                        kind,
                    ],
                    # The measured tree's own dev server, relay and functions.
                    python_path=[self.source.root / "functions", self.source.root],
                    environment={"FIRESTORE_EMULATOR_HOST": emulator.host},
                    timeout=CHILD_TIMEOUT,
                    cwd=self.work,
                    accept=(0, MISSED),  # MISSED: the target was missed, which figures say
                )
            figures += json.loads(output.read_text())
        for figure in figures:
            met = "met" if figure["mail_p95"] < figure["target_p95"] else "MISSED"
            table.add(
                f"mail latency {figure['emulator']} p95",
                f"{figure['mail_p95']:.3f} s",
                f"target {figure['target_p95']:.0f} s {met}; median "
                f"{figure['mail_p50']:.3f} s, max {figure['mail_max']:.3f} s, answer median "
                f"{figure['answer_p50']:.3f} s; {figure['count']} sign-ups through the dev "
                "server and relay, sign-up to .eml in the outbox",
            )


def _counts(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name} {value}" for name, value in ordered if value) or "none"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # As Ctrl-C: every `finally` runs, so every process the bench started is stopped.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=BENCH_ROOT, help="the tree to measure")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for development")
    parser.add_argument("--emulator", choices=["auto", "google", "npm"], default="auto")
    parser.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help="members of the town-sized section (default 20000; --quick: none; 0: none)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=840.0,
        help="seconds after which sections not yet begun are skipped (default 14 minutes)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only this section (repeatable; one of {', '.join(SECTIONS)})",
    )
    parser.add_argument(
        "--pairs", type=int, metavar="N", help="cold-start pairs for every function (N ≥ 1)"
    )
    parser.add_argument(
        "--function",
        action="append",
        metavar="NAME",
        help="start only this function cold (repeatable; a name of infra/functions.py)",
    )
    args = parser.parse_args(argv)
    if args.pairs is not None and args.pairs < 1:
        parser.error("--pairs must be at least 1")
    if (args.function or args.pairs) and args.only and "cold" not in args.only:
        parser.error("--pairs and --function choose cold starts: add --only cold")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    from devstack.emulator import SETUP_HINT, NoEmulatorError, preferred_kind

    source = SourceTree(args.source.resolve())
    source.check()
    known = {spec.name for spec in source.functions()}
    unknown = sorted(set(args.function or ()) - known)
    if unknown:
        parser.error(f"no function {', '.join(unknown)}; the functions: {', '.join(sorted(known))}")
    # Google's emulator where it is installed (it is what Firestore itself does most alike),
    # else the npm one; or the one FIRESTORE_EMULATOR_HOST names.
    try:
        kind = preferred_kind() if args.emulator == "auto" else args.emulator
    except NoEmulatorError:
        print(SETUP_HINT, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        plan = QUICK if args.quick else FULL
        if args.scale is not None:
            plan = replace(plan, scale_members=args.scale)
        if args.pairs is not None:
            plan = replace(plan, signup_pairs=args.pairs, other_pairs=args.pairs)
        plan = replace(
            plan, only=frozenset(args.only or ()), cold_functions=frozenset(args.function or ())
        )
        bench = Bench(source, plan, Path(work), args.budget)
        try:
            table = bench.run(kind)
        except KeyboardInterrupt:
            print("bench stopped", file=sys.stderr)
            return 130
    print(table.render(), flush=True)
    return 1 if bench.failed else 0


if __name__ == "__main__":
    sys.exit(main())
