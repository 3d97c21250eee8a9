"""The Graph backend's own tests share the mailbox worlds' Graph client."""

from tests.mailbox.backends import graph_gateway  # noqa: F401
