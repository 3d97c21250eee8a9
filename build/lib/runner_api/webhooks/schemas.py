"""What admins see of a delivery: who sent it, when, its answer and why it was refused.

Never the body: it may hold a parameter meant to stay secret.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class WebhookDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    key: str
    status: str
    status_code: int | None
    reason: str | None
    # v2, or v1 from a source that still accepts the legacy signature (None: before 0012).
    scheme: str | None
    # The signed X-Fixline-Timestamp (None on the record of a refused replay).
    sent_at: int | None
    run_id: str | None
    created_at: datetime
