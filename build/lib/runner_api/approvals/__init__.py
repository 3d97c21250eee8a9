"""Approvals: high-risk runs wait for a second person with the right role."""
