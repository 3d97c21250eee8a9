"""`fixline nagios-event`: a Nagios event handler that asks Fixline for a remediation."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from runner_api.cli.common import EXIT_FAILED, EXIT_INVALID, app, fail, load_settings

EPILOG = (
    "Nagios command: fixline nagios-event --host '$HOSTNAME$' --service '$SERVICEDESC$' "
    "--state '$SERVICESTATE$' --state-type '$SERVICESTATETYPE$' --attempt "
    "'$SERVICEATTEMPT$'. Needs FIXLINE_MONITORING_URL (the Fixline service) and "
    'FIXLINE_WEBHOOK_SECRETS with a "nagios" secret. Exit codes: 0 handled (started, '
    "reused the open incident's run, closed it on OK, or ignored a SOFT or non-CRITICAL "
    "state), 1 Fixline unreachable or refused it (no remediation is mapped, policy, "
    "rate limit), 2 invalid arguments or no secret configured."
)


@app.command("nagios-event", epilog=EPILOG)
def nagios_event(
    host: Annotated[str, typer.Option(help="$HOSTNAME$")],
    service: Annotated[str, typer.Option(help="$SERVICEDESC$")],
    state: Annotated[str, typer.Option(help="$SERVICESTATE$: OK, WARNING, CRITICAL, UNKNOWN")],
    state_type: Annotated[str, typer.Option(help="$SERVICESTATETYPE$: SOFT or HARD")],
    attempt: Annotated[int, typer.Option(help="$SERVICEATTEMPT$")],
) -> None:
    """On a HARD CRITICAL of a mapped service, open (or reuse) its ticket and remediation."""
    import httpx

    from runner_api.webhooks.sender import deliver
    from runner_api.webhooks.sources import NAGIOS

    settings = load_settings()
    secrets = settings.webhook_secrets.get(NAGIOS)
    if not secrets:
        raise fail('no "nagios" secret in FIXLINE_WEBHOOK_SECRETS', EXIT_INVALID)
    payload = {
        "host": host,
        "service": service,
        "state": state.upper(),
        "state_type": state_type.upper(),
        "attempt": attempt,
    }
    try:
        with httpx.Client(base_url=settings.monitoring_url, timeout=10) as client:
            answer = deliver(
                client, NAGIOS, secrets[0].get_secret_value(), payload, f"nagios-{uuid.uuid4()}"
            )
    except httpx.HTTPError as exc:
        raise fail(f"{settings.monitoring_url}: {type(exc).__name__}: {exc}", EXIT_FAILED) from None
    if answer.status_code == 422 and "state" in answer.text and "errors" in answer.text:
        raise fail(answer.text[:300], EXIT_INVALID)
    if answer.status_code != 202:
        raise fail(f"Fixline answered {answer.status_code}: {answer.text[:300]}", EXIT_FAILED)
    result = answer.json()
    typer.echo(" ".join(f"{k}={v}" for k, v in result.items() if v is not None) or "handled")
