"""Shared fixtures: real components only (lab sshd, SQLite and PostgreSQL stores)."""

pytest_plugins = [
    "tests.plugins.lab",
    "tests.plugins.directory_lab",
    "tests.plugins.mailbox_lab",
    "tests.plugins.store",
    "tests.plugins.server",
    "tests.plugins.sites",
    "tests.plugins.mail",
    "tests.plugins.rt",
    "tests.plugins.webhooks",
    "tests.plugins.fakes",
]
