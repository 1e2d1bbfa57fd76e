"""`safety-settings transitions run`: the scheduled job's work from a terminal, on moto (in-process), with the
summary an operator reads, the dry run, the progress bar on a terminal, and the refusals."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from ops.cli import main
from tests.api.helpers import all_events, get_settings
from tests.conftest import Api, body

ENV = {"AWS_REGION": "eu-west-1"}
JULY_20_2027 = datetime(2027, 7, 20, 0, 30, tzinfo=UTC)


def run_cli(*argv: str, terminal: bool = False, now: datetime = JULY_20_2027) -> tuple[int, str]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=120, color_system=None)
    status = main(list(argv), env=ENV, now=lambda: now, console=console)
    return status, out.getvalue()


def run_json(*argv: str, now: datetime = JULY_20_2027) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    console = Console(file=out, width=120)
    import contextlib

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        status = main([*argv, "--json"], env=ENV, now=lambda: now, console=console)
    return status, json.loads(captured.getvalue())


def signed_up(api: Api, account_id: str, born: str) -> None:
    response = api.sign_up(account_id, born)
    assert response.status_code == 201, response.body


def band_of(api: Api, account_id: str) -> str:
    return str(body(get_settings(api, account_id))["age"]["band"])


def test_a_run_moves_the_accounts_due_and_prints_what_it_did(api: Api) -> None:
    # Given two children turning 16 on 2027-07-19 and one turning 16 on 2027-07-21
    signed_up(api, "kid-1", "2011-07-19")
    signed_up(api, "kid-2", "2011-07-19")
    signed_up(api, "kid-3", "2011-07-21")
    # When an operator runs the job on 2027-07-20 (today, by default)
    status, output = run_cli("transitions", "run")
    # Then it exits 0, moved the two due, and says so
    assert status == 0, output
    assert (band_of(api, "kid-1"), band_of(api, "kid-2"), band_of(api, "kid-3")) == ("16-17", "16-17", "13-15")
    assert "band transitions for 2027-07-20" in output
    assert "moved" in output and "│ 2 " in output.replace("┃", "│")
    # And each moved account has one band_changed event by the system
    assert [event["kind"] for event in all_events(api, "kid-1")].count("band_changed") == 1


def test_a_second_run_the_same_day_moves_no_one_again(api: Api) -> None:
    signed_up(api, "kid", "2011-07-19")
    first_status, first = run_json("transitions", "run")
    second_status, second = run_json("transitions", "run")
    assert (first_status, second_status) == (0, 0)
    assert (first["moved"], second["moved"], second["complete"]) == (1, 1, True)  # the day's counts, kept
    assert [event["kind"] for event in all_events(api, "kid")].count("band_changed") == 1


def test_a_dry_run_counts_and_writes_nothing(api: Api) -> None:
    # Given a child turning 16 on 2027-07-19
    signed_up(api, "kid", "2011-07-19")
    events = len(all_events(api, "kid"))
    # When an operator asks what a run would do
    status, summary = run_json("transitions", "run", "--dry-run")
    # Then it counts the child as due and as one it would move, and changes nothing
    assert status == 0
    assert (summary["dry_run"], summary["due"], summary["moved"]) == (True, 1, 1)
    assert band_of(api, "kid") == "13-15"
    assert len(all_events(api, "kid")) == events
    # And a real run afterwards still does the day (the dry run saved no progress)
    _, real = run_json("transitions", "run")
    assert (real["moved"], band_of(api, "kid")) == (1, "16-17")


def test_a_later_day_is_refused_unless_it_is_a_dry_run(api: Api) -> None:
    # Given a child turning 16 on 2027-07-21, and today 2027-07-20
    signed_up(api, "kid", "2011-07-21")
    # When an operator runs the job for the 21st
    status, output = run_cli("transitions", "run", "--date", "2027-07-21")
    # Then it is refused (it would unlock options before the birthday) and the child is not moved
    assert status == 2
    assert "after today" in output
    assert band_of(api, "kid") == "13-15"
    # But a dry run may look ahead
    dry_status, summary = run_json("transitions", "run", "--date", "2027-07-21", "--dry-run")
    assert (dry_status, summary["due"], band_of(api, "kid")) == (0, 1, "13-15")


def test_an_earlier_day_moves_only_those_due_by_then(api: Api) -> None:
    signed_up(api, "kid-1", "2011-07-10")
    signed_up(api, "kid-2", "2011-07-19")
    status, summary = run_json("transitions", "run", "--date", "2027-07-15")
    assert (status, summary["day"], summary["moved"]) == (0, "2027-07-15", 1)
    assert (band_of(api, "kid-1"), band_of(api, "kid-2")) == ("16-17", "13-15")


@pytest.mark.parametrize("bad", ["2027-7-19", "20270719", "2027-02-30", "tomorrow", ""])
def test_a_date_that_is_not_a_day_is_a_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["transitions", "run", "--date", bad], env=ENV)
    assert exited.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_on_a_terminal_a_progress_bar_shows_the_partitions(api: Api) -> None:
    signed_up(api, "kid", "2011-07-19")
    status, output = run_cli("transitions", "run", terminal=True)
    assert status == 0
    assert "partitions" in output
    assert "208/208" in output  # 13 months of 16 partitions


def test_aws_refusing_is_one_line_and_exit_1(aws: None) -> None:
    # Given tables named that do not exist
    out = io.StringIO()
    env = {**ENV, "SETTINGS_TABLE": "no-such-table"}
    status = main(["transitions", "run"], env=env, now=lambda: JULY_20_2027, console=Console(file=out, width=200))
    assert status == 1
    assert "ResourceNotFoundException" in out.getvalue()
    assert "Traceback" not in out.getvalue()
