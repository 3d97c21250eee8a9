"""The app without the lab (tests/authz), for the reveal routes."""

from tests.authz.conftest import client, core  # noqa: F401
