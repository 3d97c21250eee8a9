"""The last line `fixline run` prints: the status once, then what the run said."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from runner_api.cli.runs import _print_outcome


@pytest.mark.parametrize(
    ("status", "summary", "error", "line"),
    [
        ("succeeded", "sign-in sessions revoked", None, "succeeded: sign-in sessions revoked"),
        ("refused", "", "refused: a protected account", "refused: a protected account"),
        ("failed", "", "Graph unreachable: timed out", "failed: Graph unreachable: timed out"),
    ],
)
def test_the_status_is_said_once(
    capsys: pytest.CaptureFixture[str], status: str, summary: str, error: str | None, line: str
) -> None:
    _print_outcome(
        SimpleNamespace(status=status, summary=summary, error=error, diff=None, details={})
    )
    assert capsys.readouterr().out.splitlines()[0] == line


def test_a_run_with_a_one_time_secret_names_the_command_that_shows_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = SimpleNamespace(
        status="succeeded",
        summary="password reset",
        error=None,
        diff=None,
        details={"reveal_id": "r-1"},
    )
    _print_outcome(run)
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "one-time secret, shown once to you: fixline reveal r-1"
    run.details["reveal_file"] = "ben.carter-lab.ovpn"
    _print_outcome(run)
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == (
        "one-time file, one download to you: fixline reveal r-1 --output ben.carter-lab.ovpn"
    )
