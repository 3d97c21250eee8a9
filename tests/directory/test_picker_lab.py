"""The picker: users by name, login or email, only inside the user OUs, flagged if protected."""

from __future__ import annotations

import pytest

from runner_api.customers.models import Customer
from runner_api.directory import LdapDirectory
from runner_api.directory.service import DirectoryService
from runner_api.errors import InvalidRequestError
from tests.directory.conftest import lab_customer


class _Registry:
    def get(self, name: str) -> Customer:
        return lab_customer(name)


@pytest.fixture
def service(gateway: LdapDirectory) -> DirectoryService:
    return DirectoryService(gateway, _Registry())  # type: ignore[arg-type]


def test_by_login_name_and_mail(service: DirectoryService) -> None:
    (paul,) = service.search_users("lab", "paul.d")
    assert paul.username == "paul.dubois" and paul.display_name == "Paul Dubois"
    assert paul.enabled and not paul.protected
    assert paul.password_age_days is not None and paul.password_age_days >= 0
    assert [u.username for u in service.search_users("lab", "Dubois")] == ["paul.dubois"]
    if paul.mail:
        assert [u.username for u in service.search_users("lab", paul.mail)] == ["paul.dubois"]


def test_states_and_groups(service: DirectoryService) -> None:
    (daniel,) = service.search_users("contoso", "daniel.okafor")
    assert not daniel.enabled
    (chloe,) = service.search_users("contoso", "chloe")
    assert chloe.locked
    (felix,) = service.search_users("contoso", "felix")
    assert felix.must_change_password
    (anna,) = service.search_users("contoso", "anna.schmidt")
    assert "VPN-Users" in anna.groups and "Sales-Team" in anna.groups


def test_only_inside_the_user_ous(service: DirectoryService) -> None:
    assert service.search_users("lab", "xavier") == []
    assert service.search_users("lab", "svc-backup") == []
    # adm.administrators (in scope) matches; the built-in Administrator (CN=Users) never.
    found = service.search_users("lab", "Administrator")
    assert [u.username for u in found] == ["adm.administrators"] and found[0].protected
    assert service.search_users("lab", "helpdesk") == []


def test_protected_users_are_flagged(service: DirectoryService) -> None:
    found = service.search_users("lab", "adm.", limit=50)
    assert len(found) == 11 and all(user.protected for user in found)
    assert service.search_users("lab", "walter")[0].protected
    assert service.search_users("lab", "sophie")[0].protected
    assert not service.search_users("lab", "ben.carter")[0].protected


def test_limit_and_bad_queries(service: DirectoryService) -> None:
    assert len(service.search_users("lab", "a", limit=3)) <= 3
    with pytest.raises(InvalidRequestError):
        service.search_users("lab", "   ")
