"""The fake directory's filter evaluator: what it matches, and that it refuses to guess."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from runner_api.directory import filters
from tests.fakes.ldap_filters import FilterError, matches, normal_dn, parse, sid_bytes

DOMAIN_ADMINS = "CN=Domain Admins,CN=Users,DC=lab,DC=test"
TIER0 = "CN=IT-Tier0,OU=Groups,DC=lab,DC=test"


@dataclass
class Entry:
    attributes: dict[str, list[str]]
    # memberOf DN -> the groups that group is in (for in-chain matching)
    parents: dict[str, list[str]] = field(default_factory=dict)

    def values(self, attribute: str) -> Sequence[str]:
        return self.attributes.get(attribute, [])

    def in_chain(self, attribute: str, dn: str) -> bool:
        pending = list(self.values(attribute))
        seen: set[str] = set()
        while pending:
            group = normal_dn(pending.pop())
            if group == normal_dn(dn):
                return True
            if group not in seen:
                seen.add(group)
                pending += self.parents.get(group, [])
        return False


BEN = Entry(
    {
        "objectclass": ["top", "person", "organizationalPerson", "user"],
        "objectcategory": ["CN=Person,CN=Schema,CN=Configuration,DC=lab,DC=test"],
        "samaccountname": ["ben.carter"],
        "displayname": ["Ben Carter"],
        "mail": ["ben.carter@lab.test"],
        "useraccountcontrol": ["514"],
        "objectsid": ["S-1-5-21-1-2-3-1104"],
        "memberof": [TIER0],
        "cn": ["Ben (Sales) *"],
    },
    parents={normal_dn(TIER0): [DOMAIN_ADMINS]},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (filters.user_by_login("ben.carter"), True),
        (filters.user_by_login("BEN.CARTER"), True),
        (filters.user_by_login("ben"), False),
        (filters.user_by_address("Ben.Carter@LAB.test"), True),
        (filters.picker("ben"), True),
        (filters.picker("carter"), True),
        (filters.picker("arter"), True),  # displayName contains it
        (filters.picker("xarter"), False),
        (filters.picker("*"), False),
        (filters.member_of(TIER0), True),
        (filters.member_of(DOMAIN_ADMINS), False),
        (filters.member_of(DOMAIN_ADMINS, nested=True), True),
        (filters.member_of("cn=it-tier0,ou=groups,dc=LAB,dc=test"), True),
        ("(objectClass=user)", True),
        ("(objectCategory=person)", True),
        ("(objectCategory=group)", False),
        ("(userAccountControl:1.2.840.113556.1.4.803:=2)", True),
        ("(userAccountControl:1.2.840.113556.1.4.803:=16)", False),
        ("(userAccountControl:1.2.840.113556.1.4.804:=18)", True),
        ("(userAccountControl>=500)", True),
        ("(userAccountControl<=500)", False),
        ("(adminCount=*)", False),
        ("(!(adminCount=1))", True),
        ("(&)", True),
        ("(|)", False),
        ("(objectSid=S-1-5-21-1-2-3-1104)", True),
        (f"(objectSid={filters.value('S-1-5-21-1-2-3-1104')})", True),
        ("(displayName=B*n*C*r)", True),
        ("(displayName=Ben*Ben*)", False),
        ("(cn=Ben \\28Sales\\29 \\2a)", True),
        ("(cn=*\\2a)", True),
        ("(cn=\\2a)", False),
    ],
)
def test_filters_match_as_ad_would(text: str, expected: bool) -> None:
    assert matches(text, BEN) is expected


def test_binary_sid_assertions() -> None:
    escaped = "".join(f"\\{byte:02x}" for byte in sid_bytes("S-1-5-21-1-2-3-1104"))
    assert matches(f"(objectSid={escaped})", BEN)
    assert filters.sid_text(sid_bytes("S-1-5-32-544")) == "S-1-5-32-544"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cn=ben",
        "(cn=ben",
        "(cn=ben))",
        "(cn~=ben)",
        "(cn:dn:=ben)",
        "(cn:1.2.3.4:=ben)",
        "(:1.2.840.113556.1.4.803:=2)",
        "(cn;binary=x)",
        "(cn=a(b)",
        "(cn=\\zz)",
        "(cn=\\2)",
        "(cn=a**b)",
        "(userAccountControl:1.2.840.113556.1.4.803:=two)",
        "(displayName:1.2.840.113556.1.4.1941:=x)",
        "(!(cn=a)(cn=b))",
    ],
)
def test_unknown_or_malformed_syntax_raises(text: str) -> None:
    with pytest.raises(FilterError):
        matches(text, BEN)


def test_parse_keeps_escaped_values_as_bytes() -> None:
    assert parse("(cn=caf\\c3\\a9)") == parse("(cn=café)")
