"""Refusals of the Entra ID fixes beyond the directory's own (OutOfScopeError: a UPN outside
the accepted domains; ProtectedTargetError; GroupNotAllowedError: also the groups Graph
cannot change). Each is raised before any write and names its reason.

RefusedError
└── DirectoryRefusedError
    ├── NoCloudAccountError      no such account in the customer's tenant
    ├── NotInEntraError          what Entra ID (or Graph) has no fix for, or AD has none for
    └── SyncedAccountError       synced from on-premises AD: that change belongs there
"""

from __future__ import annotations

from runner_api.directory.errors import DirectoryRefusedError


class NoCloudAccountError(DirectoryRefusedError):
    code = "no_cloud_account"


class NotInEntraError(DirectoryRefusedError):
    code = "not_supported"


class SyncedAccountError(DirectoryRefusedError):
    code = "synced_account"
