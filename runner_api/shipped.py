"""Every action this release ships, as one Catalog: the API, the site workers and the CLI
must agree on it. Only the action modules are imported, never their clients."""

from __future__ import annotations

from runner_api.catalog.actions import builtin_actions
from runner_api.catalog.registry import Catalog
from runner_api.directory.actions import directory_actions
from runner_api.entra.actions import entra_actions
from runner_api.mailbox.actions import mailbox_actions
from runner_api.pki.actions import pki_actions
from runner_api.vpn.actions import vpn_actions


def shipped_catalog() -> Catalog:
    """A new Catalog of every action Fixline knows."""
    return Catalog(
        [
            *builtin_actions(),
            *directory_actions(),
            *entra_actions(),
            *mailbox_actions(),
            *pki_actions(),
            *vpn_actions(),
        ]
    )
