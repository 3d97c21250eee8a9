"""A queued run's job, sealed in its row until it starts, so a restart starts it instead of
dropping it.

The runs table keeps parameters with secret values masked. What the Job needs besides
(the values in clear, who approved the run) waits AES-GCM sealed with the service key,
bound to the run id, and is wiped by the run's move to running or to an end
(statements.move_run), in that move's own UPDATE.
"""

from __future__ import annotations

import json
from typing import Any

from runner_api.runs.models import Run
from runner_api.secrets.cipher import SecretBox
from runner_api.secrets.sealed import SealedColumn


def job_context(run_id: str) -> str:
    """Bound to the run: a sealed job copied to another run's row does not open."""
    return f"run:{run_id}:job"


def seal_job(box: SecretBox, run_id: str, params: dict[str, Any], approved_by: str | None) -> bytes:
    """JSON-ready parameters (secrets in clear) and the approver, sealed for run_id."""
    return box.seal(json.dumps({"params": params, "approved_by": approved_by}), job_context(run_id))


def open_job(box: SecretBox, run_id: str, sealed: bytes) -> tuple[dict[str, Any], str | None]:
    """The parameters (secrets in clear: memory only) and the approver sealed for run_id."""
    job: dict[str, Any] = json.loads(box.open(sealed, job_context(run_id)))
    return job["params"], job["approved_by"]


SEALED_QUEUED_RUNS = SealedColumn(Run.sealed_job, lambda run: job_context(run.id))
