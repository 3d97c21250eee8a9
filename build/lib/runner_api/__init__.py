"""Fixline: vetted one-step helpdesk fixes, each run bound to its ticket."""

__version__ = "0.1.0"
