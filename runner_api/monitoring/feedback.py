"""The operator's view in Nagios: after a remediation, a comment on the service saying what
Fixline did (FIXLINE_NAGIOS_COMMAND_FILE; off unless set).

A comment, not a passive check result: a result would overwrite the state Nagios measured
with Fixline's opinion of it until the next active check. Best effort by design: the run
and its ticket are the record; a Nagios that cannot take the comment is logged, never
retried and never fails the run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from runner_api.database import Database
from runner_api.monitoring.commands import MonitoringCommandError, send_command
from runner_api.monitoring.models import Incident
from runner_api.runs.service import Job
from runner_api.runs.status import RunStatus
from runner_api.webhooks.sources import NAGIOS, requester_of

log = logging.getLogger(__name__)
AUTHOR = "Fixline"


class NagiosFeedback:
    """Writes ADD_SVC_COMMENT for each ended remediation of a monitoring incident."""

    def __init__(self, db: Database, command_file: Path) -> None:
        self.db = db
        self.command_file = command_file

    def run_ended(self, job: Job, status: RunStatus) -> None:
        """Comment on the incident's service when the run was a remediation (else nothing)."""
        if job.requested_by != requester_of(NAGIOS):
            return
        with self.db.session() as session:
            incident = session.scalars(
                select(Incident).where(Incident.run_id == job.run_id)
            ).first()
        if incident is None:
            return
        text = (
            f"Fixline: {job.action.name} {status.value} (run {job.run_id}, "
            f"ticket {incident.ticket_id})"
        )
        line = f"ADD_SVC_COMMENT;{incident.host};{incident.service};1;{AUTHOR};{text}"
        try:
            send_command(self.command_file, " ".join(line.split()))
        except MonitoringCommandError as exc:
            log.warning("no Nagios comment for run %s: %s", job.run_id, exc.message)
