"""GET /notifications: admins see which notices went out, wait, or could not be delivered."""

from __future__ import annotations

from fastapi import APIRouter

from runner_api.notify.models import NotificationStatus
from runner_api.notify.outbox import list_notifications
from runner_api.notify.schemas import NotificationRead
from runner_api.outbox.routes import add_listing

router = APIRouter(prefix="/notifications", tags=["audit"])
add_listing(
    router,
    "",
    rows=list_notifications,
    statuses=NotificationStatus,
    read=NotificationRead,
    name="notifications",
    summary="Notices to account owners and managers, newest first",
    description="Filter by status (failed: undeliverable or given up; pending: waiting or "
    "retrying).",
    what="the notification outbox",
)
