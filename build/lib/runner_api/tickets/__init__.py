"""Outcomes written back into the ticket that asked for the run (issue 8).

Errors:
    FixlineError
    └── ExecutorError
        └── DeliveryError     one write-back attempt failed (systems.py); retried by the relay

outbox.py builds the rows with the run's terminal status (one transaction); compose.py
writes the comment from non-secret run fields only; systems.py holds the TicketSystem
Protocol with its two adapters (a generic JSON callback, Request Tracker 5 REST 2);
relay.py delivers with back-off; router.py shows admins what keeps failing.
"""
