"""Shared fixtures: the real components (lab, stores, servers) and the fast tier's fakes."""

import pytest

pytest_plugins = [
    "tests.plugins.lab",
    "tests.plugins.directory_lab",
    "tests.plugins.mailbox_lab",
    "tests.plugins.store",
    "tests.plugins.server",
    "tests.plugins.sites",
    "tests.plugins.mail",
    "tests.plugins.webhooks",
    "tests.plugins.rt",
    "tests.plugins.fakes",
    "tests.plugins.graph_lab",
]

# A test's markers follow from the fixtures it uses, so no test can forget one and the fast
# tier (`make test-fast`: not lab, postgres, redis, rt, browser, server, cli or slow) is exact.
_MARKER_OF = {
    # Every root lab part (sshd, Samba DCs, namespaces, fixed ports) takes the machine lock.
    "lab_machine_lock": "lab",
    "postgres_admin_url": "postgres",
    "own_redis": "redis",
    "site_lab_factory": "redis",
    "request_tracker": "rt",
    "browser": "browser",
    # A `fixline serve` process of its own: about 4 s of imports and start-up each.
    "server": "server",
    "hook_server": "server",
    "web_server": "server",
    "entra_web_server": "server",
    "planted_server": "server",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker in sorted({_MARKER_OF[name] for name in used & _MARKER_OF.keys()}):
            item.add_marker(marker)
        callspec = getattr(item, "callspec", None)
        # database_url reaches PostgreSQL only in its second parameter, at run time.
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker("postgres")
