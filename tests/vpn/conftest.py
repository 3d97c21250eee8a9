from tests.api.conftest import client, settings  # noqa: F401  (the app fixtures of the lab tests)
