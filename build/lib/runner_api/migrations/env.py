"""Alembic environment: runs on the connection handed over by Database.upgrade()."""

from __future__ import annotations

from alembic import context

# Imported for their side effect: they register their tables on Base.metadata.
from runner_api.approvals import models as _approval_models  # noqa: F401
from runner_api.audit import models as _audit_models  # noqa: F401
from runner_api.auth import models as _auth_models  # noqa: F401
from runner_api.database import Base
from runner_api.monitoring import models as _monitoring_models  # noqa: F401
from runner_api.notify import models as _notify_models  # noqa: F401
from runner_api.reveals import models as _reveal_models  # noqa: F401
from runner_api.runs import models as _run_models  # noqa: F401
from runner_api.schedules import models as _schedule_models  # noqa: F401
from runner_api.secrets import models as _secret_models  # noqa: F401
from runner_api.sites import models as _site_models  # noqa: F401
from runner_api.tickets import models as _ticket_models  # noqa: F401
from runner_api.webhooks import models as _webhook_models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
