"""`fixline nagios-event` (a Nagios event handler) and `fixline nagios-spool` (a Nagios
check delivering what the handler could not): both ask Fixline for remediations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from runner_api.cli.common import EXIT_FAILED, EXIT_INVALID, app, fail, load_settings

if TYPE_CHECKING:
    from runner_api.monitoring.spool import EventSpool, Flushed
    from runner_api.settings import Settings

EPILOG = (
    "Nagios command: fixline nagios-event --env-file FILE --host '$HOSTNAME$' --service "
    "'$SERVICEDESC$' --state '$SERVICESTATE$' --state-type '$SERVICESTATETYPE$' --attempt "
    "'$SERVICEATTEMPT$'. Needs FIXLINE_MONITORING_URL (the Fixline service) and "
    'FIXLINE_WEBHOOK_SECRETS with a "nagios" secret (in FILE or the environment). Each event '
    "is spooled (FIXLINE_MONITORING_SPOOL_DIR) until Fixline answers it. Exit codes: 0 "
    "handled (started, reused the open incident's run, held a flapping service, closed it on "
    "OK, ignored a SOFT or non-CRITICAL state, or found the event sent by a handler running "
    "at the same time or replaced by a newer state), 1 Fixline unreachable (the event waits in "
    "the spool) or refused it (no remediation is mapped, policy, rate limit), 2 invalid "
    "arguments or no secret configured."
)
EnvFile = Annotated[
    Path | None,
    typer.Option(help="A file of FIXLINE_* lines (mode 0600: it holds the secret)."),
]
# Nagios plugin exit codes.
PLUGIN_OK, PLUGIN_WARNING, PLUGIN_UNKNOWN = 0, 1, 3


@app.command("nagios-event", epilog=EPILOG)
def nagios_event(
    host: Annotated[str, typer.Option(help="$HOSTNAME$")],
    service: Annotated[str, typer.Option(help="$SERVICEDESC$")],
    state: Annotated[str, typer.Option(help="$SERVICESTATE$: OK, WARNING, CRITICAL, UNKNOWN")],
    state_type: Annotated[str, typer.Option(help="$SERVICESTATETYPE$: SOFT or HARD")],
    attempt: Annotated[int, typer.Option(help="$SERVICEATTEMPT$")],
    env_file: EnvFile = None,
) -> None:
    """On a HARD CRITICAL of a mapped service, open (or reuse) its ticket and remediation."""
    settings = load_settings(env_file)
    secret = _secret(settings, EXIT_INVALID)
    payload = {
        "host": host,
        "service": service,
        "state": state.upper(),
        "state_type": state_type.upper(),
        "attempt": attempt,
    }
    spool = _spool(settings)
    key = spool.put(payload)
    flushed = _flush(settings, spool, secret)
    answer = flushed.answers.get(key)
    if answer is None and flushed.error is None:
        # Nothing failed, yet no answer of ours: our event left the spool another way. A
        # handler or `fixline nagios-spool` running at the same moment delivered it, or a
        # newer state of the service, spooled meanwhile, replaced it (and was delivered).
        typer.echo("outcome=elsewhere (sent by another delivery, or a newer state replaced it)")
        return
    if answer is None:
        where = settings.monitoring_url
        raise fail(
            f"{where}: {flushed.error}; the event waits in {spool.folder} "
            f"({flushed.waiting} waiting) and goes with the next event or `fixline nagios-spool`",
            EXIT_FAILED,
        )
    if answer.status_code == 422 and "state" in answer.text and "errors" in answer.text:
        raise fail(answer.text[:300], EXIT_INVALID)
    if answer.status_code != 202:
        raise fail(f"Fixline answered {answer.status_code}: {answer.text[:300]}", EXIT_FAILED)
    result = answer.json()
    typer.echo(" ".join(f"{k}={v}" for k, v in result.items() if v is not None) or "handled")


@app.command("nagios-spool")
def nagios_spool(env_file: EnvFile = None) -> None:
    """A Nagios check: deliver the events Fixline missed; OK when none waits, else WARNING.
    Exit codes are Nagios's: 0 OK, 1 WARNING (events wait), 3 UNKNOWN (no secret)."""
    settings = load_settings(env_file)
    secret = _secret(settings, PLUGIN_UNKNOWN)
    spool = _spool(settings)
    flushed = _flush(settings, spool, secret)
    sent = len(flushed.answers)
    if flushed.waiting:
        typer.echo(
            f"FIXLINE WARNING - {flushed.waiting} event(s) wait for {settings.monitoring_url}: "
            f"{flushed.error}"
        )
        raise typer.Exit(PLUGIN_WARNING)
    typer.echo(f"FIXLINE OK - no event waits ({sent} delivered now)")


def _secret(settings: Settings, code: int) -> str:
    from runner_api.webhooks.sources import NAGIOS

    secrets = settings.webhook_secrets.get(NAGIOS)
    if not secrets:
        raise fail('no "nagios" secret in FIXLINE_WEBHOOK_SECRETS', code)
    return secrets[0].get_secret_value()


def _spool(settings: Settings) -> EventSpool:
    from runner_api.monitoring.spool import EventSpool

    return EventSpool(settings.resolved_monitoring_spool_dir)


def _flush(settings: Settings, spool: EventSpool, secret: str) -> Flushed:
    import httpx

    with httpx.Client(base_url=settings.monitoring_url, timeout=10) as client:
        return spool.flush(client, secret)
