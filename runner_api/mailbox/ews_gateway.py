"""MailboxGateway on exchangelib (EWS): impersonation by a service account, nothing guessed.

Pinned per customer: endpoint, Exchange build and auth type (so no autodiscover, no auth
probe, no version probe: building an Account sends nothing), FailFast (exchangelib never
sleeps or retries on its own; the executor retries a busy server once), and a bounded
timeout per request. exchangelib errors become runner_api.mailbox.errors here and only here.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, TypeVar

from exchangelib import (
    BASIC,
    IMPERSONATION,
    NTLM,
    Account,
    Build,
    Configuration,
    Credentials,
    FailFast,
    OofSettings,
    Version,
)
from exchangelib import UTC as EWS_UTC
from exchangelib.errors import EWSError
from exchangelib.properties import Actions, Address, Rule
from exchangelib.protocol import Protocol

from runner_api.customers.models import Customer, MailboxConfig
from runner_api.errors import ConfigurationError
from runner_api.mailbox.errors import MailboxAuthError, MailboxOperationError, translate
from runner_api.mailbox.ews_counts import GetInboxCounts
from runner_api.mailbox.ews_permissions import GetFolderPermissions, SetFolderPermissions
from runner_api.mailbox.gateway import (
    Audience,
    Delegate,
    Folder,
    FolderAcl,
    FolderPermission,
    InboxCounts,
    InboxRule,
    Oof,
    OofState,
)
from runner_api.mailbox.guardrails import mailbox_of, not_service_account
from runner_api.runs.context import RunContext
from runner_api.secrets.credentials import CredentialSource

T = TypeVar("T")
_AUTH = {"ntlm": NTLM, "basic": BASIC}
_MAX_ACCOUNTS = 512


def _addresses(recipients: Any) -> tuple[str, ...]:
    return tuple(str(r.email_address).lower() for r in recipients or () if r.email_address)


def _rule(rule: Any) -> InboxRule:
    actions = rule.actions
    return InboxRule(
        rule_id=str(rule.id),
        name=str(rule.display_name),
        enabled=rule.is_enabled is not False,
        forward_to=_addresses(actions.forward_to_recipients if actions else None),
        redirect_to=_addresses(actions.redirect_to_recipients if actions else None),
    )


def _plain(value: Any) -> datetime | None:
    # EWSDateTime refuses stdlib time zones in astimezone(): hand out plain aware datetimes.
    return datetime.fromtimestamp(value.timestamp(), UTC) if value is not None else None


def _raise_returned(values: list[Any]) -> list[Any]:
    # Some services return exception objects in their result lists instead of raising.
    for value in values:
        if isinstance(value, Exception):
            raise value
    return values


class EwsMailbox:
    """MailboxGateway over EWS; one Configuration per customer, Accounts cached per mailbox."""

    def __init__(self, credentials: CredentialSource, max_connections: int = 4) -> None:
        self._credentials = credentials
        self._max_connections = max_connections
        self._configs: dict[tuple[str, MailboxConfig], tuple[Configuration, str]] = {}
        self._accounts: OrderedDict[tuple[str, MailboxConfig, str], Account] = OrderedDict()
        self._lock = threading.Lock()

    def backend(self, customer: Customer) -> str:
        return "ews"

    def scoped(self, ctx: RunContext) -> AbstractContextManager[None]:
        # Each request is bounded by timeout_s; the operations are the run's own events.
        return contextlib.nullcontext()

    def refusal(self, customer: Customer, folder: Folder, level: str) -> str | None:
        return None  # EWS sets every level on both folders

    def get_inbox(self, customer: Customer, mailbox: str) -> InboxCounts:
        return self._call(customer, mailbox, lambda a: GetInboxCounts(account=a).call())

    def close(self) -> None:
        """Close every session and forget exchangelib's cached protocols of our configs."""
        with self._lock:
            configs = [config for config, _ in self._configs.values()]
            self._configs.clear()
            self._accounts.clear()
        for config in configs:
            with contextlib.suppress(KeyError):
                protocol, _ = Protocol[config]
                del Protocol[config]
                protocol.close()

    def _config(self, customer: Customer) -> tuple[Configuration, str]:
        settings = mailbox_of(customer)
        key = (customer.name, settings)
        with self._lock:
            found = self._configs.get(key)
        if found is not None:
            return found
        credential = self._credentials.mailbox_credential(customer.name)
        major, minor, build, revision = (int(p) for p in settings.version.split("."))
        try:
            auth_type = _AUTH[settings.auth_type]
        except KeyError:
            raise ConfigurationError(f"auth_type {settings.auth_type!r} is not supported") from None
        config = Configuration(
            service_endpoint=settings.ews_url,
            credentials=Credentials(credential.username, credential.password.get_secret_value()),
            auth_type=auth_type,
            version=Version(build=Build(major, minor, build, revision)),
            retry_policy=FailFast(),
            max_connections=self._max_connections,
        )
        with self._lock:
            found = self._configs.setdefault(key, (config, credential.username))
        return found

    def _account(self, customer: Customer, mailbox: str) -> Account:
        settings = mailbox_of(customer)
        config, username = self._config(customer)
        not_service_account(mailbox, username)
        key = (customer.name, settings, mailbox.lower())
        with self._lock:
            account = self._accounts.get(key)
            if account is not None:
                self._accounts.move_to_end(key)
                return account
        # IMPERSONATION: every request names the target in ExchangeImpersonation, so rules
        # land in the target's mailbox (DELEGATE would put them in the service account's).
        account = Account(
            mailbox.lower(),
            config=config,
            access_type=IMPERSONATION,
            autodiscover=False,
            default_timezone=EWS_UTC,
            locale="en_US",
        )
        # Per protocol (one per endpoint and login), instead of exchangelib's 120 s default.
        account.protocol.TIMEOUT = settings.timeout_s
        with self._lock:
            self._accounts[key] = account
            while len(self._accounts) > _MAX_ACCOUNTS:
                self._accounts.popitem(last=False)
        return account

    def _call(self, customer: Customer, mailbox: str, op: Callable[[Account], T]) -> T:
        settings = mailbox_of(customer)
        account = self._account(customer, mailbox)
        try:
            return op(account)
        except (EWSError, OSError) as exc:
            error = translate(exc, settings.ews_url, mailbox, settings.timeout_s)
            if isinstance(error, MailboxAuthError):
                # Maybe the credential was rotated: read it again next time.
                self._forget(customer)
            if error is exc:
                raise
            raise error from exc

    def _forget(self, customer: Customer) -> None:
        with self._lock:
            self._configs.pop((customer.name, mailbox_of(customer)), None)
            for key in [k for k in self._accounts if k[0] == customer.name]:
                del self._accounts[key]

    def get_oof(self, customer: Customer, mailbox: str) -> Oof:
        raw = self._call(customer, mailbox, lambda a: a.oof_settings)
        scheduled = raw.state == OofState.SCHEDULED
        return Oof(
            state=OofState(raw.state),
            audience=Audience(raw.external_audience or "All"),
            internal_message=raw.internal_reply or "",
            external_message=raw.external_reply or "",
            start=_plain(raw.start) if scheduled else None,
            end=_plain(raw.end) if scheduled else None,
        )

    def set_oof(self, customer: Customer, mailbox: str, oof: Oof) -> None:
        if oof.state is OofState.DISABLED:
            settings = OofSettings(state=OofState.DISABLED.value)
        else:
            settings = OofSettings(
                state=oof.state.value,
                external_audience=oof.audience.value,
                internal_reply=oof.internal_message,
                external_reply=oof.external_message,
                start=oof.start,
                end=oof.end,
            )

        def write(account: Account) -> None:
            account.oof_settings = settings

        self._call(customer, mailbox, write)

    def get_rules(self, customer: Customer, mailbox: str) -> list[InboxRule]:
        found = self._call(customer, mailbox, lambda a: _raise_returned(a.rules))
        return [_rule(rule) for rule in found]

    def set_forward_rule(
        self, customer: Customer, mailbox: str, name: str, forward_to: str | None
    ) -> None:
        def write(account: Account) -> None:
            for rule in _raise_returned(account.rules):
                if rule.display_name == name:
                    rule.delete()
            if forward_to is not None:
                # exchangelib finds the new RuleId by display_name: `name` is unique to us.
                Rule(
                    account=account,
                    display_name=name,
                    priority=1,
                    is_enabled=True,
                    actions=Actions(forward_to_recipients=[Address(email_address=forward_to)]),
                ).save()

        self._call(customer, mailbox, write)

    def get_permissions(self, customer: Customer, mailbox: str, folder: Folder) -> FolderAcl:
        acl = self._call(customer, mailbox, lambda a: GetFolderPermissions(account=a).call(folder))
        return FolderAcl(tuple(acl.entries), tuple(acl.unresolved))

    def set_permission(
        self, customer: Customer, mailbox: str, folder: Folder, user: str, level: str
    ) -> None:
        def write(account: Account) -> None:
            acl = GetFolderPermissions(account=account).call(folder)
            if acl.opaque:
                raise MailboxOperationError(
                    f"the {folder} ACL of {mailbox!r} has entries without an address "
                    f"({', '.join(acl.opaque)}); rewriting it would lose them: change it in "
                    "Exchange itself"
                )
            kept = [p for p in acl.entries if p.distinguished or p.user != user.lower()]
            if level != "None":
                kept.append(FolderPermission(user.lower(), level))
            acl.entries = kept
            SetFolderPermissions(account=account).call(acl)

        self._call(customer, mailbox, write)

    def get_delegates(self, customer: Customer, mailbox: str) -> list[Delegate]:
        found = self._call(customer, mailbox, lambda a: _raise_returned(a.delegates))
        return [
            Delegate(
                user=str(d.user_id.primary_smtp_address or d.user_id.sid or "").lower(),
                display_name=d.user_id.display_name,
                calendar=str(d.delegate_permissions.calendar_folder_permission_level or "None"),
                inbox=str(d.delegate_permissions.inbox_folder_permission_level or "None"),
            )
            for d in found
        ]
