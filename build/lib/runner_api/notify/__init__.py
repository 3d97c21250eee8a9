"""Notifications to account owners (and managers) after resets, unlocks and grants (P6).

Errors:
    FixlineError
    └── DeliveryError       one SMTP attempt failed (transport.py); retried by the relay

outbox.py writes the rows with the run's terminal success (one transaction, R7);
relay.py delivers them over SMTP with retries and audits each attempt.
"""
