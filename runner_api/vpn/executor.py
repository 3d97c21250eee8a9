"""VpnExecutor: vpn_grant and vpn_revoke as one run each, over three systems in order.

grant:  directory group_add (guardrails first) -> client certificate from the customer CA
        -> vpn_access on the VPN server (client config, CRL) -> profile as a one-time reveal
revoke: directory group_remove -> revoke the user's client certificates (new CRL)
        -> vpn_revoke on the server (CRL, client config removed, live session dropped)
The directory and playbook parts run through their own executors on a derived context, so
their guardrails, vetting and redaction apply unchanged. Never raises.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from runner_api.catalog.models import ActionSpec
from runner_api.customers.models import VpnConfig
from runner_api.directory.actions import directory_actions
from runner_api.errors import ExecutorError, RefusedError
from runner_api.pki.actions import MAX_VALIDITY_DAYS
from runner_api.pki.authority import CustomerCa
from runner_api.pki.executor import issue, pem
from runner_api.pki.keys import private_pem
from runner_api.pki.ledger import REVOKED, CertificateLedger, facts
from runner_api.pki.policy import Identity, Template
from runner_api.playbooks.outcome import tool_versions
from runner_api.runs.context import Executor, FollowUp, Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.runs.steps import checkpoint, emit, run_action, versions_of
from runner_api.vpn.actions import VPN_GRANT, VPN_REVOKE, VpnGrantParams, VpnRevokeParams
from runner_api.vpn.profile import profile_name, render

SYSTEM = "vpn"
DEFAULT_CLIENT_DAYS = 365


class VpnExecutor:
    """Runs VPN actions; implements runner_api.runs.context.Executor."""

    def __init__(
        self, directory: Executor, playbooks: Executor, ca: CustomerCa, ledger: CertificateLedger
    ) -> None:
        self._directory = directory
        self._playbooks = playbooks
        self._ca = ca
        self._ledger = ledger
        self._specs: dict[str, ActionSpec] = {s.name: s for s in directory_actions()}
        self._versions = {**versions_of("cryptography", "ldap3"), **tool_versions()}
        self._actions = {VPN_GRANT: self._grant, VPN_REVOKE: self._revoke}

    def execute(self, ctx: RunContext) -> Outcome:
        """Run ctx.action; every failure becomes an Outcome."""
        return run_action(ctx, self._actions, SYSTEM, self._versions)

    def _membership(self, ctx: RunContext, action: str, vpn: VpnConfig, user: str) -> Outcome:
        params = {"username": user, "group": vpn.group}
        return self._directory.execute(replace(ctx, action=self._specs[action], params=params))

    def _grant(self, ctx: RunContext) -> Outcome:
        params = VpnGrantParams.model_validate(ctx.params)
        vpn = _vpn(ctx)
        ca_pem = self._ca.show(ctx.customer.name).certificate_pem  # no CA: stop before any change
        joined = self._membership(ctx, "group_add", vpn, params.username)
        if joined.status is not RunStatus.SUCCEEDED or ctx.check_mode:
            return _prefixed(joined, "VPN grant")
        checkpoint(ctx, SYSTEM)
        cert, key = issue(
            self._ca, ctx.customer.name, Identity(params.username), Template.CLIENT,
            _days_until(params.expires_at),
        )  # fmt: skip
        key_pem = private_pem(key)
        ctx.redactor.add(key_pem)
        emit(ctx, "issued", f"issued client certificate {cert.serial_number:x}")
        crl = self._ca.sign_crl(
            ctx.customer.name, self._ledger.revoked(ctx.customer.name, [VPN_REVOKE])
        )
        server = self._playbooks.execute(
            replace(ctx, target=vpn.server, params={"client": params.username, "crl": crl})
        )
        details = {"certificate": facts(cert), "group": vpn.group, "server": vpn.server}
        if server.status is not RunStatus.SUCCEEDED:
            error = (
                f"{params.username} is in {vpn.group}, but the VPN server was not configured: "
                f"{server.error}"
            )
            return replace(server, error=error, details={**server.details, **details})
        if ctx.reveal is None:
            raise ExecutorError("this run cannot hand out a profile (no reveal channel)")
        profile = render(vpn, ca_pem, cert, pem(cert), key_pem)
        # A file to download, never shown: it holds the private key. Its name is no secret.
        filename = profile_name(params.username, ctx.customer.name)
        details["reveal_id"] = ctx.reveal(profile, filename)
        details["reveal_file"] = filename
        affected = joined.affected and replace(joined.affected, granted=f"VPN access ({vpn.group})")
        follow_ups: tuple[FollowUp, ...] = ()
        if params.expires_at is not None:
            revoke = {"username": params.username}
            follow_ups = (FollowUp(VPN_REVOKE, revoke, due_at=params.expires_at),)
        until = f" until {params.expires_at.isoformat()}" if params.expires_at else ""
        return Outcome(
            RunStatus.SUCCEEDED,
            changed=True,
            summary=f"VPN access granted to {params.username}{until}: {joined.summary}; "
            f"{server.summary}; profile ready for one download",
            diff={"before": {"vpn": joined.diff}, "after": {"certificate": facts(cert)}},
            details=details,
            follow_ups=follow_ups,
            affected=affected,
        )

    def _revoke(self, ctx: RunContext) -> Outcome:
        params = VpnRevokeParams.model_validate(ctx.params)
        vpn = _vpn(ctx)
        left = self._membership(ctx, "group_remove", vpn, params.username)
        if left.status is not RunStatus.SUCCEEDED or ctx.check_mode:
            return _prefixed(left, "VPN revoke")
        checkpoint(ctx, SYSTEM)
        customer = ctx.customer.name
        revoked = self._ledger.revoked(customer, [VPN_REVOKE])
        gone = {serial for serial, _ in revoked}
        now = datetime.now(UTC)
        new = [
            (c.serial, now)
            for c in self._ledger.issued(customer, [VPN_GRANT])
            if c.target == params.username and c.serial not in gone
        ]
        crl = self._ca.sign_crl(customer, [*revoked, *new])
        server = self._playbooks.execute(
            replace(ctx, target=vpn.server, params={"client": params.username, "crl": crl})
        )
        entries = [{"serial": format(serial, "x"), "at": when.isoformat()} for serial, when in new]
        details = {REVOKED: entries, "group": vpn.group, "server": vpn.server}
        if server.status is not RunStatus.SUCCEEDED:
            return replace(server, details={**server.details, **details})
        return Outcome(
            RunStatus.SUCCEEDED,
            changed=left.changed or bool(new) or server.changed,
            summary=f"VPN access revoked for {params.username}: {left.summary}; "
            f"{len(new)} certificate(s) revoked; {server.summary}",
            details=details,
        )


def _vpn(ctx: RunContext) -> VpnConfig:
    if ctx.customer.vpn is None:
        raise RefusedError(f"customer {ctx.customer.name!r} has no VPN configured")
    return ctx.customer.vpn


def _days_until(expires_at: datetime | None) -> int:
    if expires_at is None:
        return DEFAULT_CLIENT_DAYS
    left = (expires_at - datetime.now(UTC)) / timedelta(days=1)
    return max(1, min(MAX_VALIDITY_DAYS, math.ceil(left)))


def _prefixed(outcome: Outcome, what: str) -> Outcome:
    return replace(outcome, summary=f"{what}: {outcome.summary}" if outcome.summary else "")
