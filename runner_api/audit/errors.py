"""Errors of the audit log.

ConfigurationError (503)
├── AuditUnavailableError     a record could not be written: the action does not happen
└── AuditKeyError             the signing key file is missing, unreadable or not Ed25519
"""

from __future__ import annotations

from runner_api.errors import ConfigurationError


class AuditUnavailableError(ConfigurationError):
    """Fail closed: without its audit record nothing is changed (answered 503)."""

    code = "audit_unavailable"


class AuditKeyError(ConfigurationError):
    code = "audit_key"
