"""Mailbox fixes on a customer's Exchange (EWS, impersonation): OOF, forwarding, folder ACLs.

Build: `gateway = EwsMailbox(credentials)`, `MailboxExecutor(gateway, accounts)` for
ActionKind.MAILBOX, `MailboxService(gateway, customers)` for the look-up,
`mailbox_actions()` into the catalog, `router` into the app; `gateway.close()` on stop.
"""

from typing import TYPE_CHECKING

from runner_api.exports import lazy_exports
from runner_api.mailbox.actions import mailbox_actions

if TYPE_CHECKING:
    from runner_api.mailbox.ews_gateway import EwsMailbox
    from runner_api.mailbox.executor import MailboxExecutor
    from runner_api.mailbox.gateway import MailboxGateway
    from runner_api.mailbox.service import MailboxService

__all__ = ["EwsMailbox", "MailboxExecutor", "MailboxGateway", "MailboxService", "mailbox_actions"]

# The clients behind these are imported when first used (runner_api/exports.py).
__getattr__ = lazy_exports(
    __name__,
    {
        "EwsMailbox": "ews_gateway",
        "MailboxExecutor": "executor",
        "MailboxGateway": "gateway",
        "MailboxService": "service",
    },
)
