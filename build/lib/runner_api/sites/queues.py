"""The broker side: one Celery queue per site, carrying run ids only.

Never a parameter, a secret or an outcome goes through the broker: a lost or duplicated
message costs nothing, because the API's claim (queued -> running, once) decides who runs
what, and the sweep publishes again whatever no worker claimed in time.
"""

from __future__ import annotations

import logging

from celery import Celery

log = logging.getLogger(__name__)

TASK_NAME = "fixline.site_run"


def queue_name(prefix: str, site: str) -> str:
    return f"{prefix}.site.{site}"


def celery_app(broker_url: str) -> Celery:
    app = Celery("fixline", broker=broker_url, set_as_current=False)
    app.conf.update(
        # Acknowledge on receipt (Celery's default, stated here on purpose): a message of a
        # run that started is never delivered again, so a killed worker's run is not re-run
        # by the broker; the API ends it `interrupted` instead.
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_connection_timeout=3,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": 3, "socket_timeout": 5},
        # A publish must not hold up POST /runs: give up quickly, the sweep retries.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


class Publisher:
    """Puts run ids on site queues; False (logged) when the broker cannot take one now."""

    def __init__(self, app: Celery, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def publish(self, site: str, run_id: str) -> bool:
        queue = queue_name(self.prefix, site)
        try:
            self.app.send_task(TASK_NAME, args=[run_id], queue=queue, routing_key=queue)
        except Exception as exc:  # any broker failure: the run waits for the sweep
            log.warning("could not publish run %s to %s: %s", run_id, queue, exc)
            return False
        return True

    def close(self) -> None:
        self.app.close()
