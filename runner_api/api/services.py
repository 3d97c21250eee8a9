"""The services a route may depend on, each its own FastAPI dependency.

Routers name the one service they use (`RunsDep`, `ApprovalsDep`, ...) and never the Core
that holds them: a route can do only what its service offers, and a test can hand a route a
service of its own. This module is the one place that knows where the app keeps them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from runner_api.api.deps import get_core
from runner_api.approvals.service import ApprovalService
from runner_api.audit.reader import AuditReader
from runner_api.auth.sessions import SessionStore
from runner_api.auth.tokens import TokenStore
from runner_api.catalog.registry import Catalog
from runner_api.catalog.vetting import VettingLock
from runner_api.core import Core
from runner_api.customers.registry import CustomerRegistry
from runner_api.database import Database
from runner_api.directory import DirectoryService
from runner_api.mailbox import MailboxService
from runner_api.metrics import ServiceHealth
from runner_api.reveals.service import RevealService
from runner_api.runs.limits import RateLimits
from runner_api.runs.service import RunService
from runner_api.secrets.store import EncryptedCredentialSource
from runner_api.settings import Settings
from runner_api.sites.service import SiteRuns
from runner_api.webhooks.receiving import Receiver
from runner_api.webhooks.service import WebhookService

T = TypeVar("T")


def _provide(pick: Callable[[Core], T]) -> Callable[[Request], Awaitable[T]]:
    # Async: FastAPI runs a sync dependency in the thread pool, a hop on every request.
    async def dependency(request: Request) -> T:
        return pick(get_core(request))

    return dependency


def _dep(pick: Callable[[Core], Any]) -> Any:
    return Depends(_provide(pick))


SettingsDep = Annotated[Settings, _dep(lambda core: core.settings)]
RunsDep = Annotated[RunService, _dep(lambda core: core.runs)]
ApprovalsDep = Annotated[ApprovalService, _dep(lambda core: core.approvals)]
RevealsDep = Annotated[RevealService, _dep(lambda core: core.reveals)]
AuditReaderDep = Annotated[AuditReader, _dep(lambda core: core.audit_reader)]
SessionsDep = Annotated[SessionStore, _dep(lambda core: core.sessions)]
TokensDep = Annotated[TokenStore, _dep(lambda core: core.tokens)]
CatalogDep = Annotated[Catalog, _dep(lambda core: core.catalog)]
VettingDep = Annotated[VettingLock, _dep(lambda core: core.vetting)]
CustomersDep = Annotated[CustomerRegistry, _dep(lambda core: core.customers)]
CredentialsDep = Annotated[EncryptedCredentialSource, _dep(lambda core: core.credentials)]
HealthDep = Annotated[ServiceHealth, _dep(lambda core: core.health)]
LimitsDep = Annotated[RateLimits, _dep(lambda core: core.limits)]
SitesDep = Annotated[SiteRuns, _dep(lambda core: core.sites)]
WebhooksDep = Annotated[WebhookService, _dep(lambda core: core.webhooks)]
ReceiverDep = Annotated[Receiver, _dep(lambda core: core.receiver)]
DirectoryDep = Annotated[DirectoryService, _dep(lambda core: core.directory)]
MailboxDep = Annotated[MailboxService, _dep(lambda core: core.mailbox)]
# Outbox listings read their rows straight from the store (outbox/routes.py).
StoreDep = Annotated[Database, _dep(lambda core: core.db)]
