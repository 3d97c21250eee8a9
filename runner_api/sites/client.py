"""The worker's side of the wire: HTTPS calls to the Fixline API (outbound only)."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from runner_api.errors import FixlineError
from runner_api.sites.wire import (
    ClaimIn,
    EventsIn,
    FinishIn,
    FinishOut,
    HeartbeatIn,
    HeartbeatOut,
    JobOut,
    RevealOut,
    WireEvent,
    WireOutcome,
)

log = logging.getLogger(__name__)

# The end of a run is worth waiting for: a brief API outage must not lose it.
_FINISH_RETRY_S = 120.0


class SiteApiError(FixlineError):
    """The API could not be reached or refused a call."""

    code = "site_api_error"


class TargetBusyError(Exception):
    """Another run works on the target; claim again later."""


class ApiClient:
    """One worker's connection to the API, with its token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        worker: str,
        site: str,
        verify: str | bool = True,
        timeout_s: float = 15.0,
    ) -> None:
        self.worker = worker
        self.site = site
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=timeout_s,
        )

    def close(self) -> None:
        self._http.close()

    def claim(self, run_id: str) -> JobOut | None:
        """The job, or None when this run is not ours to run (gone, ended, other site)."""
        body = ClaimIn(worker=self.worker, site=self.site)
        response = self._post(f"/worker/runs/{run_id}/claim", body.model_dump())
        if response.status_code == 409 and _code(response) == "target_busy":
            raise TargetBusyError(run_id)
        if response.status_code in (404, 409):
            log.info("run %s not claimed: %s", run_id, _message(response))
            return None
        self._check(response)
        return JobOut.model_validate(response.json())

    def events(self, run_id: str, events: list[WireEvent]) -> None:
        body = EventsIn(worker=self.worker, events=events)
        self._check(self._post(f"/worker/runs/{run_id}/events", body.model_dump(mode="json")))

    def reveal(self, run_id: str, secret: str, filename: str | None = None) -> str:
        # Not through RevealIn's dump: it would mask the value it is meant to carry.
        payload = {"worker": self.worker, "secret": secret, "filename": filename}
        response = self._post(f"/worker/runs/{run_id}/reveals", payload)
        self._check(response)
        return RevealOut.model_validate(response.json()).reveal_id

    def finish(self, run_id: str, events: list[WireEvent], outcome: WireOutcome) -> FinishOut:
        """Report the end, retrying through short outages (the API answers repeats alike)."""
        body = FinishIn(worker=self.worker, events=events, outcome=outcome)
        payload = body.model_dump(mode="json")
        deadline = time.monotonic() + _FINISH_RETRY_S
        pause = 0.5
        while True:
            try:
                response = self._post(f"/worker/runs/{run_id}/finish", payload)
                if response.status_code < 500:
                    self._check(response)
                    return FinishOut.model_validate(response.json())
                error = f"HTTP {response.status_code}: {_message(response)}"
            except SiteApiError as exc:
                error = exc.message
            if time.monotonic() + pause > deadline:
                raise SiteApiError(f"could not report the end of run {run_id}: {error}")
            log.warning("reporting the end of run %s failed (%s); retrying", run_id, error)
            time.sleep(pause)
            pause = min(pause * 2, 10.0)

    def heartbeat(self, running: list[str]) -> list[str]:
        body = HeartbeatIn(worker=self.worker, site=self.site, running=running)
        response = self._post("/worker/heartbeat", body.model_dump())
        self._check(response)
        return HeartbeatOut.model_validate(response.json()).cancel

    def _post(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        try:
            return self._http.post(path, json=payload)
        except httpx.HTTPError as exc:
            raise SiteApiError(f"the Fixline API is unreachable: {type(exc).__name__}") from None

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise SiteApiError(
                f"the Fixline API answered {response.status_code}: " + _message(response)
            )


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _code(response: httpx.Response) -> str:
    return str(_error(response).get("code", ""))


def _message(response: httpx.Response) -> str:
    return str(_error(response).get("message", response.reason_phrase))[:300]
