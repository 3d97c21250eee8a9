"""The lab's Active Directory sample data: one table, the same shape for every customer.

Test fixtures depend on these names: keep them stable (add rows, don't rename).
Every DN below is relative to the customer's base DN (e.g. DC=lab,DC=test).

Customers (one Samba AD DC each; LDAP ports are fixed, so one loopback address each)
  lab      LAB.TEST      DC dc1.lab.test      on 127.0.0.1   protected group Payroll-Admins
  contoso  CONTOSO.TEST  DC dc1.contoso.test  on 127.0.0.2   protected group Board-Members

OUs
  OU=Staff                      user OU (agents' scope), with one OU per department:
    OU=Sales / OU=Finance / OU=IT / OU=HR / OU=Marketing
  OU=Contractors                user OU (agents' scope), a second one to test OU lists
  OU=Service Accounts           OUTSIDE the scope: helpdesk-svc itself, svc-backup
  OU=Groups                     OUTSIDE the scope: the lab's groups
  CN=Users, CN=Builtin          Samba's defaults (Administrator, privileged groups); outside

Users: see USERS (sAMAccountName, where, state, groups, purpose). Every sample user's
password is LAB_USER_PASSWORD. States: locked users were locked by three real bad binds
(lockout threshold 3, duration "until an admin unlocks"), disabled users have
userAccountControl 514, must-change users have pwdLastSet=0 (bind answers data 773).

Privileged fixtures (adm.*) sit INSIDE the user OUs on purpose: Samba runs no
AdminSDHolder/SDProp, so the DC lets helpdesk-svc write them and only Fixline's protection
rule (a privileged account is never changed) stops a reset. Administrator (CN=Users) is
outside the delegation: the DC says 50.

Groups: see GROUPS. VPN-Users is the allow-listed group (fixline.yml allowlists.groups);
helpdesk-svc may write its `member` attribute and no other group's.

helpdesk-svc (OU=Service Accounts) is Fixline's bind. Delegated on the user OUs only, for
user objects: Reset Password, read/write pwdLastSet, lockoutTime, userAccountControl; plus
read/write `member` on the VPN-Users object. No group membership beyond Domain Users.
Its password and Administrator's are random per template (never in code or config).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Lab fixtures, not secrets: every sample user binds with it (tests log in as them).
LAB_USER_PASSWORD = "Fixline-Lab-User-1!"  # noqa: S105
LOCKOUT_THRESHOLD = 3
SERVICE_ACCOUNT = "helpdesk-svc"
SERVICE_OU = "OU=Service Accounts"
GROUPS_OU = "OU=Groups"
STAFF_OU = "OU=Staff"
CONTRACTORS_OU = "OU=Contractors"
# The OUs agents may touch (fixline.yml directory.user_ous) and helpdesk-svc is delegated on.
USER_OUS = (STAFF_OU, CONTRACTORS_OU)
DEPARTMENTS = ("Sales", "Finance", "IT", "HR", "Marketing")
VPN_GROUP = "VPN-Users"
# Built-in groups whose members Fixline must refuse (one adm.* fixture user each).
PRIVILEGED_GROUPS = (
    "Domain Admins",
    "Enterprise Admins",
    "Schema Admins",
    "Administrators",
    "Account Operators",
    "Server Operators",
    "Backup Operators",
    "Print Operators",
    "Group Policy Creator Owners",
)
DENY_LISTED_USER = "walter.king"


@dataclass(frozen=True)
class DirectorySite:
    """One customer's lab DC: its domain, its loopback address and its own names."""

    customer: str
    address: str
    realm: str
    protected_group: str
    host_name: str = "dc1"

    @property
    def domain(self) -> str:
        """The NetBIOS domain name (LAB)."""
        return self.realm.split(".")[0]

    @property
    def dns_domain(self) -> str:
        return self.realm.lower()

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.dns_domain.split("."))

    @property
    def tls_name(self) -> str:
        """The DC's name in its certificate (SAN DNS), e.g. dc1.lab.test."""
        return f"{self.host_name}.{self.dns_domain}"

    @property
    def url(self) -> str:
        return f"ldaps://{self.address}:636"

    @property
    def user_ous(self) -> tuple[str, ...]:
        return tuple(self.dn(ou) for ou in USER_OUS)

    def dn(self, relative: str) -> str:
        """A DN of this domain from one relative to the base DN."""
        return f"{relative},{self.base_dn}"


SITES: dict[str, DirectorySite] = {
    "lab": DirectorySite("lab", "127.0.0.1", "LAB.TEST", protected_group="Payroll-Admins"),
    "contoso": DirectorySite(
        "contoso", "127.0.0.2", "CONTOSO.TEST", protected_group="Board-Members"
    ),
}


class UserState(StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"
    DISABLED = "disabled"
    MUST_CHANGE = "must_change"


@dataclass(frozen=True)
class LabUser:
    """One sample account; `only` names the one customer that has it (None: all)."""

    sam: str
    given: str
    surname: str
    ou: str
    purpose: str
    state: UserState = UserState.ACTIVE
    groups: tuple[str, ...] = ()
    manager: str | None = None
    stale_admin_count: bool = False
    only: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.given} {self.surname}" if self.given else self.sam

    @property
    def cn(self) -> str:
        return self.display_name

    def relative_dn(self) -> str:
        return f"CN={self.cn},{self.ou}"


@dataclass(frozen=True)
class LabGroup:
    """One group made in OU=Groups; `member_of` nests it into other (built-in) groups."""

    name: str
    purpose: str
    member_of: tuple[str, ...] = ()
    only: str | None = None


def _dept(name: str) -> str:
    return f"OU={name},{STAFF_OU}"


# fmt: off
L, D, M = UserState.LOCKED, UserState.DISABLED, UserState.MUST_CHANGE
VPN = VPN_GROUP

USERS: tuple[LabUser, ...] = (
    # Sales
    LabUser("anna.schmidt", "Anna", "Schmidt", _dept("Sales"), "Sales head; VPN member",
            groups=("Sales-Team", VPN)),
    LabUser("ben.carter", "Ben", "Carter", _dept("Sales"), "plain user, not in VPN: group_add",
            groups=("Sales-Team",), manager="anna.schmidt"),
    LabUser("chloe.nguyen", "Chloe", "Nguyen", _dept("Sales"), "locked: unlock target", L,
            ("Sales-Team",), "anna.schmidt"),
    LabUser("daniel.okafor", "Daniel", "Okafor", _dept("Sales"), "disabled: enable target", D,
            ("Sales-Team",), "anna.schmidt"),
    # Finance
    LabUser("emma.larsen", "Emma", "Larsen", _dept("Finance"), "Finance head; VPN member",
            groups=("Finance-Team", VPN)),
    LabUser("felix.wagner", "Felix", "Wagner", _dept("Finance"), "must change password", M,
            ("Finance-Team",), "emma.larsen"),
    LabUser("grace.kim", "Grace", "Kim", _dept("Finance"), "locked and in VPN-Users", L,
            ("Finance-Team", VPN), "emma.larsen"),
    LabUser("henry.moreau", "Henry", "Moreau", _dept("Finance"), "plain user: reset target",
            groups=("Finance-Team",), manager="emma.larsen"),
    # IT
    LabUser("isabel.garcia", "Isabel", "Garcia", _dept("IT"), "IT head; VPN member",
            groups=("IT-Support", VPN)),
    LabUser("jonas.berg", "Jonas", "Berg", _dept("IT"), "disabled", D, ("IT-Support",),
            "isabel.garcia"),
    LabUser("karen.mills", "Karen", "Mills", _dept("IT"), "plain user: disable target",
            groups=("IT-Support",), manager="isabel.garcia"),
    # HR
    LabUser("liam.walsh", "Liam", "Walsh", _dept("HR"), "must change password", M,
            ("HR-Team",), "maria.rossi"),
    LabUser("maria.rossi", "Maria", "Rossi", _dept("HR"), "HR head", groups=("HR-Team",)),
    LabUser("noah.fischer", "Noah", "Fischer", _dept("HR"), "locked", L, ("HR-Team",),
            "maria.rossi"),
    # Marketing
    LabUser("olivia.brown", "Olivia", "Brown", _dept("Marketing"), "VPN member: group_remove",
            groups=(VPN,)),
    LabUser("paul.dubois", "Paul", "Dubois", _dept("Marketing"), "plain user (picker search)",
            manager="olivia.brown"),
    # Contractors (second user OU)
    LabUser("quinn.taylor", "Quinn", "Taylor", CONTRACTORS_OU, "contractor in VPN-Users",
            groups=(VPN,)),
    LabUser("rosa.lopez", "Rosa", "Lopez", CONTRACTORS_OU, "contractor, must change", M),
    # Per-customer: protected-group member, deny-listed CEO, one user only each DC has
    LabUser("sophie.turner", "Sophie", "Turner", _dept("Finance"),
            "member of the protected Payroll-Admins", groups=("Payroll-Admins",), only="lab"),
    LabUser("ruth.adler", "Ruth", "Adler", _dept("Sales"),
            "member of the protected Board-Members", groups=("Board-Members",), only="contoso"),
    LabUser("tom.hughes", "Tom", "Hughes", _dept("Sales"), "exists on the lab DC only",
            only="lab"),
    LabUser("uma.patel", "Uma", "Patel", _dept("Sales"), "exists on the contoso DC only",
            only="contoso"),
    LabUser(DENY_LISTED_USER, "Walter", "King", STAFF_OU, "CEO: in fixline.yml deny_list"),
    # Privileged fixtures: one direct member per built-in privileged group, in scope
    *(
        LabUser(f"adm.{key}", "", "", _dept("IT"), f"direct member of {group}",
                groups=(group,))
        for key, group in (
            ("domainadmins", "Domain Admins"),
            ("enterpriseadmins", "Enterprise Admins"),
            ("schemaadmins", "Schema Admins"),
            ("administrators", "Administrators"),
            ("accountops", "Account Operators"),
            ("serverops", "Server Operators"),
            ("backupops", "Backup Operators"),
            ("printops", "Print Operators"),
            ("gpcreators", "Group Policy Creator Owners"),
        )
    ),
    LabUser("adm.nested", "", "", _dept("IT"), "in IT-Tier0, which is in Domain Admins",
            groups=("IT-Tier0",)),
    LabUser("adm.stale", "", "", _dept("IT"), "adminCount=1 but in no privileged group",
            stale_admin_count=True),
    # Outside the agents' OUs (scope tests)
    LabUser("svc-backup", "", "", SERVICE_OU, "service account outside the user OUs"),
    LabUser("xavier.reed", "Xavier", "Reed", "CN=Users", "user in CN=Users, outside scope",
            groups=(VPN,)),
)
# fmt: on

GROUPS: tuple[LabGroup, ...] = (
    LabGroup(VPN_GROUP, "allow-listed: agents grant and revoke VPN access"),
    LabGroup("Sales-Team", "ordinary department group, not allow-listed"),
    LabGroup("Finance-Team", "ordinary department group, not allow-listed"),
    LabGroup("IT-Support", "ordinary department group, not allow-listed"),
    LabGroup("HR-Team", "ordinary department group, not allow-listed"),
    LabGroup("IT-Tier0", "nested into Domain Admins (adm.nested)", ("Domain Admins",)),
    LabGroup("Payroll-Admins", "lab's protected group (fixline.yml)", only="lab"),
    LabGroup("Board-Members", "contoso's protected group (fixline.yml)", only="contoso"),
)


def users_of(customer: str) -> tuple[LabUser, ...]:
    """The sample users one customer's DC has."""
    return tuple(user for user in USERS if user.only in (None, customer))


def groups_of(customer: str) -> tuple[LabGroup, ...]:
    """The groups made in OU=Groups on one customer's DC."""
    return tuple(group for group in GROUPS if group.only in (None, customer))


def user(sam: str) -> LabUser:
    """The table row of one sample user; KeyError when there is none."""
    for row in USERS:
        if row.sam == sam:
            return row
    raise KeyError(sam)
