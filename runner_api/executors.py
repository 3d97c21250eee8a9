"""The executors of every action kind, built from Settings: by the API and by site workers.

A site worker builds the same set against its own credential store, so a customer's
secrets can stay inside the customer's network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from runner_api.accounts import AccountGuard
from runner_api.catalog.models import ActionKind
from runner_api.catalog.vetting import VettingLock
from runner_api.database import Database
from runner_api.directory import DirectoryExecutor, LdapDirectory
from runner_api.directory.accounts import DirectoryAccounts
from runner_api.directory.gateway import DirectoryGateway
from runner_api.entra import IdentityRouter
from runner_api.entra.accounts import EntraAccounts, IdentityAccounts
from runner_api.exchange_online import GraphMailbox
from runner_api.graph import GraphGateway, HttpGraph
from runner_api.mailbox import EwsMailbox, MailboxExecutor
from runner_api.mailbox.backends import MailboxBackends
from runner_api.mailbox.gateway import MailboxGateway
from runner_api.pki.authority import CustomerCa
from runner_api.pki.executor import CertificateExecutor
from runner_api.pki.ledger import CertificateLedger
from runner_api.pki.probe import SocketTlsProbe
from runner_api.playbooks.executor import PlaybookExecutor
from runner_api.playbooks.warm import WarmAnsible
from runner_api.runs.context import Executor
from runner_api.secrets.store import EncryptedCredentialSource
from runner_api.settings import Settings
from runner_api.vpn import VpnExecutor


@dataclass(frozen=True)
class ExecutorSet:
    """Executors by kind, and the gateways other features share (pickers, the CA CLI).

    Typed by the gateways' Protocols: the fast test tier builds the same set on in-process
    fakes (ExecutorBuilder), and nothing above this line can tell.
    """

    by_kind: dict[ActionKind, Executor]
    directory_gateway: DirectoryGateway
    mailbox_gateway: MailboxGateway
    ca: CustomerCa
    # The one account guardrail: the executors' and start_run's (approvals) alike.
    accounts: AccountGuard
    # Connection pools and the like, closed with the process.
    closers: tuple[Callable[[], None], ...] = field(default=())
    # Entra ID through Microsoft Graph; None where nothing was built for it (fast tests).
    graph_gateway: GraphGateway | None = None

    def close(self) -> None:
        for close in self.closers:
            close()


class ExecutorBuilder(Protocol):
    """Builds a process's executors; build_executors is the production one."""

    def __call__(
        self,
        settings: Settings,
        db: Database,
        vetting: VettingLock,
        credentials: EncryptedCredentialSource,
    ) -> ExecutorSet: ...


def assemble(
    db: Database,
    credentials: EncryptedCredentialSource,
    directory_gateway: DirectoryGateway,
    mailbox_gateway: MailboxGateway,
    playbooks: Executor,
    closers: tuple[Callable[[], None], ...] = (),
    graph_gateway: GraphGateway | None = None,
) -> ExecutorSet:
    """The executors of every kind on the given gateways and playbook runner; directory
    actions of Entra ID and hybrid customers need `graph_gateway` (else they fail)."""
    directory = DirectoryExecutor(directory_gateway)
    # A mailbox's owner, a colleague, a recipient: vetted where the account lives.
    cloud = EntraAccounts(graph_gateway) if graph_gateway is not None else None
    accounts = AccountGuard(IdentityAccounts(DirectoryAccounts(directory_gateway), cloud))
    # The CA key stays in the credential store; CustomerCa opens it only to sign.
    ca = CustomerCa(credentials)
    ledger = CertificateLedger(db)
    by_kind: dict[ActionKind, Executor] = {
        # By the customer's identity and the account's origin: AD or Entra ID.
        ActionKind.DIRECTORY: IdentityRouter(directory, graph_gateway),
        ActionKind.MAILBOX: MailboxExecutor(mailbox_gateway, accounts),
        ActionKind.PLAYBOOK: playbooks,
        ActionKind.CERTIFICATE: CertificateExecutor(ca, playbooks, ledger, SocketTlsProbe()),
        ActionKind.VPN: VpnExecutor(directory, playbooks, ca, ledger),
    }
    return ExecutorSet(
        by_kind, directory_gateway, mailbox_gateway, ca, accounts, closers, graph_gateway
    )


def build_executors(
    settings: Settings,
    db: Database,
    vetting: VettingLock,
    credentials: EncryptedCredentialSource,
) -> ExecutorSet:
    """The production set: ldap3 against AD, exchangelib against Exchange, httpx + msal
    against Microsoft Graph, ansible-runner."""
    ldap = LdapDirectory(credentials, pool_size=settings.workers)
    ews = EwsMailbox(credentials, max_connections=settings.workers)
    graph = HttpGraph(credentials)
    # Started by the first playbook run (which goes cold), so a CLI command never starts it.
    warm = WarmAnsible() if settings.warm_ansible else None
    playbooks = PlaybookExecutor(
        project_dir=settings.project_dir,
        work_dir=settings.resolved_work_dir,
        vetting=vetting,
        credentials=credentials,
        pexpect_timeout_s=settings.pexpect_timeout_s,
        pipelining=settings.playbook_pipelining,
        warm=warm,
    )
    closers = (ldap.close, ews.close, graph.close, *((warm.close,) if warm is not None else ()))
    # Per customer (mailbox.backend): on-premises Exchange through EWS, or Exchange Online.
    mailbox = MailboxBackends(ews, GraphMailbox(graph))
    return assemble(db, credentials, ldap, mailbox, playbooks, closers, graph)
