"""The one guardrail for every account an action names, whatever system it acts on.

An action declares its account parameters (ActionSpec.accounts: owner, grantee, recipient)
and whether a VIP owner needs a second person (ActionSpec.vip_approval). Then:
- start_run asks `AccountGuard.holds` (approvals/rules.py): a VIP owner makes the run wait;
- the executor calls `AccountGuard.vet` before its first request to the outside system:
  every account is read now and refused when out of scope, protected or deny-listed, and
  a VIP owner without an approval is refused too.
Accounts are looked up through an `AccountDirectory` (the customer's Active Directory:
runner_api/directory/accounts.py; a Microsoft Graph one can follow for cloud accounts).
"""

from runner_api.accounts.gateway import Account, AccountDirectory, AccountRef
from runner_api.accounts.guard import AccountGuard, account_refs, vip_check

__all__ = ["Account", "AccountDirectory", "AccountGuard", "AccountRef", "account_refs", "vip_check"]
