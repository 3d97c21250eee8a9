"""Scheduled runs: follow-ups such as revoking a grant when it expires, kept in the store."""
