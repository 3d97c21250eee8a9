"""Notifications to account owners (and managers) after resets, unlocks and grants, at the
address on record in the directory (a channel the caller does not control).

Errors:
    FixlineError
    └── ExecutorError
        └── DeliveryError   one SMTP attempt failed (transport.py); retried by the relay

outbox.py writes the rows with the run's terminal success (one transaction: a notice
is neither lost nor sent for a run that did not succeed);
relay.py delivers them over SMTP with retries and audits each attempt.
"""
