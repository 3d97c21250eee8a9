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
    run_id: str | None
    created_at: datetime
