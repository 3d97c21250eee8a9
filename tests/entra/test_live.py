"""Opt-in run of the Entra ID fixes against a real tenant: runs only when its settings are given.

FIXLINE_LIVE_GRAPH_TENANT_ID, FIXLINE_LIVE_GRAPH_CLIENT_ID (an app registration with the
permissions in docs/ARCHITECTURE.md, "Entra ID fixes"), FIXLINE_LIVE_GRAPH_CERTIFICATE and
FIXLINE_LIVE_GRAPH_KEY (paths to the app's certificate and private key, PEM),
FIXLINE_LIVE_GRAPH_USER (the UPN of a throwaway test user: no roles, in no role-assignable
group) and FIXLINE_LIVE_GRAPH_GROUP (a security group the app may change members of);
optional FIXLINE_LIVE_GRAPH_AUTHORITY_HOST and FIXLINE_LIVE_GRAPH_URL for a national cloud,
and FIXLINE_LIVE_GRAPH_CA (a PEM file) for an extra CA to trust.

What it changes, and puts back: it revokes the user's sessions, disables and enables the
account, adds it to the group and removes it again. The password reset and the Temporary
Access Pass run in check mode only, so the user keeps its password and its methods.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from runner_api.customers.models import Customer, EntraConfig, Identity
from runner_api.entra import EntraExecutor
from runner_api.graph import HttpGraph
from runner_api.runs.context import EventIn, Outcome
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import FileCredentialSource, GraphCredential
from tests.directory.conftest import VERIFIED
from tests.entra.conftest import SPECS
from tests.fakes.context import run_context

PREFIX = "FIXLINE_LIVE_GRAPH_"
NAMES = ("TENANT_ID", "CLIENT_ID", "CERTIFICATE", "KEY", "USER", "GROUP")
SETTINGS = {name: os.environ.get(f"{PREFIX}{name}", "") for name in NAMES}
MISSING = [f"{PREFIX}{name}" for name, value in SETTINGS.items() if not value]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"live Entra ID test: set {', '.join(MISSING)} to run it"
)


def _run(
    executor: EntraExecutor, customer: Customer, action: str, check: bool = False, **extra: Any
) -> Outcome:
    events: list[EventIn] = []
    params = {"username": SETTINGS["USER"].lower(), **extra}
    ctx = run_context(SPECS[action], customer, params, events, reveal=lambda _secret: "reveal")
    ctx.check_mode = check
    outcome = executor.execute(ctx)
    assert outcome.status is RunStatus.SUCCEEDED, (action, outcome.error)
    # Every Graph call of the run (the token endpoint's aside) is an event with its request-id.
    calls = [e.data for e in events if e.kind == "graph" and "/oauth2/" not in e.data["path"]]
    assert calls and all(call.get("request_id") for call in calls), calls
    return outcome


def test_live_tenant_round_trip(tmp_path: Path) -> None:
    user, group = SETTINGS["USER"].lower(), SETTINGS["GROUP"]
    credentials = FileCredentialSource(tmp_path)
    credentials.store_graph_credential(
        "live",
        GraphCredential(
            tenant_id=SETTINGS["TENANT_ID"],
            client_id=SETTINGS["CLIENT_ID"],
            certificate_pem=Path(SETTINGS["CERTIFICATE"]).read_text(),
            private_key=SecretStr(Path(SETTINGS["KEY"]).read_text()),
            ca_pem=Path(ca).read_text() if (ca := os.environ.get(f"{PREFIX}CA")) else "",
        ),
    )
    entra = EntraConfig(
        tenant_id=SETTINGS["TENANT_ID"],
        accepted_domains=(user.rsplit("@", 1)[1],),
        timeout_s=30,
    )
    if authority := os.environ.get(f"{PREFIX}AUTHORITY_HOST"):
        entra = replace(entra, authority_host=authority)
    if graph_url := os.environ.get(f"{PREFIX}URL"):
        entra = replace(entra, graph_url=graph_url)
    customer = Customer(
        "live",
        "live",
        tmp_path,
        allowlists={"groups": frozenset({group})},
        entra=entra,
        identity=Identity.ENTRA,
    )
    gateway = HttpGraph(credentials)
    executor = EntraExecutor(gateway)
    try:
        _run(executor, customer, "password_reset", check=True, caller_verification=VERIFIED)
        _run(executor, customer, "temporary_access_pass", check=True, caller_verification=VERIFIED)
        _run(executor, customer, "session_revoke")
        _run(executor, customer, "account_disable")
        _run(executor, customer, "account_enable")
        _run(executor, customer, "group_add", group=group)
        _run(executor, customer, "group_remove", group=group)
    finally:
        gateway.close()
