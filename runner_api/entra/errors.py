"""Refusals of the Entra ID fixes: each is raised before any write and names its reason.

RefusedError
└── EntraRefusedError
    ├── CloudAccountNotFoundError   no such account in the customer's tenant
    ├── OutsideTenantError          a UPN outside the customer's accepted domains
    ├── ProtectedCloudAccountError  deny list, directory role, role-assignable or protected group
    ├── CloudGroupNotAllowedError   not allow-listed, Exchange-mastered, role-assignable, protected
    ├── SyncedAccountError          synced from on-premises AD: that change belongs there
    └── NotInEntraError             what Entra ID (or Graph) cannot do, or AD cannot do
"""

from __future__ import annotations

from runner_api.errors import RefusedError


class EntraRefusedError(RefusedError):
    code = "entra_refused"


class CloudAccountNotFoundError(EntraRefusedError):
    code = "no_cloud_account"


class OutsideTenantError(EntraRefusedError):
    code = "out_of_scope"


class ProtectedCloudAccountError(EntraRefusedError):
    code = "protected_target"


class CloudGroupNotAllowedError(EntraRefusedError):
    code = "group_not_allowed"


class SyncedAccountError(EntraRefusedError):
    code = "synced_account"


class NotInEntraError(EntraRefusedError):
    code = "not_supported"
