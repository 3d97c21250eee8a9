"""The user picker over a customer's directories, by its identity.

identity  searched                          each account is
ad        Active Directory                  active_directory
entra     Entra ID                          entra_id (cloud-only) or synced; username its UPN
hybrid    both at once, then merged         synced: an Entra ID account synced from an AD
                                            account in the user OUs, ONE entry, username the
                                            sAMAccountName; entra_id: cloud-only, username the
                                            UPN; active_directory: no cloud copy

Both searches match name, login or mail, but not alike (AD: prefixes and a display name
substring; Graph's $search: word prefixes), so either may find an account without its other
half: the half that is missing is looked up by sAMAccountName before the two are merged.

In a hybrid customer one directory failing does not hide the other's accounts: the answer
holds what the other found and says which one failed and why (`Unavailable`).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from runner_api.customers.models import Customer, Identity
from runner_api.customers.registry import CustomerRegistry
from runner_api.directory.cloud import CloudAccount, CloudDirectory
from runner_api.directory.errors import DirectoriesUnavailableError
from runner_api.directory.schemas import DirectoryUser, Origin
from runner_api.directory.service import DirectoryService, clamp, query_text
from runner_api.errors import ConfigurationError, ExecutorError

T = TypeVar("T")
SIDE_NAMES = {Origin.ACTIVE_DIRECTORY: "Active Directory", Origin.ENTRA_ID: "Entra ID"}
# Beyond entra.timeout_s, which the cloud side keeps itself: the wait for its thread.
_GRACE_S = 2.0
# What makes one directory "not answering": the outside system or its configuration.
_SIDE_FAILURES = (ExecutorError, ConfigurationError)


@dataclass(frozen=True)
class Unavailable:
    """The directory that did not answer a hybrid customer's search, and why."""

    side: Origin
    code: str
    message: str


@dataclass(frozen=True)
class UserSearch:
    users: list[DirectoryUser]
    # Empty unless a hybrid customer's directory failed (both failing is an error).
    unavailable: tuple[Unavailable, ...] = ()


class UserPicker:
    """Finds users for pickers in AD, Entra ID or both, as the customer's identity says."""

    def __init__(
        self,
        directory: DirectoryService,
        cloud: CloudDirectory | None,
        customers: CustomerRegistry,
    ) -> None:
        self._directory = directory
        self._cloud = cloud
        self._customers = customers

    def search(self, customer: str, q: str, limit: int = 20) -> UserSearch:
        """Users matching `q` where the customer's accounts live, each with its origin."""
        found = self._customers.get(customer)
        text, limit = query_text(q), clamp(limit)
        if found.identity is Identity.AD:
            return UserSearch(self._directory.search_users(customer, text, limit))
        cloud = self._cloud
        if cloud is None:
            raise ConfigurationError("this process has no Microsoft Graph gateway")
        if found.identity is Identity.ENTRA:
            # No AD in Fixline: Entra ID takes the UPN of every account, synced ones too.
            return UserSearch(
                _ordered([_cloud(a, a.upn) for a in cloud.search(found, text, limit)])
            )
        return _Hybrid(self._directory, cloud, found).search(text, limit)


class _Hybrid:
    """One search of a hybrid customer: both directories, and what each failed with."""

    def __init__(self, directory: DirectoryService, cloud: CloudDirectory, customer: Customer):
        self.directory, self.cloud, self.customer = directory, cloud, customer
        self.failed: dict[Origin, ExecutorError | ConfigurationError] = {}

    def search(self, text: str, limit: int) -> UserSearch:
        ad, accounts = self._both(text, limit)
        if ad is None and accounts is None:
            raise _neither(self.failed)
        halves: list[DirectoryUser] = []
        if ad is not None and accounts is not None:
            halves, more = self._halves(ad, accounts)
            accounts = accounts + more
        answered = Origin.ACTIVE_DIRECTORY not in self.failed
        users = _merge(ad or [], halves, accounts or [], answered)
        notes = tuple(Unavailable(side, e.code, e.message) for side, e in self.failed.items())
        return UserSearch(_ordered(users)[:limit], notes)

    def _both(
        self, text: str, limit: int
    ) -> tuple[list[DirectoryUser] | None, list[CloudAccount] | None]:
        # Graph in a thread of its own while AD answers in this one.
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="picker-entra")
        try:
            graph = pool.submit(self.cloud.search, self.customer, text, limit)
            name = self.customer.name
            ad = self._attempt(
                Origin.ACTIVE_DIRECTORY, lambda: self.directory.search_users(name, text, limit)
            )
            accounts = self._attempt(Origin.ENTRA_ID, lambda: graph.result(self._wait_s()))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return ad, accounts

    def _halves(
        self, ad: list[DirectoryUser], accounts: list[CloudAccount]
    ) -> tuple[list[DirectoryUser], list[CloudAccount]]:
        """The other half of the accounts one search found and the other did not: the AD
        account of each synced account found, the synced copy of each AD account found."""
        synced = {(a.sam_account_name or "").lower() for a in accounts if _sam(a)}
        in_ad = {user.username.lower() for user in ad}
        lonely = [user.username for user in ad if user.username.lower() not in synced]
        missing = sorted(synced - in_ad)
        halves = self._attempt(
            Origin.ACTIVE_DIRECTORY, lambda: self.directory.users_named(self.customer, missing)
        )
        more = self._attempt(Origin.ENTRA_ID, lambda: self.cloud.synced_from(self.customer, lonely))
        return halves or [], more or []

    def _attempt(self, side: Origin, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except _SIDE_FAILURES as exc:
            self.failed.setdefault(side, exc)
        except TimeoutError:
            # The cloud side keeps entra.timeout_s itself: this is the backstop.
            waited = self._wait_s()
            late = ExecutorError(f"Entra ID did not answer within {waited:g} s")
            self.failed.setdefault(side, late)
        return None

    def _wait_s(self) -> float:
        entra = self.customer.entra
        return (entra.timeout_s if entra is not None else 10.0) + _GRACE_S


def _sam(account: CloudAccount) -> bool:
    return account.synced and bool(account.sam_account_name)


def _merge(
    found: list[DirectoryUser],
    halves: list[DirectoryUser],
    accounts: list[CloudAccount],
    ad_answered: bool,
) -> list[DirectoryUser]:
    """One entry per account: synced pairs joined on the sAMAccountName."""
    by_sam = {user.username.lower(): user for user in [*halves, *found]}
    users, merged = [], set()
    for account in accounts:
        if not _sam(account):
            users.append(_cloud(account, account.upn))
            continue
        sam = (account.sam_account_name or "").lower()
        twin = by_sam.get(sam)
        if twin is not None:
            users.append(_synced(twin, account))
            merged.add(sam)
        elif not ad_answered:
            # Named as AD names it: fixes route by it; its AD state is not known now.
            users.append(_cloud(account, account.sam_account_name or account.upn))
        # Else its AD account is outside the user OUs, where agents touch nothing.
    return users + [user for user in found if user.username.lower() not in merged]


def _synced(user: DirectoryUser, account: CloudAccount) -> DirectoryUser:
    return user.model_copy(
        update={
            "origin": Origin.SYNCED,
            "upn": account.upn,
            "protected": user.protected or account.protection is not None,
        }
    )


def _cloud(account: CloudAccount, username: str) -> DirectoryUser:
    return DirectoryUser(
        username=username,
        origin=Origin.SYNCED if account.synced else Origin.ENTRA_ID,
        upn=account.upn,
        display_name=account.display_name,
        mail=account.mail,
        enabled=account.enabled,
        locked=None,
        must_change_password=None,
        groups=list(account.groups),
        protected=account.protection is not None,
    )


def _ordered(users: list[DirectoryUser]) -> list[DirectoryUser]:
    return sorted(users, key=lambda u: ((u.display_name or u.username).casefold(), u.username))


def _neither(
    failed: dict[Origin, ExecutorError | ConfigurationError],
) -> DirectoriesUnavailableError:
    said = "; ".join(f"{SIDE_NAMES[side]}: {error.message}" for side, error in failed.items())
    details = {side.value: {"code": e.code, "message": e.message} for side, e in failed.items()}
    return DirectoriesUnavailableError(f"neither directory answered: {said}", **details)
