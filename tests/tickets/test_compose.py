"""What the ticket is told of a run's one-time secret: that it waits, never the secret."""

from __future__ import annotations

from typing import Any

from runner_api.runs.status import RunStatus
from runner_api.tickets.compose import FILE_NOTE, REVEAL_NOTE, comment_of


def _comment(details: dict[str, Any]) -> str:
    return comment_of(
        run_id="r-1",
        action="vpn_grant",
        target="ben.carter",
        status=RunStatus.SUCCEEDED,
        changed=True,
        summary="VPN access granted",
        error=None,
        diff=None,
        details=details,
        check_mode=False,
        redact=lambda text: text,
    )


def test_a_profile_is_named_a_download_and_a_password_a_reveal() -> None:
    profile = _comment({"reveal_id": "x", "reveal_file": "ben.carter-lab.ovpn"})
    assert FILE_NOTE in profile and REVEAL_NOTE not in profile
    password = _comment({"reveal_id": "x"})
    assert REVEAL_NOTE in password and FILE_NOTE not in password
