"""The API app of tests/api (the real lab behind it) for the account guardrail's tests."""

from tests.api.conftest import client, settings  # noqa: F401
