"""The seam to a customer's directory: what the fixes need from it, whatever speaks LDAP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from runner_api.customers.models import Customer

# userAccountControl and msDS-User-Account-Control-Computed bits.
ACCOUNTDISABLE = 0x2
LOCKOUT = 0x10


@dataclass(frozen=True)
class UserEntry:
    """One user as read from the directory (never a password)."""

    dn: str
    username: str
    display_name: str | None
    mail: str | None
    user_account_control: int
    # msDS-User-Account-Control-Computed: the DC's own view of "locked" (honours the duration).
    computed_control: int
    lockout_time: int
    pwd_last_set: int
    admin_count: int
    member_of: tuple[str, ...]
    object_sid: str
    primary_group_id: int
    last_logon: datetime | None
    # SIDs of every security group the user is in, nested and primary included; None when
    # not read (searches) or not readable (then protection cannot be ruled out).
    token_groups: tuple[str, ...] | None = None
    # DN of the user's manager (for notifications), when one is on record.
    manager: str | None = None

    @property
    def enabled(self) -> bool:
        return not self.user_account_control & ACCOUNTDISABLE

    @property
    def locked(self) -> bool:
        return bool(self.computed_control & LOCKOUT)

    @property
    def must_change_password(self) -> bool:
        return self.pwd_last_set == 0

    @property
    def domain_sid(self) -> str:
        return self.object_sid.rsplit("-", 1)[0]


@dataclass(frozen=True)
class Person:
    """Whom a notice about an account goes to (its manager): names and mail, nothing else."""

    dn: str
    username: str
    display_name: str | None
    mail: str | None


@dataclass(frozen=True)
class GroupEntry:
    """One group: enough to change its membership and to know whether it is privileged."""

    dn: str
    name: str
    object_sid: str
    # Security groups appear in a member's tokenGroups (nested included); distribution
    # groups do not, so membership of those needs an in-chain search.
    security: bool = False


# attribute -> list of (ldap3 MODIFY_* operation, values): exactly ldap3's `changes`.
Changes = Mapping[str, Sequence[tuple[str, Sequence[Any]]]]


class DirectoryGateway(Protocol):
    """Reads and writes one customer's directory; raises runner_api.directory.errors only."""

    def find_dn(self, customer: Customer, username: str, *, fresh: bool = False) -> str | None:
        """The DN of the user with this sAMAccountName anywhere under base_dn (nothing else).

        Unless fresh, it may be one remembered from a recent lookup or search: the caller
        checks that the entry read there is still that account."""
        ...

    def find_login(self, customer: Customer, address: str) -> str | None:
        """The sAMAccountName of the user with this mail address (mail, proxy address or
        UPN) anywhere under base_dn, read now; None when there is none."""
        ...

    def find_user(self, customer: Customer, dn: str) -> UserEntry | None:
        """A user's state as fixes and guardrails need it (tokenGroups included; not the
        picker's groups or logon times), read at dn now; None when no user is there."""
        ...

    def read_user(self, customer: Customer, dn: str) -> UserEntry:
        """find_user, raising DirectoryError when no user is there (any more)."""
        ...

    def read_person(self, customer: Customer, dn: str) -> Person:
        """A user's names and mail only, for notices (may be remembered for a minute);
        DirectoryError when none is there."""
        ...

    def search(self, customer: Customer, ldap_filter: str, limit: int) -> list[UserEntry]:
        """Users matching an (escaped) filter inside the customer's user OUs only."""
        ...

    def find_groups(self, customer: Customer, ldap_filter: str) -> list[GroupEntry]:
        """Groups matching an (escaped) filter under base_dn."""
        ...

    def matches(self, customer: Customer, dn: str, ldap_filter: str) -> bool:
        """True if the entry at `dn` matches the (escaped) filter."""
        ...

    def modify(self, customer: Customer, dn: str, changes: Changes) -> None:
        """One modify, never retried: a drop after sending raises ConnectionLostError."""
        ...

    def set_member(self, customer: Customer, group_dn: str, user_dn: str, member: bool) -> bool:
        """Add (member=True) or remove a user; False when it already was so (68 / 53)."""
        ...
