"""One Graph call as routes see it (who, what, options, body) and the answer they give."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import TypeVar

from lab.graph.errors import bad_request, denied, not_found
from lab.graph.faults import Faults
from lab.graph.identity import Caller
from lab.graph.query import Rules, matches_search, next_link, page, parse
from lab.graph.state import Group, Tenant, User, visible

T = TypeVar("T")


@dataclass
class Answer:
    status: int
    body: dict[str, object] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """A Graph request after routing: `args` are the path's variable segments, in order."""

    method: str
    version: str
    path: str
    args: list[str]
    query: str
    headers: Message
    body: bytes
    caller: Caller
    faults: Faults
    # https://127.0.0.1:PORT/v1.0 (the service root links are built on).
    root: str

    @property
    def tenant(self) -> Tenant:
        return self.caller.tenant

    @property
    def eventual(self) -> bool:
        return (self.headers.get("ConsistencyLevel") or "").strip().lower() == "eventual"

    def may(self, *permissions: str) -> bool:
        """Whether the app holds any of these permissions (and none was denied by a fault)."""
        granted = self.caller.app.permissions
        return any(p in granted and not self.faults.denied(p) for p in permissions)

    def needs(self, *permissions: str) -> None:
        """403 Authorization_RequestDenied unless the app holds one of these permissions."""
        if not self.may(*permissions):
            raise denied()

    def json(self) -> dict[str, object]:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError as exc:
            raise bad_request("Unable to read JSON request payload.", "BadRequest") from exc
        if not isinstance(value, dict):
            raise bad_request("Unable to read JSON request payload.", "BadRequest")
        return value

    def user(self, key: str) -> User:
        """A visible user by id or UPN; 404 as Graph answers otherwise."""
        found = self.tenant.find_user(key)
        if found is None or not visible(found):
            raise not_found(key)
        return found

    def group(self, key: str) -> Group:
        found = self.tenant.groups.get(key.lower())
        if found is None or not visible(found):
            raise not_found(key)
        return found

    def touched(self, obj: User | Group) -> None:
        """A write changed obj: under a replication delay, reads miss it for a while."""
        delay = self.faults.replication_s
        if delay > 0:
            obj.visible_at = time.monotonic() + delay

    def protect_admin(self, user: User) -> None:
        """403 when the target holds a directory role and the app is not privileged."""
        if self.tenant.holds_admin_role(user.id) and not self.caller.app.privileged:
            raise denied()

    def context(self, fragment: str) -> str:
        return f"{self.root}/$metadata#{fragment}"

    def listing(
        self,
        items: Sequence[T],
        rules: Rules,
        render: Callable[[T], dict[str, object]],
        fragment: str,
        apply_filter: bool = True,
    ) -> Answer:
        """A collection answer: $filter/$search/$select/$count applied, one page, nextLink."""
        query = parse(self.query, rules, self.eventual)
        rendered = [render(item) for item in items]
        if query.filter is not None and apply_filter:
            prop, wanted = query.filter
            rendered = [r for r in rendered if str(r.get(prop) or "").lower() == wanted.lower()]
        rendered = [r for r in rendered if matches_search(query, _reader(r))]
        chosen, after = page(rendered, query)
        body: dict[str, object] = {"@odata.context": self.context(fragment)}
        if query.count:
            body["@odata.count"] = len(rendered)
        if after is not None:
            body["@odata.nextLink"] = next_link(f"{self.root}/{self.path}", query, after)
        body["value"] = [pick(r, query.select) for r in chosen]
        return Answer(200, body)


def _reader(obj: dict[str, object]) -> Callable[[str], str | None]:
    """A property's text (None when it is not a string), for $search."""

    def read(prop: str) -> str | None:
        value = obj.get(prop)
        return value if isinstance(value, str) else None

    return read


def pick(obj: dict[str, object], select: tuple[str, ...] | None) -> dict[str, object]:
    """obj reduced to $select (an @odata.type stays: it tells derived types apart)."""
    if select is None:
        return obj
    return {k: v for k, v in obj.items() if k in select or k == "@odata.type"}
