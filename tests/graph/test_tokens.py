"""App-only tokens through real msal against the simulator's identity platform: cached per
customer, refusals explained, the private key never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from lab.graph import make_app_credential
from runner_api.customers.models import Customer
from runner_api.database import Database
from runner_api.graph import HttpGraph
from runner_api.graph.errors import GraphAuthError, GraphUnavailableError
from runner_api.secrets.credentials import FileCredentialSource, GraphCredential
from runner_api.secrets.keys import new_key, verify_key
from runner_api.secrets.store import EncryptedCredentialSource
from tests.graph.conftest import Calls, credential, customer
from tests.plugins.graph_lab import GraphLab
from tests.secrets.canary import assert_absent

ADELE = "adele.vance@fabrikam.example"


def _token_requests(lab: GraphLab) -> list[str]:
    return [r.path for r in lab.simulator.requests if r.path.endswith("/token")]


def test_one_token_per_customer_from_msals_cache(
    gateway: HttpGraph, fabrikam: Customer, graph_lab: GraphLab, calls: Calls
) -> None:
    gateway.find_user(fabrikam, ADELE, budget=calls.budget())
    gateway.find_user(fabrikam, ADELE, budget=calls.budget())
    tenant = graph_lab.credentials["fabrikam"].tenant_id
    assert _token_requests(graph_lab) == [f"/{tenant}/oauth2/v2.0/token"]
    assert [c.path.rsplit("/", 1)[-1] for c in calls.seen] == [
        "openid-configuration", "token", ADELE, ADELE,
    ]  # fmt: skip
    gateway.find_user(customer(graph_lab, "lab"), "zoe.martin@lab.test")
    assert len(_token_requests(graph_lab)) == 2  # the lab tenant's own token


def test_the_encrypted_store_serves_the_credential(graph_lab: GraphLab, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fixline.db'}")
    database.upgrade()
    key = new_key("test")
    verify_key(database, key)
    store = EncryptedCredentialSource(database, key)
    store.store_graph_credential("fabrikam", credential(graph_lab, "fabrikam"))
    gateway = HttpGraph(store)
    try:
        assert gateway.find_user(customer(graph_lab, "fabrikam"), ADELE) is not None
    finally:
        gateway.close()
        database.dispose()


def test_ca_bundle_variables_change_nothing(
    gateway: HttpGraph, fabrikam: Customer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(empty))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert gateway.find_user(fabrikam, ADELE) is not None


def test_without_the_simulators_ca_tls_fails(graph_lab: GraphLab, tmp_path: Path) -> None:
    files = FileCredentialSource(tmp_path)
    app = graph_lab.credentials["fabrikam"]
    # No CA of the simulator's: only the system's trust store.
    files.store_graph_credential("fabrikam", app.graph_credential(ca_pem=""))
    with pytest.raises(GraphUnavailableError, match="the TLS check failed"):
        HttpGraph(files).find_user(customer(graph_lab, "fabrikam"), ADELE)


def _with(lab: GraphLab, tmp_path: Path, **changes: str) -> HttpGraph:
    app = credential(lab, "fabrikam")
    fields = {
        "tenant_id": app.tenant_id,
        "client_id": app.client_id,
        "certificate_pem": app.certificate_pem,
        "private_key": app.private_key,
        "ca_pem": app.ca_pem,
    } | changes
    files = FileCredentialSource(tmp_path)
    files.store_graph_credential("fabrikam", GraphCredential(**fields))  # type: ignore[arg-type]
    return HttpGraph(files)


def test_refused_sign_ins_say_what_to_check_and_never_show_the_key(
    graph_lab: GraphLab, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = make_app_credential("t", "c", "not registered")
    canary = other.private_key_pem
    fabrikam = customer(graph_lab, "fabrikam")
    errors: list[Exception] = []
    with caplog.at_level(logging.DEBUG):
        wrong = _with(graph_lab, tmp_path / "a", certificate_pem=other.certificate_pem,
                      private_key=SecretStr(canary))  # fmt: skip
        with pytest.raises(GraphAuthError, match="AADSTS700027") as caught:
            wrong.find_user(fabrikam, ADELE)
        assert "the certificate is not the one registered" in caught.value.message
        assert "Trace ID" not in caught.value.message
        errors.append(caught.value)
        key_only = _with(graph_lab, tmp_path / "b", private_key=SecretStr(canary))
        with pytest.raises(GraphAuthError, match="AADSTS700027") as caught:
            key_only.find_user(fabrikam, ADELE)
        errors.append(caught.value)
        client = _with(graph_lab, tmp_path / "c", private_key=SecretStr(canary), client_id="x")
        with pytest.raises(GraphAuthError, match="AADSTS700016") as caught:
            client.find_user(fabrikam, ADELE)
        assert "no such application" in caught.value.message
        errors.append(caught.value)
        tenant = _with(graph_lab, tmp_path / "d", private_key=SecretStr(canary))
        nowhere = customer(graph_lab, "fabrikam", tenant_id="00000000-0000-0000-0000-00000000dead")
        with pytest.raises(GraphAuthError, match="does not know tenant") as caught:
            tenant.find_user(nowhere, ADELE)
        errors.append(caught.value)
    seen = caplog.text + repr(errors) + " ".join(str(e) for e in errors)
    seen += repr([e.details for e in errors]) + repr(credential(graph_lab, "fabrikam"))
    for key in (canary, graph_lab.credentials["fabrikam"].private_key_pem):
        assert_absent(seen, _inside(key))


def _inside(pem: str) -> str:
    """60 characters from inside a PEM key (its start is the same for every RSA key)."""
    return "".join(pem.split("-----")[2].split())[200:260]
