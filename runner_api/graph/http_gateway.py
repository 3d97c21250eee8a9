"""GraphGateway over httpx and msal: one verified client and one msal app per customer."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from runner_api.customers.models import Customer, EntraConfig
from runner_api.errors import ConfigurationError
from runner_api.graph import values
from runner_api.graph.errors import (
    GraphAmbiguousError,
    GraphAuthError,
    GraphNotFoundError,
    GraphOperationError,
    GraphRefusedError,
)
from runner_api.graph.gateway import (
    UNBOUNDED,
    AuthMethod,
    Budget,
    CloudGroup,
    CloudUser,
    Memberships,
    TemporaryAccessPass,
)
from runner_api.graph.transport import TenantLink
from runner_api.secrets.credentials import CredentialSource

EVENTUAL = {"ConsistencyLevel": "eventual"}
# Graph's page size ceiling for users and groups.
MAX_PAGE = 999
_DIRECTORY_ROLE = "#microsoft.graph.directoryRole"
_GROUP = "#microsoft.graph.group"
REGISTRATIONS = "/reports/authenticationMethods/userRegistrationDetails"


def entra_of(customer: Customer) -> EntraConfig:
    """The customer's EntraConfig; ConfigurationError when it has no Entra ID tenant."""
    if customer.entra is None:
        raise ConfigurationError(f"customer {customer.name!r} has no entra: section configured")
    return customer.entra


class HttpGraph:
    """GraphGateway for real Graph (or the lab's simulator), app-only with a certificate.

    `send`, `read` and `items` are its raw requests, for the other Graph-backed gateways
    (Exchange Online mailboxes, runner_api/exchange_online/gateway.py): one client, one msal
    app and token cache per customer tenant, whichever fix asks."""

    def __init__(self, credentials: CredentialSource) -> None:
        self._credentials = credentials
        self._links: dict[str, TenantLink] = {}
        self._lock = threading.Lock()

    def _link(self, customer: Customer) -> TenantLink:
        config = entra_of(customer)
        with self._lock:
            link = self._links.get(customer.name)
            if link is not None and link.config == config:
                return link
            credential = self._credentials.graph_credential(customer.name)
            fresh = TenantLink(customer.name, config, credential)
            self._links[customer.name] = fresh
        if link is not None:
            link.close()  # the customer's entra: settings changed: its old client goes
        return fresh

    def forget(self, customer: str) -> None:
        """Drop a customer's client and tokens: the next call reads its credential anew."""
        with self._lock:
            link = self._links.pop(customer, None)
        if link is not None:
            link.close()

    def close(self) -> None:
        for name in list(self._links):
            self.forget(name)

    def send(
        self,
        customer: Customer,
        method: str,
        path: str,
        operation: str,
        budget: Budget,
        **options: Any,
    ) -> httpx.Response:
        """One request (see TenantLink.call: retries, errors, lost answers of writes)."""
        link = self._link(customer)
        try:
            return link.call(method, path, operation, budget, **options)
        except GraphAuthError:
            # A rotated certificate or a fixed tenant id is read again on the next call.
            self.forget(customer.name)
            raise

    def read(
        self,
        customer: Customer,
        path: str,
        operation: str,
        budget: Budget,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A GET's JSON object."""
        response = self.send(
            customer, "GET", path, operation, budget, params=params, headers=headers
        )
        return _json(response, operation)

    def items(
        self,
        customer: Customer,
        path: str,
        operation: str,
        budget: Budget,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink (at most `limit`)."""
        count = 0
        page: dict[str, Any] = self.read(customer, path, operation, budget, params, headers)
        while True:
            for item in page.get("value") or ():
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item
            link = page.get("@odata.nextLink")
            if not link or (limit is not None and count >= limit):
                return
            page = self.read(customer, str(link), operation, budget, headers=headers)

    # Users.

    def find_user(
        self, customer: Customer, upn_or_id: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser | None:
        try:
            path = f"/users/{values.segment(upn_or_id)}"
        except ValueError:
            return None
        try:
            item = self.read(
                customer, path, f"read user {upn_or_id}", budget, {"$select": values.USER_FIELDS}
            )
        except GraphNotFoundError:
            return None
        return values.user(item)

    def read_user(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser:
        found = self.find_user(customer, user_id, budget=budget)
        if found is None:
            raise GraphNotFoundError(f"no user {user_id!r} in customer {customer.name!r}'s tenant")
        return found

    def find_synced_user(
        self, customer: Customer, sam_account_name: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser | None:
        sam = values.odata_string(sam_account_name)
        # onPremisesSamAccountName is filterable only as an advanced query (eventual, $count).
        query = {"$filter": f"onPremisesSamAccountName eq {sam}", "$count": "true", "$top": "2"}
        operation = f"find the user synced from {sam_account_name!r}"
        items = self.items(
            customer, "/users", operation, budget, query | {"$select": values.USER_FIELDS}, EVENTUAL
        )
        found = [values.user(item) for item in itertools.islice(items, 2)]
        if len(found) > 1:
            raise GraphAmbiguousError(f"{operation}: several users are; fix the synchronisation")
        return found[0] if found else None

    def find_by_mail(
        self, customer: Customer, address: str, *, budget: Budget = UNBOUNDED
    ) -> CloudUser | None:
        query = {"$filter": f"mail eq {values.odata_string(address)}", "$top": "2"}
        operation = f"find the user with mail {address!r}"
        items = self.items(
            customer, "/users", operation, budget, query | {"$select": values.USER_FIELDS}
        )
        found = [values.user(item) for item in itertools.islice(items, 2)]
        if len(found) > 1:
            raise GraphAmbiguousError(f"{operation}: several users have it")
        return found[0] if found else None

    def search_users(
        self, customer: Customer, text: str, limit: int, *, budget: Budget = UNBOUNDED
    ) -> list[CloudUser]:
        params = {
            "$search": values.search_clause(text),
            "$select": values.USER_FIELDS,
            "$count": "true",
            "$top": str(min(max(limit, 1), MAX_PAGE)),
        }
        items = self.items(
            customer, "/users", f"search users for {text!r}", budget, params, EVENTUAL, limit
        )
        return [values.user(item) for item in items]

    def set_password(
        self,
        customer: Customer,
        user_id: str,
        password: SecretStr,
        force_change: bool,
        *,
        budget: Budget = UNBOUNDED,
    ) -> None:
        profile = {
            "password": password.get_secret_value(),
            "forceChangePasswordNextSignIn": force_change,
        }
        path = f"/users/{values.segment(user_id)}"
        operation = f"set the password of {user_id}"
        self.send(
            customer,
            "PATCH",
            path,
            operation,
            budget,
            json={"passwordProfile": profile},
            write=True,
        )

    def set_enabled(
        self, customer: Customer, user_id: str, enabled: bool, *, budget: Budget = UNBOUNDED
    ) -> None:
        path = f"/users/{values.segment(user_id)}"
        operation = f"{'enable' if enabled else 'block'} sign-in of {user_id}"
        body = {"accountEnabled": enabled}
        self.send(customer, "PATCH", path, operation, budget, json=body, write=True)

    def revoke_sessions(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> None:
        path = f"/users/{values.segment(user_id)}/revokeSignInSessions"
        operation = f"revoke the sign-in sessions of {user_id}"
        self.send(customer, "POST", path, operation, budget, write=True)

    # Authentication methods.

    def list_methods(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> list[AuthMethod]:
        user = values.segment(user_id)
        operation = f"list the sign-in methods of {user_id}"
        items = list(
            self.items(customer, f"/users/{user}/authentication/methods", operation, budget)
        )
        # v1.0 tells the default method only in the registration report (AuditLog.Read.All);
        # without that right no method is marked default.
        try:
            report = self.read(customer, f"{REGISTRATIONS}/{user}", operation, budget)
        except GraphRefusedError:
            report = {}
        preferred = report.get("userPreferredMethodForSecondaryAuthentication")
        return values.methods(items, str(preferred) if preferred else None)

    def delete_method(
        self, customer: Customer, user_id: str, method: AuthMethod, *, budget: Budget = UNBOUNDED
    ) -> bool:
        user, kind, method_id = (values.segment(v) for v in (user_id, method.kind, method.id))
        path = f"/users/{user}/authentication/{kind}Methods/{method_id}"
        operation = f"remove the {method.kind} method {method.id} of {user_id}"
        try:
            self.send(customer, "DELETE", path, operation, budget, write=True)
        except GraphNotFoundError:
            return False
        return True

    def create_tap(
        self,
        customer: Customer,
        user_id: str,
        lifetime_minutes: int,
        usable_once: bool,
        *,
        budget: Budget = UNBOUNDED,
    ) -> TemporaryAccessPass:
        path = f"/users/{values.segment(user_id)}/authentication/temporaryAccessPassMethods"
        body = {"lifetimeInMinutes": lifetime_minutes, "isUsableOnce": usable_once}
        operation = f"issue a temporary access pass to {user_id}"
        response = self.send(customer, "POST", path, operation, budget, json=body, write=True)
        try:
            return values.tap(_json(response, operation))
        except (KeyError, TypeError, ValueError):
            raise GraphOperationError(f"{operation}: Graph's answer holds no pass") from None

    # Groups.

    def find_group(
        self, customer: Customer, name: str, *, budget: Budget = UNBOUNDED
    ) -> CloudGroup | None:
        params = {
            "$filter": f"displayName eq {values.odata_string(name)}",
            "$select": values.GROUP_FIELDS,
        }
        found = list(self.items(customer, "/groups", f"find group {name!r}", budget, params))
        if len(found) > 1:
            raise GraphAmbiguousError(
                f"{len(found)} groups of customer {customer.name!r} are named {name!r}: "
                "rename one in Entra ID"
            )
        return values.group(found[0]) if found else None

    def add_member(
        self, customer: Customer, group_id: str, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> bool:
        graph_url = entra_of(customer).graph_url
        reference = {"@odata.id": f"{graph_url}/directoryObjects/{values.segment(user_id)}"}
        path = f"/groups/{values.segment(group_id)}/members/$ref"
        operation = f"add {user_id} to group {group_id}"
        try:
            self.send(customer, "POST", path, operation, budget, json=reference, write=True)
        except GraphRefusedError as exc:
            # Graph's only sign of "already a member": 400 with this text (no own code).
            if exc.status == 400 and "already exist" in exc.message:
                return False
            raise
        return True

    def remove_member(
        self, customer: Customer, group_id: str, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> bool:
        group, user = values.segment(group_id), values.segment(user_id)
        operation = f"remove {user_id} from group {group_id}"
        path = f"/groups/{group}/members/{user}/$ref"
        try:
            self.send(customer, "DELETE", path, operation, budget, write=True)
        except GraphNotFoundError:
            # The same 404 says "no such group": tell the two apart by reading the group.
            self.read(customer, f"/groups/{group}", operation, budget, {"$select": "id"})
            return False
        return True

    def _member_of(self, customer: Customer, user_id: str, budget: Budget) -> list[dict[str, Any]]:
        path = f"/users/{values.segment(user_id)}/transitiveMemberOf"
        params = {"$select": values.GROUP_FIELDS}
        operation = f"read the groups and roles of {user_id}"
        return list(self.items(customer, path, operation, budget, params))

    def memberships(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> Memberships:
        items = self._member_of(customer, user_id, budget)
        roles = sorted(
            str(item.get("displayName") or item["id"])
            for item in items
            if item.get("@odata.type") == _DIRECTORY_ROLE
        )
        return Memberships(_groups(items), roles)

    def member_of(
        self, customer: Customer, user_id: str, *, budget: Budget = UNBOUNDED
    ) -> list[CloudGroup]:
        return _groups(self._member_of(customer, user_id, budget))


def _groups(items: list[dict[str, Any]]) -> list[CloudGroup]:
    return [values.group(item) for item in items if item.get("@odata.type") == _GROUP]


def _json(response: httpx.Response, operation: str) -> dict[str, Any]:
    try:
        parsed = json.loads(response.text) if response.text else {}
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise GraphOperationError(f"{operation}: Graph's answer is not a JSON object")
    return parsed
