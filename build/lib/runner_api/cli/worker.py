"""`fixline worker --site NAME`: the execution node inside a customer's network."""

from __future__ import annotations

from typing import Annotated

import typer

from runner_api.cli.common import app, load_settings, setup_logging


@app.command(
    epilog="Example, on a host in the customer's network (outbound HTTPS to the API and "
    "access to the broker; no inbound port): FIXLINE_API_URL=https://fixline.example "
    "FIXLINE_WORKER_TOKEN_FILE=/etc/fixline/worker.token "
    "FIXLINE_BROKER_URL=redis://broker.example:6379/0 fixline worker --site branch-a"
)
def worker(
    site: Annotated[str, typer.Option(help="The site whose queue this worker consumes.")],
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Runs at a time (default FIXLINE_WORKERS).")
    ] = None,
) -> None:
    """Execute the runs of one customer site: claim them from the API, run them here with
    this site's credentials, report events and outcomes back."""
    from runner_api.sites.runtime import run_worker

    setup_logging()
    settings = load_settings()
    run_worker(settings, site, concurrency or settings.workers)
