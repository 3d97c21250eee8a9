"""The authorization matrix: every endpoint x role x ownership cell, against a policy table.

Identities are real API tokens of each role (plus the bootstrap admin, a revoked token and
no credentials at all): among them a customer-scoped admin, a token of the same person as
the requester, a token limited to one action, and a token that took the name of a revoked
one. Objects: runs, reveals and held runs of the caller itself, of another agent of the
same customer, of another customer, and of the revoked token whose name was taken again.
A cell is either denied with exactly the status the policy says (401, 403, or 404 where
existence must not leak) or allowed, which means any answer but 401/403/404 and never a
500 (a valid request may still be 409, 422, 503...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
from fastapi.testclient import TestClient

from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal, Role
from runner_api.auth.tokens import token_id
from runner_api.core import Core
from runner_api.runs.models import Run
from runner_api.runs.schemas import Channel
from runner_api.runs.service import RunRequest
from runner_api.runs.status import RunStatus
from tests.authz.conftest import ADMIN_TOKEN, by
from tests.authz.test_route_inventory import api_routes
from tests.runs.factories import make_run


class Own(Enum):
    """Whose object a request touches, seen from the caller (an agent of `lab`)."""

    NONE = "none"  # no object (lists, catalog, global views)
    SELF = "self"  # the caller's own run, in its customer
    PEER = "peer"  # another agent's run, same customer
    FOREIGN = "foreign"  # a run of another customer
    RETIRED = "retired"  # a run of a revoked token whose name another token now has


class Scope(Enum):
    OPEN = "open"  # the permission alone decides
    GLOBAL = "global"  # spans every customer: customer-scoped callers are refused (403)
    CUSTOMER = "customer"  # names a customer: outside the scope it does not exist (404)
    RUN = "run"  # a run: outside the scope it does not exist (404)
    CANCEL = "cancel"  # a run, and only its requester unless RUN_CANCEL_ANY (403)
    REVEAL = "reveal"  # only the requester of the run, whatever the role (404)
    APPROVAL = "approval"  # a run in scope, never one's own person's request, and only
    # with the right to run its action (403)
    GRANT = "grant"  # a token: never more than the caller holds (403)
    TOKEN = "token"  # a token inside the caller's customers, else it does not exist (404)
    SIGNED = "signed"  # HMAC-signed webhooks: no bearer or session opens them (401)


@dataclass(frozen=True)
class Rule:
    permission: Permission | None  # None: any signed-in caller
    scope: Scope


POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/auth/me"): Rule(None, Scope.OPEN),
    # Tokens cannot log out (only a web session can): an allowed 422.
    ("POST", "/auth/logout"): Rule(None, Scope.OPEN),
    ("GET", "/metrics"): Rule(Permission.METRICS_READ, Scope.GLOBAL),
    ("GET", "/actions"): Rule(Permission.CATALOG_READ, Scope.OPEN),
    ("GET", "/actions/{name}"): Rule(Permission.CATALOG_READ, Scope.OPEN),
    ("GET", "/actions/{name}/choices"): Rule(Permission.CATALOG_READ, Scope.CUSTOMER),
    ("POST", "/runs"): Rule(Permission.RUN_CREATE, Scope.CUSTOMER),
    ("GET", "/runs"): Rule(Permission.RUN_READ, Scope.OPEN),
    ("GET", "/runs/{run_id}"): Rule(Permission.RUN_READ, Scope.RUN),
    ("POST", "/runs/{run_id}/cancel"): Rule(Permission.RUN_CANCEL_OWN, Scope.CANCEL),
    ("GET", "/runs/{run_id}/events"): Rule(Permission.RUN_READ, Scope.RUN),
    ("POST", "/reveals/{reveal_id}"): Rule(Permission.REVEAL_OPEN, Scope.REVEAL),
    ("GET", "/reveals/{reveal_id}"): Rule(Permission.REVEAL_OPEN, Scope.REVEAL),
    ("POST", "/reveals/{reveal_id}/told"): Rule(Permission.REVEAL_OPEN, Scope.REVEAL),
    # The matrix's secrets are text: their requester is answered 409 (not a file).
    ("POST", "/reveals/{reveal_id}/download"): Rule(Permission.REVEAL_OPEN, Scope.REVEAL),
    ("GET", "/directory/users"): Rule(Permission.DIRECTORY_SEARCH, Scope.CUSTOMER),
    ("GET", "/mailbox/info"): Rule(Permission.MAILBOX_READ, Scope.CUSTOMER),
    ("GET", "/audit/records"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/runs"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/verify"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/tickets/{ticket_id}/evidence"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/export"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/checkpoints"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/public-key"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/audit/sla"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("PUT", "/credentials/{customer}/{kind}"): Rule(Permission.CREDENTIALS_MANAGE, Scope.CUSTOMER),
    ("GET", "/credentials/{customer}"): Rule(Permission.CREDENTIALS_MANAGE, Scope.CUSTOMER),
    ("GET", "/notifications"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/approvals"): Rule(Permission.APPROVAL_DECIDE, Scope.OPEN),
    ("GET", "/approvals/decided"): Rule(Permission.RUN_CREATE, Scope.OPEN),
    ("POST", "/approvals/{run_id}/approve"): Rule(Permission.APPROVAL_DECIDE, Scope.APPROVAL),
    ("POST", "/approvals/{run_id}/reject"): Rule(Permission.APPROVAL_DECIDE, Scope.APPROVAL),
    ("POST", "/tokens"): Rule(Permission.TOKENS_MANAGE, Scope.GRANT),
    ("GET", "/tokens"): Rule(Permission.TOKENS_MANAGE, Scope.OPEN),
    ("POST", "/tokens/{token_id}/revoke"): Rule(Permission.TOKENS_MANAGE, Scope.TOKEN),
    ("GET", "/tickets/updates"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    ("GET", "/webhooks/deliveries"): Rule(Permission.AUDIT_READ, Scope.GLOBAL),
    # A target's limit names its customer; requester and action clears span every customer.
    ("POST", "/limits/clear"): Rule(Permission.LIMITS_CLEAR, Scope.CUSTOMER),
    # Site workers only (admins included are refused); a run outside the token's customers
    # does not exist for it. The planted runs have ended, so an allowed claim gets 409.
    ("POST", "/worker/runs/{run_id}/claim"): Rule(Permission.WORKER_EXECUTE, Scope.RUN),
    ("POST", "/worker/runs/{run_id}/events"): Rule(Permission.WORKER_EXECUTE, Scope.RUN),
    ("POST", "/worker/runs/{run_id}/reveals"): Rule(Permission.WORKER_EXECUTE, Scope.RUN),
    ("POST", "/worker/runs/{run_id}/finish"): Rule(Permission.WORKER_EXECUTE, Scope.RUN),
    ("POST", "/worker/heartbeat"): Rule(Permission.WORKER_EXECUTE, Scope.OPEN),
    # Unsigned: every caller, bootstrap admin included, gets 401.
    ("POST", "/webhooks/{source}"): Rule(None, Scope.SIGNED),
}


@dataclass(frozen=True)
class Identity:
    role: Role
    customers: list[str] | None
    # The person who created the token: the two-person rule compares persons.
    creator: str
    actions: list[str] | None = None


# Identities: token name -> its shape. The caller of SELF/PEER/FOREIGN is "agent-lab".
IDENTITIES: dict[str, Identity] = {
    "agent-lab": Identity(Role.AGENT, ["lab"], "alice"),
    "agent2-lab": Identity(Role.AGENT, ["lab"], "bob"),
    "agent-contoso": Identity(Role.AGENT, ["contoso"], "carol"),
    "senior-lab": Identity(Role.SENIOR_AGENT, ["lab"], "sam"),
    # A token alice created for herself: it may not approve alice's own requests.
    "senior-of-alice": Identity(Role.SENIOR_AGENT, ["lab"], "alice"),
    # May run unlocks only: it may not approve a password reset either.
    "senior-unlock-only": Identity(Role.SENIOR_AGENT, ["lab"], "sue", ["account_unlock"]),
    "auditor": Identity(Role.AUDITOR, None, "audrey"),
    "admin-token": Identity(Role.ADMIN, None, "adam"),
    # A customer-scoped admin: nothing of another customer, no unscoped grants.
    "admin-lab": Identity(Role.ADMIN, ["lab"], "lena"),
    "worker-lab": Identity(Role.WORKER, ["lab"], "ops"),
    # Named like the token that requested the RETIRED objects, which was revoked before
    # this one took its name: same name, another caller.
    "retired-lab": Identity(Role.AGENT, ["lab"], "rita-successor"),
}
OWNER = {
    Own.SELF: "agent-lab",
    Own.PEER: "agent2-lab",
    Own.FOREIGN: "agent-contoso",
    Own.RETIRED: "retired-lab",
}
# Who requested the RETIRED objects: revoked, its name then given to another token.
RETIRED_ORIGINAL = Identity(Role.AGENT, ["lab"], "rita")


@dataclass
class World:
    """The planted objects: per ownership a run (with a reveal) and its customer."""

    runs: dict[Own, Run]
    # Password resets held for approval (every reset of the matrix app is held).
    held: dict[Own, Run]
    reveals: dict[Own, str]
    tokens: dict[str, str]
    principals: dict[str, Principal]
    revoked_id: str

    def customer(self, own: Own) -> str:
        return _customer_of(own)


def _issue(core: Core, name: str, identity: Identity) -> tuple[str, Principal]:
    issued = core.tokens.create(
        name=name,
        role=identity.role,
        customers=identity.customers,
        actions=identity.actions,
        created_by=by(identity.creator),
    )
    return issued.secret, core.tokens.principal(issued.secret)


def _plant(core: Core, n: int, own: Own, owner: Principal) -> tuple[Run, str, Run]:
    """A finished unlock with a reveal, and a reset held for approval, requested by owner."""
    run = core.store.insert(
        make_run(
            n,
            customer=_customer_of(own),
            action="account_unlock",
            params={"username": f"user{n}"},
            requested_by=owner.name,
            requester_id=owner.id,
            status=RunStatus.SUCCEEDED.value,
            finished_at=None,
        )
    )
    reveal = core.reveals.create(run.id, run.requested_by, owner.id, f"Temp-Password-{n}!")
    held = core.runs.start_run(
        RunRequest(
            customer=_customer_of(own),
            ticket_id=f"INC-{n}",
            action="password_reset",
            params={
                "username": f"user{n}",
                "caller_verification": {"method": "callback", "note": "matrix"},
            },
            requested_by=owner.name,
            channel=Channel.API,
            requester_id=owner.id,
            requester_person=owner.person,
        )
    )
    return run, reveal, held


@pytest.fixture
def world(core: Core, client: TestClient) -> World:
    tokens, principals = {}, {}
    _, original = _issue(core, "retired-lab", RETIRED_ORIGINAL)
    planted = {Own.RETIRED: _plant(core, 3, Own.RETIRED, original)}
    core.tokens.revoke(original.credential_id, by("matrix"))
    for name, identity in IDENTITIES.items():
        tokens[name], principals[name] = _issue(core, name, identity)
    assert principals["retired-lab"].name == original.name
    assert principals["retired-lab"].id != original.id
    revoked = core.tokens.create(
        name="revoked",
        role=Role.ADMIN,
        customers=None,
        actions=None,
        created_by=by("matrix"),
    )
    core.tokens.revoke(revoked.record.id, by("matrix"))
    tokens["revoked"] = revoked.secret
    principals["bootstrap"] = core.tokens.principal(ADMIN_TOKEN)
    for n, own in enumerate((Own.SELF, Own.PEER, Own.FOREIGN)):
        planted[own] = _plant(core, n, own, principals[OWNER[own]])
    runs = {own: run for own, (run, _, _) in planted.items()}
    reveals = {own: reveal for own, (_, reveal, _) in planted.items()}
    held = {own: run for own, (_, _, run) in planted.items()}
    assert {run.status for run in held.values()} == {RunStatus.AWAITING_APPROVAL.value}
    return World(runs, held, reveals, tokens, principals, revoked.record.id)


def _customer_of(own: Own) -> str:
    return "contoso" if own is Own.FOREIGN else "lab"


def expected(rule: Rule, caller: str, own: Own, world: World) -> int | None:
    """The status a denied cell must get, or None when the cell is allowed."""
    principal = world.principals.get(caller)
    if principal is None or rule.scope is Scope.SIGNED:
        return 401
    if rule.permission is not None and not principal.has(rule.permission):
        return 403
    customer = world.customer(own) if own is not Own.NONE else None
    if rule.scope is Scope.GLOBAL and not principal.all_customers:
        return 403
    if rule.scope is Scope.GRANT and not principal.all_customers:
        return 403  # the planted request asks for an unscoped token
    if rule.scope is Scope.TOKEN and not principal.all_customers:
        return 404  # the planted token is unscoped: outside a scoped admin's view
    if customer is not None and not principal.sees_customer(customer):
        return 404
    run = (world.held if rule.scope is Scope.APPROVAL else world.runs).get(own)
    if rule.scope is Scope.REVEAL and run is not None and run.requester_id != principal.id:
        return 404
    if (
        rule.scope is Scope.CANCEL
        and run is not None
        and run.requester_id != principal.id
        and not principal.has(Permission.RUN_CANCEL_ANY)
    ):
        return 403
    if rule.scope is Scope.APPROVAL and run is not None:
        requester = world.principals[OWNER[own]] if own is not Own.RETIRED else None
        if requester is not None and requester.person == principal.person:
            return 403
        if not (principal.has(Permission.RUN_CREATE) and principal.may_run(run.action)):
            return 403
    return None


Request = Callable[[TestClient, World, Own, dict[str, str]], Any]


def _request(method: str, path: str, world: World, own: Own) -> tuple[str, dict[str, Any]]:
    """A concrete, well-formed request for a route and an ownership cell."""
    held = path.startswith("/approvals/")
    run = (world.held if held else world.runs).get(own)
    customer = world.customer(own) if own is not Own.NONE else "lab"
    values = {
        "run_id": run.id if run else "00000000-0000-0000-0000-000000000000",
        "reveal_id": world.reveals.get(own, "none"),
        "name": "account_unlock",
        "ticket_id": "INC-0",
        "token_id": world.revoked_id,
        "customer": customer,
        "kind": "mailbox",
        "source": "generic",
    }
    url = path.format(**values)
    kwargs: dict[str, Any] = {}
    if path in ("/directory/users", "/mailbox/info", "/actions/{name}/choices"):
        kwargs["params"] = {"customer": customer, "q": "anna", "mailbox": f"anna@{customer}.test"}
    if (method, path) == ("POST", "/runs"):
        # Invalid params: an allowed caller gets 422 and nothing runs.
        kwargs["json"] = {
            "customer": customer,
            "ticket_id": "INC-1",
            "action": "account_unlock",
            "params": {},
        }
    if path == "/webhooks/{source}":
        kwargs["json"] = {
            "customer": customer,
            "ticket_id": "INC-1",
            "action": "account_unlock",
            "params": {"username": "anna"},
        }
        kwargs["headers"] = {"Idempotency-Key": "matrix-delivery-1"}
    if (method, path) == ("POST", "/tokens"):
        kwargs["json"] = {"name": "made-in-matrix", "role": "auditor"}
    if method == "PUT" and path.startswith("/credentials/"):
        kwargs["json"] = {}
    if path.startswith("/approvals/") and path.endswith("/reject"):
        kwargs["json"] = {"comment": "matrix"}
    if path.endswith("/events"):
        kwargs["params"] = {"stream": False}
    if path == "/limits/clear":
        kwargs["json"] = {"limit": "target", "customer": customer, "target": "lab-host"}
    if path.startswith("/worker/"):
        kwargs["json"] = _worker_body(path)
    return url, kwargs


def _worker_body(path: str) -> dict[str, Any]:
    worker = {"worker": "matrix:1:1"}
    if path.endswith("/claim") or path.endswith("/heartbeat"):
        return {**worker, "site": "local"}
    if path.endswith("/events"):
        return {**worker, "events": []}
    if path.endswith("/reveals"):
        return {**worker, "secret": "matrix-secret"}
    return {**worker, "outcome": {"status": "succeeded"}}


def _ownerships(path: str, rule: Rule) -> list[Own]:
    if rule.scope in (Scope.RUN, Scope.CANCEL, Scope.REVEAL, Scope.APPROVAL, Scope.CUSTOMER):
        if rule.scope is Scope.CUSTOMER:
            return [Own.SELF, Own.FOREIGN]
        return [Own.SELF, Own.PEER, Own.FOREIGN, Own.RETIRED]
    return [Own.NONE]


CALLERS = [*IDENTITIES, "bootstrap", "revoked", "nobody"]


def test_every_route_is_in_the_policy_table(core: Core) -> None:
    from runner_api.app import create_app
    from runner_api.auth.deps import PUBLIC_PATHS
    from runner_api.web.pages import PAGE_PREFIX

    routes = {
        (method, route.path)
        for route in api_routes(create_app(core.settings, core))
        for method in route.methods
        if route.path not in PUBLIC_PATHS
        # The web page's HTML shells answer a redirect, not 401: tests/web/test_pages.py and
        # the route inventory check them; their data comes from the routes of this table.
        and not route.path.startswith(PAGE_PREFIX + "/")
    }
    assert sorted(routes - set(POLICY)) == []
    assert sorted(set(POLICY) - routes) == []


def test_matrix(client: TestClient, world: World) -> None:
    cells = unexpected = 0
    failures = []
    for (method, path), rule in POLICY.items():
        for own in _ownerships(path, rule):
            for caller in CALLERS:
                url, kwargs = _request(method, path, world, own)
                if path.startswith("/worker/") and caller in world.tokens:
                    # A worker's name starts with its token's id (sites/service.py).
                    kwargs["json"]["worker"] = f"{token_id(world.tokens[caller])}/matrix:1:1"
                headers = {}
                if caller == "bootstrap":
                    headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
                elif caller != "nobody":
                    headers["Authorization"] = f"Bearer {world.tokens[caller]}"
                headers |= kwargs.pop("headers", {})
                answer = client.request(method, url, headers=headers, **kwargs)
                want = expected(rule, caller, own, world)
                cells += 1
                got = answer.status_code
                if want is None:
                    ok = got not in (401, 403, 404) and got != 500
                else:
                    ok = got == want
                    unexpected += 200 <= got < 300
                if not ok:
                    failures.append(
                        f"{method} {path} as {caller} on {own.value}: {got}, "
                        f"want {want or 'allowed'}"
                        f" ({answer.text[:160]})"
                    )
    print(f"authorization matrix: {cells} cells, {unexpected} unexpected 2xx")
    assert failures == []
    assert cells >= 250


def test_lists_show_only_the_callers_customers(client: TestClient, world: World) -> None:
    def ids(caller: str) -> set[str]:
        headers = {"Authorization": f"Bearer {world.tokens[caller]}"}
        items = client.get("/runs", headers=headers).json()["items"]
        return {item["id"] for item in items}

    def of(*owners: Own) -> set[str]:
        return {runs[own].id for runs in (world.runs, world.held) for own in owners}

    assert ids("agent-lab") == of(Own.SELF, Own.PEER, Own.RETIRED)
    assert ids("agent-contoso") == of(Own.FOREIGN)
    assert ids("auditor") == of(Own.SELF, Own.PEER, Own.FOREIGN, Own.RETIRED)
    # Filtering by another customer does not widen the scope.
    headers = {"Authorization": f"Bearer {world.tokens['agent-lab']}"}
    other = client.get("/runs", headers=headers, params={"customer": "contoso"}).json()
    assert other["items"] == []


def test_bola_two_users(client: TestClient, world: World) -> None:
    """User A's token with user B's objects: nothing is read, opened or canceled."""
    headers = {"Authorization": f"Bearer {world.tokens['agent-contoso']}"}
    lab_run = world.runs[Own.SELF]
    assert client.get(f"/runs/{lab_run.id}", headers=headers).status_code == 404
    assert client.post(f"/runs/{lab_run.id}/cancel", headers=headers).status_code == 404
    assert client.post(f"/reveals/{world.reveals[Own.SELF]}", headers=headers).status_code == 404
    peer = {"Authorization": f"Bearer {world.tokens['agent2-lab']}"}
    assert client.post(f"/reveals/{world.reveals[Own.SELF]}", headers=peer).status_code == 404
    # The rightful requester still gets the secret once.
    own = {"Authorization": f"Bearer {world.tokens['agent-lab']}"}
    assert client.post(f"/reveals/{world.reveals[Own.SELF]}", headers=own).status_code == 200
