"""Directory fixes on a customer's Active Directory: reset, unlock, enable/disable, groups.

Build: `gateway = LdapDirectory(credentials)`, `DirectoryExecutor(gateway)` for
ActionKind.DIRECTORY, `DirectoryService(gateway, customers)` for the picker,
`directory_actions()` into the catalog, `router` into the app.
"""

import warnings

# ldap3 2.9.1 reads pyasn1's deprecated tagMap/typeMap while it is imported: mute that once
# here, before any module of this package imports ldap3.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3  # noqa: F401

from runner_api.directory.actions import directory_actions
from runner_api.directory.executor import DirectoryExecutor
from runner_api.directory.gateway import DirectoryGateway
from runner_api.directory.ldap_gateway import LdapDirectory
from runner_api.directory.service import DirectoryService

__all__ = [
    "DirectoryExecutor",
    "DirectoryGateway",
    "DirectoryService",
    "LdapDirectory",
    "directory_actions",
]
