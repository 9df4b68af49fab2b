"""Deploy one initiative to Google Cloud, check a project before, test it after, look after it.

    python3 infra/deploy.py check    --project=P --env-file=F        what is missing, how to mend
    python3 infra/deploy.py deploy   --project=P --env-file=F --deployment=D [--dry-run]
    python3 infra/deploy.py smoke    --project=P --env-file=F        the deployed product answers
    python3 infra/deploy.py status   --project=P --env-file=F        functions, jobs, failed mail
    python3 infra/deploy.py teardown --project=P [--delete-database] [--delete-secrets]

(``make deploy PROJECT=... DEPLOYMENT=... ENV_FILE=... [DRY_RUN=1]`` runs ``deploy``.) Only
Python 3.11+ and gcloud are needed: the first run makes a virtual environment with the
functions' own requirements (under .local/upload-venv/, made again when they change). Every step
reads the project first and changes only what is missing or different, so running it again is
safe and reports "unchanged"; ``--dry-run`` prints every command it would run, shell-quoted, and
runs none.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

REPOSITORY = Path(__file__).resolve().parent.parent


def stage(deployment_file: Path, build_dir: Path) -> Path:
    """The upload: the functions package, the templates and this initiative's configuration
    (with its checked, compiled copy: see config.load_deployment), without the people it may
    still name: those live in Firestore (see buurtwhatsapp/people.py and the deploy's people
    step), never in an image the AVG would make awkward to erase."""
    upload = build_dir / "functions"
    if upload.exists():
        shutil.rmtree(upload)
    shutil.copytree(
        REPOSITORY / "functions",
        upload,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "__compiled__", "deployment.toml", "templates"
        ),
    )
    shutil.copytree(REPOSITORY / "templates", upload / "templates")
    (upload / "deployment.toml").write_text(
        without_people(deployment_file.read_text(encoding="utf-8")), encoding="utf-8"
    )
    # Checked once here, by the staged code itself, so that no function's first request pays
    # for checking it again; and the templates compiled, for the same reason.
    compiled = subprocess.run(
        [sys.executable, "-c", _COMPILE],
        cwd=upload,
        env={**os.environ, "PYTHONPATH": str(upload)},
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        raise StageError(compiled.stderr.strip().splitlines()[-1] if compiled.stderr else "")
    return upload


def _note_compiled_for_another_python(runtime: str, out: TextIO) -> None:
    """The upload's compiled templates and dataclass code are this Python's: another runtime
    ignores them (they are checked) and compiles at every cold start, some 60 ms each time."""
    here = f"python{sys.version_info.major}{sys.version_info.minor}"
    if here != runtime:
        print(
            f"note: the templates and classes in the upload are compiled by {here}, but the "
            f"functions run {runtime}, which will compile them again at each cold start (some "
            f"60 ms); deploy with Python {runtime[6]}.{runtime[7:]} to spare that",
            file=out,
        )


class StageError(Exception):
    """The staged deployment file could not be checked, or still names people."""


# The compiled copy is checked, by the staged code, to name nobody: a person written in a form
# without_people does not recognise stops the deploy rather than reaching the upload.
_COMPILE = """
from buurtwhatsapp.common.compiled_classes import compile_classes
compile_classes()  # first: every class of the package is made, and recorded, here
from pathlib import Path
from buurtwhatsapp.common.rendering import compile_templates
from buurtwhatsapp.deployment.loading import compile_deployment, load_deployment
compile_deployment("deployment.toml")
compile_templates(Path("templates"))
staged = load_deployment("deployment.toml")
if staged.regiegroep or any(group.coordinator for group in staged.groups):
    raise SystemExit(
        "the staged deployment file still names people: write coordinators and the regiegroep "
        "as [[groups.coordinators]] and [[regiegroep]] tables, or leave them out and use "
        "infra/maintain coordinators set"
    )
"""
_PEOPLE_TABLES = {"groups.coordinators", "regiegroep"}
_TABLE_HEADER = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(?:#.*)?$")


def without_people(text: str) -> str:
    """The deployment file without its [[groups.coordinators]] and [[regiegroep]] tables.

    A table runs from its header to the next header; the file's values are single-line
    strings (deployment_file refuses control characters), so a line that looks like a header
    is one.
    """
    kept: list[str] = []
    keep = True
    for line in text.splitlines(keepends=True):
        header = _TABLE_HEADER.fullmatch(line.rstrip("\r\n"))
        if header is not None:
            keep = header.group(1).replace(" ", "") not in _PEOPLE_TABLES
        if keep:
            kept.append(line)
    return "".join(kept)


def deploy(args: argparse.Namespace, out: TextIO) -> int:
    from buurtwhatsapp.deployment.loading import load_deployment
    from buurtwhatsapp.deployment.structure import ConfigError
    from infra import deploy_settings, steps
    from infra.gcloud import Gcloud, GcloudError

    settings = _settings(args, out)
    if settings is None:
        return 2
    try:
        deployment = load_deployment(args.deployment)
    except (ConfigError, OSError) as error:
        print(f"deployment file refused: {args.deployment}\n{error}", file=out)
        return 2
    build_dir = args.build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    try:
        source = stage(args.deployment, build_dir)
    except StageError as error:
        print(f"deployment file refused: {args.deployment}\n{error}", file=out)
        return 2
    _note_compiled_for_another_python(steps.RUNTIME, out)
    deploy_settings.write_env_file(settings.function_environment(), build_dir / "env.yaml")
    gcloud = Gcloud(args.project, dry_run=args.dry_run, out=out, executable=args.gcloud)
    ctx = steps.Context(
        settings=settings,
        gcloud=gcloud,
        build_dir=build_dir,
        source=source,
        out=out,
        deployment_file=args.deployment,
        deployment=deployment,
    )

    mode = "dry run: nothing is changed" if args.dry_run else "deploying"
    print(f"Buurt WhatsApp to {args.project} ({args.region}), {mode}", file=out)
    total = len(steps.STEPS)
    for number, (title, step) in enumerate(steps.STEPS, start=1):
        print(f"[{number}/{total}] {title}", file=out, flush=True)
        started = time.monotonic()
        try:
            outcome = step(ctx)
        except (GcloudError, steps.DeployError) as error:
            _stopped(number, title, error, out)
            return 1
        took = time.monotonic() - started
        planned = " (dry run: not done)" if args.dry_run and outcome != "unchanged" else ""
        timing = f" in {took:.0f} s" if took >= 1 else ""
        print(f"    -> {outcome}{planned}{timing}", file=out, flush=True)
    _report(ctx, out)
    return 0


def _stopped(number: int, title: str, error: Exception, out: TextIO) -> None:
    from infra.gcloud import GcloudError

    print(f"\ndeploy stopped at step {number} ({title}).", file=out)
    if isinstance(error, GcloudError):
        print(f"gcloud said:\n{_indent(error.message)}", file=out)
        print(
            "What to do: mend what gcloud names (check shows what is missing: "
            "python3 infra/deploy.py check ...), then run the deploy again; the steps that are "
            "done stay done and report 'unchanged'.",
            file=out,
        )
    else:
        print(_indent(str(error)), file=out)


def _report(ctx, out: TextIO) -> None:
    from infra.functions import FUNCTIONS

    settings = ctx.settings
    print("\nThe functions:", file=out)
    for spec in FUNCTIONS:
        access = "public" if spec.public else "private"
        print(f"  {spec.name:<13} {settings.functions_base_url}/{spec.name}  ({access})", file=out)
    print(
        f"\nThe form: {settings.public_base_url}/signup\n"
        f"PUBLIC_BASE_URL (the links in every mail) is {settings.public_base_url}"
        + (
            ""
            if "PUBLIC_BASE_URL" in settings.environment
            else ": Google's own address for the functions, set by the deploy. To use a domain "
            "of the initiative, map it to the functions (README, 'A domain of your own') and "
            "set PUBLIC_BASE_URL in the env file."
        ),
        file=out,
    )
    if not ctx.dry_run:
        print(
            "Next: python3 infra/deploy.py smoke --project=... --env-file=... "
            "(a form, a refused sign-up, and the mail sweep)",
            file=out,
        )


def _settings(args: argparse.Namespace, out: TextIO):
    from infra import deploy_settings

    try:
        return deploy_settings.load(args.project, args.region, args.env_file)
    except deploy_settings.DeploySettingsError as error:
        print(f"settings refused:\n{_indent(str(error))}", file=out)
        return None


def _indent(text: str, prefix: str = "  ") -> str:
    return textwrap.indent(str(text), prefix)


def check(args: argparse.Namespace, out: TextIO) -> int:
    from infra import operate

    return _with_settings(
        args, out, lambda s: operate.preflight(s, executable=args.gcloud, out=out)
    )


def smoke(args: argparse.Namespace, out: TextIO) -> int:
    from infra import operate

    return _with_settings(
        args,
        out,
        lambda s: operate.smoke(s, executable=args.gcloud, out=out, base_url=args.base_url),
    )


def status(args: argparse.Namespace, out: TextIO) -> int:
    from infra import operate

    return _with_settings(args, out, lambda s: operate.status(s, executable=args.gcloud, out=out))


def _with_settings(args: argparse.Namespace, out: TextIO, operation) -> int:
    settings = _settings(args, out)
    return 2 if settings is None else operation(settings)


def teardown(args: argparse.Namespace, out: TextIO) -> int:
    from infra import operate

    return operate.teardown(
        args.project,
        args.region,
        executable=args.gcloud,
        out=out,
        confirmed=args.confirm,
        delete_database=args.delete_database,
        delete_secrets=args.delete_secrets,
        database=args.database,
    )


def examples(args: argparse.Namespace, out: TextIO) -> int:
    from infra.examples import write_examples

    try:
        written = write_examples(args.directory)
    except FileExistsError as error:
        print(f"{error.filename} exists already: nothing written", file=out)
        return 1
    except OSError as error:
        print(f"cannot write {error.filename}: {error.strerror}", file=out)
        return 1
    for path in written:
        print(f"wrote {path}: fill it in, and keep it out of git", file=out)
    return 0


def parser() -> argparse.ArgumentParser:
    from infra.deploy_settings import DEFAULT_DATABASE, DEFAULT_REGION

    top = argparse.ArgumentParser(prog="infra/deploy.py", description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    def command(name: str, run, text: str, *, env_file: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(run=run)
        sub.add_argument("--project", required=True, help="the Google Cloud project id")
        sub.add_argument("--region", default=DEFAULT_REGION, help="where the functions run")
        sub.add_argument("--gcloud", default="gcloud", help=argparse.SUPPRESS)
        if env_file:
            sub.add_argument(
                "--env-file", type=Path, required=True, help="the functions' settings (YAML)"
            )
        return sub

    run = command("deploy", deploy, "deploy everything, or with --dry-run print the plan")
    run.add_argument("--deployment", type=Path, required=True, help="the initiative's .toml")
    run.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    run.add_argument("--build-dir", type=Path, default=REPOSITORY / "build", help=argparse.SUPPRESS)
    command("check", check, "say what is missing before a deploy, and how to mend it")
    command("smoke", smoke, "check the deployed product answers").add_argument(
        "--base-url", help="where the functions are (default: PUBLIC_BASE_URL)"
    )
    command("status", status, "the functions, the scheduler jobs and the failed mail")
    down = command(
        "teardown", teardown, "remove the functions, jobs, triggers and accounts", env_file=False
    )
    down.add_argument("--confirm", help="the project id again, to confirm without a prompt")
    down.add_argument("--delete-database", action="store_true", help="also the Firestore data")
    down.add_argument("--delete-secrets", action="store_true", help="also the secrets")
    down.add_argument("--database", default=DEFAULT_DATABASE, help="the database to delete")
    write = commands.add_parser(
        "examples",
        help="write my-env.yaml and secrets.env to fill in",
        description="write my-env.yaml and secrets.env to fill in (never over existing files)",
    )
    write.set_defaults(run=examples)
    write.add_argument("directory", type=Path, nargs="?", default=Path("."))
    return top


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    return args.run(args, out)


def _ensure_requirements() -> None:
    """Run with the functions' own requirements (the deploy checks the deployment file and
    seeds Firestore with the functions' code): in this Python if it has them (the development
    venv), else in the virtual environment the upload-unit tests build from
    functions/requirements.txt alone, kept under a key of that file, so it is never stale."""
    try:
        import email_validator  # noqa: F401
        import google.cloud.firestore  # noqa: F401
        import phonenumbers  # noqa: F401
    except ImportError:
        if os.environ.get("BUURTWHATSAPP_DEPLOY_VENV"):
            raise SystemExit(
                "the functions' requirements are missing from the venv made for the deploy; "
                "remove .local/upload-venv and run again"
            ) from None
        sys.path.insert(0, str(REPOSITORY))
        from devstack.upload_unit import VenvBuildError, upload_venv

        def building(venv: Path) -> None:
            print(f"installing the functions' requirements in {venv} (once) ...", file=sys.stderr)

        try:
            python = upload_venv(on_build=building) / "bin" / "python"
        except VenvBuildError as error:
            raise SystemExit(str(error)) from None
        os.environ["BUURTWHATSAPP_DEPLOY_VENV"] = "1"
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


if __name__ == "__main__":
    if sys.version_info < (3, 11):  # noqa: UP036 - run by whatever python3 a maintainer has
        raise SystemExit("infra/deploy.py needs Python 3.11 or newer")
    _ensure_requirements()
    sys.path[:0] = [str(REPOSITORY), str(REPOSITORY / "functions")]
    raise SystemExit(main())
