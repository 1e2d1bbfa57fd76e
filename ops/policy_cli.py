"""`safety-settings policy diff` and `policy migrate` (see ops/cli.py for the environment and exit statuses)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from chalicelib.policy import Policy
    from chalicelib.services.migration import Impact

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
GLOBAL = "global"


def _where(policy: Policy, jurisdiction: str) -> tuple[str, str | None]:
    """A place an overlay's jurisdiction covers, to read the rules there (a group's first member)."""
    if jurisdiction == GLOBAL:
        return "", None
    if jurisdiction in policy.jurisdiction_groups:
        return sorted(policy.jurisdiction_groups[jurisdiction])[0], None
    if "-" in jurisdiction:
        return jurisdiction.split("-")[0], jurisdiction
    return jurisdiction, None


def policy_diff(old: Policy, new: Policy, day: date) -> list[dict[str, Any]]:
    """Every limit (and minimum age) that differs from OLD to NEW: the global rules' differences, then per
    jurisdiction the differences beyond those (what only accounts there see)."""
    places = [GLOBAL, *sorted({o.jurisdiction for o in (*old.overlays, *new.overlays)})]
    rows: list[dict[str, Any]] = []
    for jurisdiction in places:
        country, subdivision = _where(new if jurisdiction in new.jurisdiction_groups else old, jurisdiction)
        before, after = old.rules_in(country, subdivision, day), new.rules_in(country, subdivision, day)
        if before.minimum_age != after.minimum_age:
            rows.append(_row(jurisdiction, "", "minimum_age", "", before.minimum_age, after.minimum_age))
        for band in (b.name for b in new.age.bands):
            for setting in sorted(set(old.settings) | set(new.settings)):
                was = (
                    before.limits(setting, band)
                    if setting in old.settings and band in old.settings[setting].bands
                    else None
                )
                now = after.limits(setting, band) if setting in new.settings else None
                for field in ("default", "self_max", "guardian_max"):
                    a = "(none)" if was is None else getattr(was, field)
                    b = "(none)" if now is None else getattr(now, field)
                    if json.dumps(a) != json.dumps(b):
                        rows.append(_row(jurisdiction, band, setting, field, a, b))
    seen_globally = {_key(row) for row in rows if row["jurisdiction"] == GLOBAL}
    return [row for row in rows if row["jurisdiction"] == GLOBAL or _key(row) not in seen_globally]


def _key(row: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if k != "jurisdiction"}, sort_keys=True)


def _row(jurisdiction: str, band: str, setting: str, field: str, old: Any, new: Any) -> dict[str, Any]:
    return {"jurisdiction": jurisdiction, "band": band, "setting": setting, "limit": field, "old": old, "new": new}


def diff_command(args: argparse.Namespace, now: Callable[[], datetime], console: Console) -> int:
    from chalicelib.policy import UnknownPolicyVersion, load_policy

    try:
        old, new = load_policy(args.old), load_policy(args.new)
    except UnknownPolicyVersion as unknown:
        console.print(f"[red]error:[/] {unknown} is not a kept policy version", highlight=False)
        return EXIT_USAGE
    rows = policy_diff(old, new, now().date())
    if args.json:
        print(json.dumps(rows, sort_keys=True))
        return EXIT_OK
    from rich.table import Table

    table = Table(title=f"policy {old.version} -> {new.version} ({len(rows)} differences)")
    for column in ("jurisdiction", "band", "setting", "limit", "old", "new"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(json.dumps(row[c]) if c in ("old", "new") else row[c] for c in _COLUMNS))
    console.print(table)
    return EXIT_OK


_COLUMNS = ("jurisdiction", "band", "setting", "limit", "old", "new")


def migrate_command(
    args: argparse.Namespace, env: Mapping[str, str], now: Callable[[], datetime], console: Console
) -> int:
    from chalicelib.config import UnsafeConfiguration
    from chalicelib.policy import kept_versions
    from chalicelib.services.migration import run_migration, versions_to_migrate
    from chalicelib.workers.migration import compose_migration
    from ops.cli import _aws_error

    try:
        deps = compose_migration(env, target=args.to, clock=now)
    except UnsafeConfiguration as unsafe:
        console.print(f"[red]error:[/] {unsafe}", highlight=False)
        return EXIT_USAGE
    versions = versions_to_migrate(kept_versions(), deps.policy.version)
    if args.max_accounts is not None and args.max_accounts < 1:
        console.print("[red]error:[/] --max-accounts must be at least 1", highlight=False)
        return EXIT_USAGE
    try:
        impact = run_migration(deps, versions, dry_run=True)
        if not args.json:
            _print_impact(console, impact)
        if args.dry_run or impact.seen == 0:
            if args.json:
                print(json.dumps(impact.as_dict(), sort_keys=True))
            return EXIT_OK
        if not args.yes and not _confirmed(console, impact):
            console.print("nothing applied", highlight=False)
            return EXIT_OK
        limit = args.max_accounts
        total = impact.seen if limit is None else min(limit, impact.seen)
        done = _with_progress(
            console, total, lambda progress: run_migration(deps, versions, progress=progress, max_accounts=limit)
        )
    except KeyboardInterrupt:
        console.print("stopped: the next run continues where this one stopped", highlight=False)
        return EXIT_INTERRUPTED
    except Exception as error:
        console.print(f"[red]error:[/] {_aws_error(error)}", highlight=False)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(done.as_dict(), sort_keys=True))
    else:
        _print_impact(console, done)
    return EXIT_OK if done.complete else EXIT_FAILED


def _confirmed(console: Console, impact: Impact) -> bool:
    if not console.is_terminal:
        console.print("not a terminal: pass --yes to apply", highlight=False)
        return False
    answer = console.input(f"apply to {impact.seen} accounts? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _with_progress(console: Console, total: int, work: Callable[[Callable[[int], None] | None], Impact]) -> Impact:
    if not console.is_terminal:
        return work(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("accounts"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("accounts", total=total)
        return work(lambda step: bar.advance(task, step))


def _print_impact(console: Console, impact: Impact) -> None:
    from rich.table import Table

    verb = "would change" if impact.dry_run else "changed"
    console.print(
        f"policy migration to {impact.target}{' (dry run: nothing written)' if impact.dry_run else ''}: "
        f"{impact.seen} accounts on {dict(impact.from_versions) or 'no older version'}; {verb} {impact.changed}, "
        f"re-stamped {impact.restamped}, conflicts {impact.conflicts}",
        highlight=False,
    )
    if not impact.touched:
        return
    table = Table(title=f"accounts whose value {verb}, per setting, band and jurisdiction")
    for column in ("setting", "band", "jurisdiction", "accounts"):
        table.add_column(column)
    for (setting, band, where), count in sorted(impact.touched.items()):
        table.add_row(setting, band, where, str(count))
    console.print(table)
