"""Outboxes: rows written with a run's end, delivered later by a relay thread with back-off.

relay.py is the one delivery loop; notify/ (mails) and tickets/ (ticket write-back) give it
their table and their way of sending one row.
"""
