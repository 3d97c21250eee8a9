"""GET /mailbox/info: look at a mailbox before acting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from runner_api.auth.authorize import require_customer
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.mailbox import MailboxService
from runner_api.mailbox.schemas import MailboxInfoRead
from runner_api.routing.services import service

router = APIRouter(prefix="/mailbox", tags=["mailbox"])
MailboxDep = Annotated[MailboxService, service(MailboxService)]


@router.get("/info", response_model=MailboxInfoRead)
def mailbox_info(
    mailboxes: MailboxDep,
    caller: Annotated[Principal, Depends(require(Permission.MAILBOX_READ))],
    customer: Annotated[str, Query(min_length=1, max_length=64, examples=["lab"])],
    mailbox: Annotated[
        str, Query(min_length=3, max_length=254, examples=["anna.schmidt@lab.test"])
    ],
) -> MailboxInfoRead:
    """OOF, inbox rules, Calendar/Inbox permissions and delegates of one mailbox (read-only)."""
    require_customer(caller, customer)
    return mailboxes.info(customer, mailbox)
