"""The helpdesk's own accounts in the lab: agents who log in to Fixline, and their groups.

They live on the `lab` customer's DC (HELPDESK_CUSTOMER), in OU=Helpdesk Staff: outside
the customer's user OUs, so helpdesk-svc has no right on them and no agent can reset
another. A separate domain would be truer to life but costs a third DC in every lab run;
the OU boundary is what the service relies on either way.

Agents (password LAB_USER_PASSWORD, like every sample user)
  alice.agent    agent of lab             bob.senior     senior_agent of lab and contoso
  carol.admin    admin (every customer)   dave.auditor   auditor (every customer)
  erin.agent     agent of contoso         frank.nested   agent only through a nested group
  gina.nogroup   in no Fixline group      hank.agent     agent of lab, for group-removal tests

fixline-login (OU=Service Accounts) is the read-only lookup account: plain Domain Users,
which may read users and group membership and write nothing. Its password is random per
template (fixline/login.password), like helpdesk-svc's.
"""

from __future__ import annotations

from lab.directory_data import SERVICE_OU, LabGroup, LabUser

HELPDESK_CUSTOMER = "lab"
HELPDESK_OU = "OU=Helpdesk Staff"
LOGIN_ACCOUNT = "fixline-login"
LOGIN_ACCOUNT_OU = SERVICE_OU
CUSTOMER_GROUP_PREFIX = "Fixline-Customer-"
AGENTS_GROUP = "Fixline-Agents"
SENIOR_GROUP = "Fixline-Senior-Agents"
ADMINS_GROUP = "Fixline-Admins"
AUDITORS_GROUP = "Fixline-Auditors"
NIGHT_SHIFT_GROUP = "Fixline-Night-Shift"
LAB_CUSTOMER_GROUP = f"{CUSTOMER_GROUP_PREFIX}lab"
CONTOSO_CUSTOMER_GROUP = f"{CUSTOMER_GROUP_PREFIX}contoso"


def _agent(sam: str, purpose: str, *groups: str) -> LabUser:
    given, surname = sam.split(".")
    return LabUser(
        sam, given.title(), surname.title(), HELPDESK_OU, purpose, groups=groups, only="lab"
    )


AGENTS: tuple[LabUser, ...] = (
    _agent("alice.agent", "agent of lab", AGENTS_GROUP, LAB_CUSTOMER_GROUP),
    _agent(
        "bob.senior",
        "senior agent of lab and contoso",
        SENIOR_GROUP,
        LAB_CUSTOMER_GROUP,
        CONTOSO_CUSTOMER_GROUP,
    ),
    _agent("carol.admin", "admin", ADMINS_GROUP),
    _agent("dave.auditor", "auditor", AUDITORS_GROUP),
    _agent("erin.agent", "agent of contoso", AGENTS_GROUP, CONTOSO_CUSTOMER_GROUP),
    _agent("frank.nested", "agent through Fixline-Night-Shift", NIGHT_SHIFT_GROUP),
    _agent("gina.nogroup", "helpdesk staff in no Fixline group"),
    _agent(
        "hank.agent",
        "agent of lab; tests take him out of his group",
        AGENTS_GROUP,
        LAB_CUSTOMER_GROUP,
    ),
)

HELPDESK_GROUPS: tuple[LabGroup, ...] = (
    LabGroup(AGENTS_GROUP, "Fixline role agent"),
    LabGroup(SENIOR_GROUP, "Fixline role senior_agent"),
    LabGroup(ADMINS_GROUP, "Fixline role admin"),
    LabGroup(AUDITORS_GROUP, "Fixline role auditor"),
    LabGroup(LAB_CUSTOMER_GROUP, "Fixline agents may work on customer lab"),
    LabGroup(CONTOSO_CUSTOMER_GROUP, "Fixline agents may work on customer contoso"),
    # Nested: its members are agents of lab only through it.
    LabGroup(NIGHT_SHIFT_GROUP, "night shift: agents of lab", (AGENTS_GROUP, LAB_CUSTOMER_GROUP)),
)


def agent(sam: str) -> LabUser:
    """The table row of one sample agent; KeyError when there is none."""
    for row in AGENTS:
        if row.sam == sam:
            return row
    raise KeyError(sam)
