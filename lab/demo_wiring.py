"""What `fixline demo` wires beside the lab: the two ways work reaches the first line
without an agent, both real.

- Request Tracker's "On Create" scrip sends each new ticket of General as a signed webhook
  (source `rt`); a ticket whose subject names fixline-lab-web restarts it, and the outcome
  is written back to the ticket (comment, resolved, the "Fixline Run" field).
- Nagios 4 checks fixline-lab-web every second and calls `fixline nagios-event` (source
  `nagios`); a HARD CRITICAL opens an RT ticket and restarts the service once, and the
  service in Nagios gets a comment saying so.

The webhook secrets are made once and kept in the lab folder (0600), never printed.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from lab.nagios import LabNagios
from lab.rt import RequestTracker

DEMO_SOURCES = """\
version: 1
sources:
  rt:
    customers: [lab]
    ticket_system: rt
    status_on_success: resolved
    custom_fields: {"Fixline Run": "$status $run_id"}
    rules:
      - name: restart-lab-web
        match: {queue: General, event: ticket.created}
        contains: {subject: fixline-lab-web}
        customer: lab
        action: service_restart
        params: {host: lab-host, unit: fixline-lab-web}
  nagios:
    customers: [lab]
    ticket_system: rt
    status_on_success: resolved
    custom_fields: {"Fixline Run": "$status $run_id"}
    services:
      - {host: lab-host, service: HTTP, customer: lab, action: service_restart,
         params: {host: lab-host, unit: fixline-lab-web}}
"""
SOURCES = ("rt", "nagios")


class DemoWiring:
    """The demo's webhook sources, their secrets, RT's scrip target and the Nagios."""

    def __init__(self, folder: Path, fixline: Path) -> None:
        self.folder = folder.absolute()
        self.sources_file = self.folder / "webhooks.yml"
        self.secrets_file = self.folder / "webhook-secrets.json"
        self.nagios = LabNagios(self.folder / "nagios", fixline)

    def up(self, base_url: str, rt: RequestTracker) -> dict[str, object]:
        """Wire RT and Nagios to the Fixline at base_url; the settings that Fixline needs."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sources_file.write_text(DEMO_SOURCES)
        made = self.secrets()
        rt.send_webhooks_to(f"{base_url}/webhooks/rt", made["rt"])
        self.nagios.configure(base_url, made["nagios"])
        self.nagios.start()
        return {
            "webhook_sources_file": self.sources_file,
            "webhook_secrets": {name: [SecretStr(made[name])] for name in SOURCES},
            "monitoring_url": base_url,
            "nagios_command_file": self.nagios.command_file,
        }

    def down(self, rt: RequestTracker) -> None:
        """Stop Nagios and RT's webhooks."""
        self.nagios.stop()
        rt.send_webhooks_to(None)

    def secrets(self) -> dict[str, str]:
        """The sources' secrets: made at the first start, the same at every later one."""
        if self.secrets_file.exists():
            kept: dict[str, str] = json.loads(self.secrets_file.read_text())
            if set(kept) == set(SOURCES):
                return kept
        made = {name: secrets.token_urlsafe(32) for name in SOURCES}
        fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(made, out)
        return made

    def describe(self) -> list[str]:
        """Lines for the demo output."""
        return [
            self.nagios.describe(),
            f"Webhook sources rt and nagios: {self.sources_file} (secrets in "
            f"{self.secrets_file}, mode 0600)",
        ]
