"""The executors of every action kind, built from Settings: by the API and by site workers.

A site worker builds the same set against its own credential store, so a customer's
secrets can stay inside the customer's network.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner_api.accounts import AccountGuard
from runner_api.catalog.models import ActionKind
from runner_api.catalog.vetting import VettingLock
from runner_api.database import Database
from runner_api.directory import DirectoryExecutor, LdapDirectory
from runner_api.directory.accounts import DirectoryAccounts
from runner_api.mailbox import EwsMailbox, MailboxExecutor
from runner_api.pki.authority import CustomerCa
from runner_api.pki.executor import CertificateExecutor
from runner_api.pki.ledger import CertificateLedger
from runner_api.pki.probe import SocketTlsProbe
from runner_api.playbooks.executor import PlaybookExecutor
from runner_api.runs.context import Executor
from runner_api.secrets.store import EncryptedCredentialSource
from runner_api.settings import Settings
from runner_api.vpn import VpnExecutor


@dataclass(frozen=True)
class ExecutorSet:
    """Executors by kind, and the gateways other features share (pickers, the CA CLI)."""

    by_kind: dict[ActionKind, Executor]
    directory_gateway: LdapDirectory
    mailbox_gateway: EwsMailbox
    ca: CustomerCa
    # The one account guardrail: the executors' and start_run's (approvals) alike.
    accounts: AccountGuard

    def close(self) -> None:
        self.directory_gateway.close()
        self.mailbox_gateway.close()


def build_executors(
    settings: Settings,
    db: Database,
    vetting: VettingLock,
    credentials: EncryptedCredentialSource,
) -> ExecutorSet:
    directory_gateway = LdapDirectory(credentials, pool_size=settings.workers)
    mailbox_gateway = EwsMailbox(credentials, max_connections=settings.workers)
    playbooks = PlaybookExecutor(
        project_dir=settings.project_dir,
        work_dir=settings.resolved_work_dir,
        vetting=vetting,
        credentials=credentials,
        pexpect_timeout_s=settings.pexpect_timeout_s,
    )
    directory = DirectoryExecutor(directory_gateway)
    accounts = AccountGuard(DirectoryAccounts(directory_gateway))
    # The CA key stays in the credential store; CustomerCa opens it only to sign.
    ca = CustomerCa(credentials)
    ledger = CertificateLedger(db)
    by_kind: dict[ActionKind, Executor] = {
        ActionKind.DIRECTORY: directory,
        ActionKind.MAILBOX: MailboxExecutor(mailbox_gateway, accounts),
        ActionKind.PLAYBOOK: playbooks,
        ActionKind.CERTIFICATE: CertificateExecutor(ca, playbooks, ledger, SocketTlsProbe()),
        ActionKind.VPN: VpnExecutor(directory, playbooks, ca, ledger),
    }
    return ExecutorSet(by_kind, directory_gateway, mailbox_gateway, ca, accounts)
