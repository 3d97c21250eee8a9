"""Which runs wait for a second person's approval, each rule naming its reason; a run may
match several, and every one is recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from runner_api.accounts import AccountGuard
from runner_api.catalog.models import ActionSpec, RiskTier
from runner_api.customers.models import Customer
from runner_api.database import Database
from runner_api.mailbox.guardrails import forwards_outside
from runner_api.runs.models import Run
from runner_api.runs.status import RunStatus
from runner_api.types import utcnow

PASSWORD_RESET = "password_reset"  # noqa: S105  (an action name)
FORWARDING_SET = "mailbox_forwarding_set"
# Not built yet: the rule is keyed on the name so that it holds the day the action lands.
VPN_GRANT = "vpn_grant"


@dataclass(frozen=True)
class Reason:
    """One rule a run matched, with a sentence an approver can act on."""

    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "message": self.message}


class ApprovalRules:
    """Evaluated by start_run after validation and policy, before the run is recorded."""

    def __init__(
        self, db: Database, accounts: AccountGuard, repeat_reset_s: int, high_risk_actions: bool
    ) -> None:
        self.db = db
        # VIP owners of any action kind (mailboxes looked up in the directory).
        self.accounts = accounts
        self.repeat_reset_s = repeat_reset_s
        self.high_risk_actions = high_risk_actions

    def reasons(
        self, spec: ActionSpec, customer: Customer, params: Mapping[str, Any], target: str
    ) -> list[Reason]:
        """Every reason this run needs approval; empty when it may run at once."""
        found = []
        if self.high_risk_actions and spec.risk is RiskTier.HIGH:
            found.append(Reason("high_risk_action", f"{spec.name} is a high-risk action"))
        found += [Reason(rule, text) for rule, text in self.accounts.holds(spec, customer, params)]
        if spec.name == PASSWORD_RESET and self._reset_lately(customer.name, target):
            minutes = self.repeat_reset_s / 60
            found.append(
                Reason(
                    "repeat_reset",
                    f"the password of {target} was already reset in the last {minutes:g} min",
                )
            )
        forward_to = str(params.get("forward_to", ""))
        if (
            spec.name == FORWARDING_SET
            and customer.mailbox is not None
            and forwards_outside(customer, forward_to)
        ):
            found.append(
                Reason(
                    "external_forwarding",
                    f"forwarding to {forward_to} sends mail outside customer {customer.name}",
                )
            )
        if spec.name == VPN_GRANT:
            found.append(Reason("vpn_grant", "VPN access is granted only with approval"))
        return found

    def _reset_lately(self, customer: str, target: str) -> bool:
        """An earlier reset of the account in the window that was not refused or rejected
        (a dry run changed nothing, so it does not count)."""
        if not self.repeat_reset_s:
            return False
        since = utcnow() - timedelta(seconds=self.repeat_reset_s)
        query = select(func.count(Run.id)).where(
            Run.customer == customer,
            Run.action == PASSWORD_RESET,
            # sAMAccountNames are case-insensitive: "Henry.Moreau" is the same account.
            func.lower(Run.target) == target.lower(),
            Run.created_at >= since,
            Run.check_mode.is_(False),
            Run.status.not_in([RunStatus.REFUSED.value, RunStatus.REJECTED.value]),
        )
        with self.db.session() as session:
            return bool(session.scalar(query))
