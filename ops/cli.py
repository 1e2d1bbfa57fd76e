"""`safety-settings`: the service's jobs, run by an operator from a terminal against AWS or `make run`'s moto.

    safety-settings transitions run [--date YYYY-MM-DD] [--dry-run] [--json]
    safety-settings policy diff OLD NEW [--json]
    safety-settings policy migrate [--to VERSION] [--dry-run] [--yes] [--json] [--max-accounts N]
    safety-settings export [--history] [--from D] [--to D] --out DIR
    safety-settings verify DIR

The AWS account, region and endpoint come from the environment as for any AWS tool (`AWS_PROFILE`, `AWS_REGION`,
`AWS_ENDPOINT_URL=http://127.0.0.1:8001` for the local stack); table names and the key alias from the same variables
the functions read. A run is the scheduled job's own: it saves its place after every page, so a run stopped with
Ctrl+C is finished by the next, and a day already finished is not done twice.

Exit status: 0 done with no account failed; 1 some accounts could not be moved, or AWS refused; 2 a usage error;
130 stopped by Ctrl+C (the next run continues).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from chalicelib.services.transitions import TransitionRun, TransitionsDeps

Now = Callable[[], datetime]
Compose = Callable[[Mapping[str, str], Now], "TransitionsDeps"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def utc_now() -> datetime:
    return datetime.now(UTC)


def _day(text: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a day as YYYY-MM-DD: {text!r}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="safety-settings", description="Operate the safety-settings service.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    transitions = commands.add_parser("transitions", help="age-band transitions (birthdays)")
    actions = transitions.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="move every account whose band ends on or before a day into its next band",
        description="Move every account whose age band ends on or before DATE (default: today, UTC) into the band it "
        "has reached. Values never change; options unlock. Safe to repeat: a finished day is not done twice.",
    )
    run.add_argument("--date", type=_day, help="the day to run for, YYYY-MM-DD (default: today in UTC)")
    run.add_argument("--dry-run", action="store_true", help="count the accounts due; write nothing")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    policy = commands.add_parser("policy", help="policy versions: what changes between them, and migrations")
    policy_actions = policy.add_subparsers(dest="action", required=True, metavar="ACTION")
    diff = policy_actions.add_parser(
        "diff",
        help="print, per jurisdiction, band and setting, what would change from OLD to NEW",
        description="Compare two kept policy versions limit by limit, for the global rules and every jurisdiction an "
        "overlay of either names (on today's date; pending overlays apply to no one).",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--json", action="store_true", help="print the differences as JSON")
    migrate = policy_actions.add_parser(
        "migrate",
        help="bring every account not on a version under it (never loosening a value)",
        description="Show the impact (accounts touched per setting, band and jurisdiction), then migrate every account "
        "not on VERSION with a progress bar. Resumable and idempotent: a stopped run is finished by the next.",
    )
    migrate.add_argument("--to", metavar="VERSION", help="a kept version (default: the newest)")
    migrate.add_argument("--dry-run", action="store_true", help="show the impact only; write nothing")
    migrate.add_argument("--yes", action="store_true", help="do not ask before applying (scripts)")
    migrate.add_argument("--json", action="store_true", help="print the result as one JSON object")
    migrate.add_argument(
        "--max-accounts", type=int, metavar="N", help="stop after N accounts (a batch); the next run continues"
    )
    from ops.export_cli import add_commands

    add_commands(commands, _day)
    return top


def summary_of(run: TransitionRun) -> dict[str, Any]:
    counts = run.counts
    return {
        "day": run.day.isoformat(),
        "dry_run": run.dry_run,
        "complete": run.complete,
        "resumed": run.resumed,
        "partitions": run.partitions,
        "partitions_done": run.partitions_done,
        "due": counts.due,
        "moved": counts.moved,
        "already_moved": counts.already_moved,
        "failed": counts.failed,
        "deactivated": counts.deactivated,
        "failed_accounts": list(run.failed_accounts),
    }


def run_transitions_command(args: argparse.Namespace, env: Mapping[str, str], now: Now, console: Console) -> int:
    from chalicelib.services.transitions import run_transitions

    today = now().date()
    day: date = args.date or today
    if day > today and not args.dry_run:
        # Moving an account on a later day's date would loosen what a child may choose before their birthday.
        console.print(f"[red]error:[/] {day} is after today ({today}); only --dry-run may look ahead", highlight=False)
        return EXIT_USAGE
    try:
        deps = _compose(env, now)
        run = _run_with_progress(
            lambda progress: run_transitions(deps, day, dry_run=args.dry_run, progress=progress), console
        )
    except KeyboardInterrupt:
        console.print("stopped: the next run continues where this one stopped", highlight=False)
        return EXIT_INTERRUPTED
    except Exception as error:
        console.print(f"[red]error:[/] {_aws_error(error)}", highlight=False)
        return EXIT_FAILED
    summary = summary_of(run)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        _print_summary(console, summary)
    return EXIT_OK if run.complete and run.counts.failed == 0 else EXIT_FAILED


def _compose(env: Mapping[str, str], now: Now) -> TransitionsDeps:
    from chalicelib.workers.transitions import compose_transitions

    return compose_transitions(env, clock=now)


def _aws_error(error: Exception) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ClientError | BotoCoreError):
        cause = cause.__cause__ or cause.__context__
    error = cause if isinstance(cause, Exception) else error
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"AWS refused {error.operation_name}: {info.get('Code', '?')}: {info.get('Message', '')}"
    if isinstance(error, BotoCoreError):
        return f"AWS could not be reached or used: {error}"
    return f"{type(error).__name__}: {error}"


def _run_with_progress(
    work: Callable[[Callable[[TransitionRun], None] | None], TransitionRun], console: Console
) -> TransitionRun:
    """The run, with a progress bar over the index's partitions when the console is a terminal."""
    if not console.is_terminal:
        return work(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[moved]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("partitions", total=None, moved="")

        def progress(run: TransitionRun) -> None:
            counts = run.counts
            label = f"due {counts.due}, moved {counts.moved}, already {counts.already_moved}, failed {counts.failed}"
            bar.update(task, total=run.partitions, completed=run.partitions_done, moved=label)

        return work(progress)


def _print_summary(console: Console, summary: dict[str, Any]) -> None:
    from rich.table import Table

    title = f"band transitions for {summary['day']}" + (" (dry run: nothing written)" if summary["dry_run"] else "")
    console.print(title, highlight=False)
    table = Table(show_header=False)
    for name in ("due", "moved", "already_moved", "failed", "deactivated"):
        label = "would move" if name == "moved" and summary["dry_run"] else name.replace("_", " ")
        table.add_row(label, str(summary[name]))
    table.add_row("partitions", f"{summary['partitions_done']} of {summary['partitions']}")
    if summary["resumed"]:
        table.add_row("resumed", "finished a run of this day that had stopped part-way")
    console.print(table)
    if summary["failed_accounts"]:
        console.print("failed accounts: " + ", ".join(summary["failed_accounts"]), highlight=False)


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    now: Now = utc_now,
    console: Console | None = None,
) -> int:
    from rich.console import Console

    args = parser().parse_args(argv)
    console = console or Console(stderr=bool(getattr(args, "json", False)))  # --json: stdout holds only the JSON
    environment = os.environ if env is None else env
    if args.command in {"export", "verify"}:
        from ops.export_cli import export_command, verify_command

        return export_command(args, environment, console) if args.command == "export" else verify_command(args, console)
    if (args.command, args.action) == ("transitions", "run"):
        return run_transitions_command(args, environment, now, console)
    if args.command == "policy":
        from ops.policy_cli import diff_command, migrate_command

        if args.action == "diff":
            return diff_command(args, now, console)
        return migrate_command(args, environment, now, console)
    return EXIT_USAGE  # argparse has refused anything else already


if __name__ == "__main__":
    sys.exit(main())
