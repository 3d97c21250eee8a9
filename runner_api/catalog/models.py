"""Typed specs of vetted actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, SecretStr

from runner_api.settings import FIRST_LINE_TIMEOUT_S


class ActionKind(StrEnum):
    DIRECTORY = "directory"
    MAILBOX = "mailbox"
    PLAYBOOK = "playbook"
    CERTIFICATE = "certificate"
    VPN = "vpn"


class AccountRole(StrEnum):
    """How an action touches an account one of its parameters names (runner_api/accounts)."""

    # Whose account or mailbox the action changes or reads.
    OWNER = "owner"
    # Who gets (or loses) rights on the owner's data: a folder permission, a delegate.
    GRANTEE = "grantee"
    # Where the owner's mail goes; checked where it is an account of the customer.
    RECIPIENT = "recipient"


class RiskTier(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _is_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return SecretStr in getattr(annotation, "__args__", ())


@dataclass(frozen=True)
class ActionSpec:
    """One vetted action: what it does, what it takes, how risky it is."""

    name: str
    kind: ActionKind
    title: str
    description: str
    params_model: type[BaseModel]
    risk: RiskTier
    # The parameter naming what the action touches (host, account, mailbox); runs on the
    # same target never overlap.
    target_param: str
    timeout_s: int = FIRST_LINE_TIMEOUT_S
    supports_check_mode: bool = True
    # parameter -> name of the customer allow-list its value must be in (refused otherwise).
    allowlisted: Mapping[str, str] = field(default_factory=dict)
    # Playbook actions: playbooks/<playbook>.yml
    playbook: str | None = None
    # parameter -> role of the account it names (a login or a mail address). Every one goes
    # through the account guardrail (runner_api/accounts) before anything changes.
    accounts: Mapping[str, AccountRole] = field(default_factory=dict)
    # When the owner is on the customer's VIP list, the run waits for a second person.
    vip_approval: bool = False

    def secret_fields(self) -> frozenset[str]:
        """Names of parameters whose values are secrets."""
        return frozenset(
            name
            for name, info in self.params_model.model_fields.items()
            if _is_secret(info.annotation)
        )

    def params_schema(self) -> dict[str, Any]:
        """JSON Schema of the parameters, secret fields marked write-only."""
        schema = self.params_model.model_json_schema()
        for name in self.secret_fields():
            prop = schema.get("properties", {}).get(name)
            if prop is not None:
                prop.update({"writeOnly": True, "format": "password", "x-secret": True})
        return schema
