"""One-time reveals: a generated secret shown once to its requester, then wiped."""
