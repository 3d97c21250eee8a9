"""The `entra:` section and `identity:` key of fixline.yml: defaults, inference, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_api.customers.models import Customer, Identity
from runner_api.customers.registry import load_customer
from runner_api.errors import ConfigurationError

ENTRA = "entra: {tenant_id: t-1, accepted_domains: [Fabrikam.test]}"
DIRECTORY = (
    "directory: {url: 'ldaps://dc:636', tls_name: dc, base_dn: 'DC=x', user_ous: ['OU=a,DC=x']}"
)


def load_customer_from(folder: Path, *lines: str) -> Customer:
    (folder / "fixline.yml").write_text("\n".join(lines) + "\n")
    return load_customer(folder)


def test_defaults_and_inferred_identity(tmp_path: Path) -> None:
    customer = load_customer_from(tmp_path, ENTRA)
    assert customer.identity is Identity.ENTRA and customer.entra is not None
    entra = customer.entra
    assert (entra.tenant_id, entra.accepted_domains) == ("t-1", ("fabrikam.test",))
    assert entra.authority_host == "https://login.microsoftonline.com"
    assert entra.graph_url == "https://graph.microsoft.com/v1.0"
    assert (entra.timeout_s, entra.max_retry_wait_s) == (10.0, 30.0)
    assert load_customer_from(tmp_path, DIRECTORY).identity is Identity.AD
    assert load_customer_from(tmp_path, DIRECTORY, ENTRA).identity is Identity.HYBRID
    assert load_customer_from(tmp_path).identity is Identity.AD
    both = load_customer_from(tmp_path, DIRECTORY, ENTRA, "identity: entra")
    assert both.identity is Identity.ENTRA


@pytest.mark.parametrize(
    ("lines", "key", "problem"),
    [
        (["entra: {accepted_domains: [a.test]}"], "entra.tenant_id", "non-empty string"),
        (["entra: {tenant_id: t, accepted_domains: []}"], "entra.accepted_domains",
         "at least one domain"),
        (["entra: {tenant_id: t, accepted_domains: [a], authority_host: 'http://x'}"],
         "entra.authority_host", "https://"),
        (["entra: {tenant_id: t, accepted_domains: [a], graph_url: 'http://g/v1.0'}"],
         "entra.graph_url", "https://"),
        (["entra: {tenant_id: t, accepted_domains: [a], timeout_s: 0}"], "entra.timeout_s",
         "(0, 120]"),
        (["entra: {tenant_id: t, accepted_domains: [a], max_retry_wait_s: x}"],
         "entra.max_retry_wait_s", "seconds"),
        (["entra: {tenant_id: t, accepted_domains: [a], deny_list: b}"], "entra.deny_list",
         "list"),
        (["entra: {tenant_id: t, accepted_domains: [a], tenant: u}"], "entra.tenant",
         "unknown key"),
        (["entra: [t]"], "entra", "mapping"),
        ([ENTRA, "identity: cloud"], "identity", "ad, entra, hybrid"),
        ([ENTRA, "identity: hybrid"], "identity", "needs the directory section"),
        ([DIRECTORY, "identity: entra"], "identity", "needs the entra section"),
    ],
)  # fmt: skip
def test_bad_sections_name_the_file_and_key(
    tmp_path: Path, lines: list[str], key: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_customer_from(tmp_path, *lines)
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'fixline.yml'}: {key}: "), message
    assert problem in message
