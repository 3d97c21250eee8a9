"""Dispatch: where queued runs get a worker (local thread pool; Celery per site later)."""
