"""Refusals of the account guardrail.

RefusedError
└── AccountRefusedError
    ├── NoAccountError          an owner or colleague address no account of the customer has
    └── VipNotApprovedError     a VIP's account or mailbox, and no second person approved
"""

from __future__ import annotations

from runner_api.errors import RefusedError


class AccountRefusedError(RefusedError):
    code = "account_refused"


class NoAccountError(AccountRefusedError):
    code = "no_account"


class VipNotApprovedError(AccountRefusedError):
    code = "vip_not_approved"
