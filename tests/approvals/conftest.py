"""A RunService with approvals and rate limits on a real store (SQLite and PostgreSQL), and
the API app of tests/api for the tests against the lab.

Jobs go to a recording dispatcher: these tests are about what is held, sealed, decided and
counted, not about executing (the API tests run approved runs against the lab DC).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from runner_api.accounts import Account, AccountGuard
from runner_api.approvals.gate import ApprovalGate
from runner_api.approvals.rules import ApprovalRules
from runner_api.approvals.service import ApprovalService
from runner_api.audit.log import AuditLog
from runner_api.audit.signing import load_or_create_signer
from runner_api.auth.principal import AuthMethod, Principal, Role
from runner_api.catalog.models import RiskTier
from runner_api.catalog.registry import Catalog
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.models import Customer
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.directory import directory_actions
from runner_api.runs.limits import RateLimits
from runner_api.runs.service import RunService
from runner_api.runs.store import RunStore
from runner_api.secrets.cipher import SecretBox

# The API tests here use the app of tests/api as it is.
from tests.api.conftest import client, settings  # noqa: F401
from tests.audit.test_fail_closed import RecordingDispatcher
from tests.runs.factories import ACCOUNT_ACTION

CANARY = "canary-Vault-7f3a9c"


class LoginsOnly:
    """An AccountDirectory for rules about actions that name accounts by login: no action
    here names a mail address, so the VIP rule never has to look one up."""

    def owner_of(self, customer: Customer, address: str) -> str | None:
        raise AssertionError(f"no lookup expected here, yet {address} was looked up")

    def vet(self, customer: Customer, username: str) -> Account:
        raise AssertionError("start_run never vets accounts: executors do")


LOGINS_ONLY = AccountGuard(LoginsOnly())


class VpnParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str
    secret: SecretStr


# vpn_grant is not built yet; its rule is keyed on the name. This stand-in has a secret
# parameter, which must wait sealed while the run waits.
VPN_ACTION = replace(
    ACCOUNT_ACTION,
    name="vpn_grant",
    params_model=VpnParams,
    risk=RiskTier.HIGH,
    allowlisted={},
)


@dataclass
class Harness:
    db: Database
    store: RunStore
    runs: RunService
    approvals: ApprovalService
    dispatcher: RecordingDispatcher


def person(
    name: str, role: Role = Role.SENIOR_AGENT, customers: list[str] | None = None
) -> Principal:
    return Principal(
        name=name,
        roles=frozenset({role}),
        method=AuthMethod.TOKEN,
        id=f"test:{name}",
        person=f"test:{name}",
        customers=frozenset(customers) if customers is not None else None,
    )


@pytest.fixture
def h(database: Database, tmp_path: Path) -> Harness:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "fixline.yml").write_text(
        "allowlists: {groups: [VPN-Users]}\nvip_users: [Maria.Rossi]\n"
    )
    audit = AuditLog(database, load_or_create_signer(tmp_path / "audit.key"))
    store = RunStore(database, audit)
    dispatcher = RecordingDispatcher()
    gate = ApprovalGate(
        database,
        ApprovalRules(database, LOGINS_ONLY, repeat_reset_s=600, high_risk_actions=False),
        SecretBox(secrets.token_bytes(32)),
        ttl_s=1800,
    )
    runs = RunService(
        store,
        Catalog([ACCOUNT_ACTION, VPN_ACTION, *directory_actions()]),
        CustomerRegistry(tmp_path),
        VettingLock(tmp_path),
        dispatcher,
        "me:1:1",
        900,
        limits=RateLimits(database, 60, 10, 120, audit=audit),
        gate=gate,
    )
    return Harness(database, store, runs, ApprovalService(store, runs, gate), dispatcher)
