"""PUT/GET /credentials: admins only, write-only, audited; no answer carries a value."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from runner_api.app import create_app
from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.secrets.credentials import GraphCredential
from tests.authz.conftest import by
from tests.secrets.apps import settings_without_lab
from tests.secrets.canary import CERTIFICATE, assert_absent, canary, dump, private_key

ADMIN = {"Authorization": "Bearer credentials-admin-0123456789"}


@pytest.fixture
def core(tmp_path: Path) -> Core:
    return Core(settings_without_lab(tmp_path, bootstrap_token=ADMIN["Authorization"][7:]))


@pytest.fixture
def client(core: Core) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core)) as client:
        yield client


def test_credentials_are_write_only(client: TestClient, core: Core) -> None:
    secret = canary("ews")
    answers = [
        client.put(
            "/credentials/lab/mailbox", json={"username": "svc", "password": secret}, headers=ADMIN
        )
    ]
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["fields"] == {"password": "$encrypted$", "username": "$encrypted$"}
    answers.append(client.get("/credentials/lab", headers=ADMIN))
    (view,) = answers[-1].json()
    assert (view["kind"], view["updated_by"]) == ("mailbox", "token:bootstrap")
    assert set(view["fields"].values()) == {"$encrypted$"}
    answers.append(
        client.put(
            "/credentials/lab/mailbox",
            json={"username": "svc", "password": secret, "note": secret},
            headers=ADMIN,
        )
    )
    assert answers[-1].status_code == 422
    answers.append(
        client.put(
            "/credentials/lab/mailbox", json={"username": "svc", "password": 7}, headers=ADMIN
        )
    )
    assert answers[-1].status_code == 422
    for answer in answers:
        assert_absent(answer.text, secret)
    assert core.credentials.mailbox_credential("lab").password.get_secret_value() == secret
    audit = client.get("/audit/records", params={"type": "credential.set"}, headers=ADMIN)
    assert audit.status_code == 200 and "credential.set" in audit.text
    assert_absent(audit.text, secret)
    assert_absent(dump(core.db), secret)


def test_unknown_customers_and_kinds_are_refused(client: TestClient) -> None:
    body = {"username": "svc", "password": "pw-0123"}
    missing = client.put("/credentials/nobody/mailbox", json=body, headers=ADMIN)
    assert missing.status_code == 404
    assert client.get("/credentials/nobody", headers=ADMIN).status_code == 404
    assert client.put("/credentials/lab/telnet", json=body, headers=ADMIN).status_code == 422


@pytest.mark.parametrize("role", [Role.AGENT, Role.SENIOR_AGENT, Role.AUDITOR])
def test_only_admins_manage_credentials(client: TestClient, core: Core, role: Role) -> None:
    customers = None if role == Role.AUDITOR else ["lab"]
    issued = core.tokens.create(
        name=f"t-{role}",
        role=role,
        customers=customers,
        actions=None,
        created_by=by("test"),
    )
    token = {"Authorization": f"Bearer {issued.secret}"}
    body = {"username": "svc", "password": canary("ews")}
    assert client.put("/credentials/lab/mailbox", json=body, headers=token).status_code == 403
    assert client.get("/credentials/lab", headers=token).status_code == 403
    assert client.put("/credentials/lab/mailbox", json=body).status_code == 401
    assert client.get("/credentials/lab").status_code == 401
    assert core.credentials.listing("lab") == []


def test_the_api_takes_it_write_only(client: TestClient, core: Core) -> None:
    key = private_key(canary("graph"))
    body = {
        "tenant_id": "tenant-1",
        "client_id": "client-1",
        "certificate": CERTIFICATE,
        "private_key": key,
    }
    answers = [client.put("/credentials/lab/graph", json=body, headers=ADMIN)]
    assert answers[0].status_code == 200, answers[0].text
    assert set(answers[0].json()["fields"]) == set(body) | {"ca_pem"}
    answers.append(client.get("/credentials/lab", headers=ADMIN))
    bad = body | {"certificate": "not a certificate", "client_secret": key}
    answers.append(client.put("/credentials/lab/graph", json=bad, headers=ADMIN))
    assert answers[-1].status_code == 422
    for answer in answers:
        assert_absent(answer.text, key)
    assert core.credentials.graph_credential("lab") == GraphCredential(
        "tenant-1", "client-1", CERTIFICATE, SecretStr(key)
    )
    assert_absent(dump(core.db), key)
