"""The demo's Graph simulator part (lab/graph/lab.py) with the shipped inventories/fabrikam,
through the real Core and API: what `fixline demo` offers for the cloud-only customer works.

EntraLab starts as the demo starts it, storing the apps' credentials into the credentials
folder that the app then imports at start-up. Only the port differs: the demo's is fixed
(8442, which a running `fixline demo` may hold), so the simulator listens on a free one and a
copy of inventories/ names that port instead; every other line of fabrikam's fixline.yml
is the shipped one, and the first test holds the shipped port to the demo's. Directory,
mailbox and playbooks are the fast tier's fakes; Graph is the simulator. No root, no lab DC.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lab import directory_helpdesk as helpdesk
from lab.directory_data import LabUser
from lab.graph import DEFAULT_PORT, FABRIKAM_TENANT_ID, EntraLab
from lab.graph.lab import SAMPLE_USER
from lab.graph.state import Tenant, User
from runner_api.app import create_app
from runner_api.auth.login_roles import RoleMapping
from runner_api.auth.policy import ROLE_PERMISSIONS, Permission
from runner_api.auth.principal import Role
from runner_api.core import Core
from runner_api.customers.models import Identity
from runner_api.customers.registry import CustomerRegistry
from runner_api.secrets.credentials import FileCredentialSource
from tests.authz.conftest import by
from tests.plugins.fakes import FAST_AUTH, Fakes, fast_core_for, fast_settings_for, run_fix, start
from tests.plugins.lab import PROJECT_DIR

SHIPPED_ADDRESS = f"127.0.0.1:{DEFAULT_PORT}"
VERIFIED = {"method": "callback", "note": "called back on the number in the HR record"}
CUSTOMER = "fabrikam"


def fabrikam_tenant(demo_graph: EntraLab) -> Tenant:
    return demo_graph.simulator.state.tenants[FABRIKAM_TENANT_ID]


def cloud_user(demo_graph: EntraLab, upn: str) -> User:
    users = fabrikam_tenant(demo_graph).users.values()
    return next(user for user in users if user.user_principal_name == upn)


def inventories_on(port: int, target: Path) -> Path:
    """A copy of the project's inventories/ whose fabrikam names the simulator's port of
    this test instead of the demo's fixed one (nothing else is changed)."""
    shutil.copytree(PROJECT_DIR / "inventories", target)
    config = target / CUSTOMER / "fixline.yml"
    text = config.read_text()
    assert text.count(SHIPPED_ADDRESS) == 2, "authority_host and graph_url name the demo's port"
    config.write_text(text.replace(SHIPPED_ADDRESS, f"127.0.0.1:{port}"))
    return target


@pytest.fixture
def demo_graph(tmp_path: Path) -> Iterator[EntraLab]:
    """The demo's part on a free port, its credentials in the folder the app imports."""
    settings = fast_settings_for(tmp_path)
    folder = FileCredentialSource(settings.resolved_credentials_dir)
    part = EntraLab(folder, tmp_path / "graph", port=0)
    part.start()
    yield part
    part.stop()


@pytest.fixture
def demo_client(tmp_path: Path, demo_graph: EntraLab) -> Iterator[TestClient]:
    """The app on the project's inventories (fabrikam on this test's port), the fakes beside
    a real HttpGraph, started as `fixline demo` starts it: the credentials folder imported."""
    inventories = inventories_on(demo_graph.simulator.port, tmp_path / "inventories")
    settings = fast_settings_for(tmp_path, inventories_dir=inventories)
    core = fast_core_for(settings, Fakes(graph=True))
    try:
        with TestClient(create_app(settings, core), headers=FAST_AUTH) as client:
            yield client
    finally:
        core.stop()


def test_the_shipped_fabrikam_is_the_demos_tenant(demo_graph: EntraLab) -> None:
    fabrikam = CustomerRegistry(PROJECT_DIR / "inventories").get(CUSTOMER)
    entra = fabrikam.entra
    assert fabrikam.identity is Identity.ENTRA and entra is not None
    assert (entra.authority_host, entra.graph_url) == (
        f"https://{SHIPPED_ADDRESS}",
        f"https://{SHIPPED_ADDRESS}/v1.0",
    )
    assert entra.tenant_id == demo_graph.apps[CUSTOMER].tenant_id == FABRIKAM_TENANT_ID
    assert entra.accepted_domains == (demo_graph.domain(CUSTOMER),)
    # Every account and group the inventory names is one of the seed's.
    tenant = fabrikam_tenant(demo_graph)
    upns = {user.user_principal_name for user in tenant.users.values()}
    assert {*entra.deny_list, *fabrikam.vip_users, SAMPLE_USER} <= upns
    groups = {group.display_name for group in tenant.groups.values()}
    assert fabrikam.allowlist("groups") <= groups
    # The lab customer stays on Active Directory.
    assert CustomerRegistry(PROJECT_DIR / "inventories").get("lab").identity is Identity.AD


def test_a_restarted_demo_keeps_its_ca(tmp_path: Path, demo_graph: EntraLab) -> None:
    credentials = FileCredentialSource(tmp_path / "again")
    first_ca = demo_graph.simulator.ca_pem
    demo_graph.stop()
    again = EntraLab(credentials, tmp_path / "graph", port=0)
    again.start()
    try:
        assert again.simulator.ca_pem == first_ca
        assert credentials.graph_credential(CUSTOMER).ca_pem == first_ca
        assert "(not Microsoft)" in again.describe()[0]
    finally:
        again.stop()


def test_session_revoke_and_a_reset_revealed_once(
    demo_client: TestClient, demo_graph: EntraLab
) -> None:
    core: Core = demo_client.app.state.core  # type: ignore[attr-defined]
    # The demo's folder was imported into the store at start-up, the simulator's CA with it.
    stored = core.credentials.graph_credential(CUSTOMER)
    assert stored.ca_pem == demo_graph.simulator.ca_pem
    assert stored.client_id == demo_graph.apps[CUSTOMER].client_id

    revoked = run_fix(demo_client, "session_revoke", "DEMO-3", customer=CUSTOMER,
                      username=SAMPLE_USER)  # fmt: skip
    assert revoked["status"] == "succeeded", revoked
    assert cloud_user(demo_graph, SAMPLE_USER).sign_in_sessions_valid_from is not None

    reset = run_fix(demo_client, "password_reset", "DEMO-4", customer=CUSTOMER,
                    username=SAMPLE_USER, caller_verification=VERIFIED)  # fmt: skip
    assert reset["status"] == "succeeded", reset
    reveal = f"/reveals/{reset['details']['reveal_id']}"
    shown = demo_client.post(reveal)
    assert shown.status_code == 200, shown.text
    assert shown.json()["password"] == cloud_user(demo_graph, SAMPLE_USER).password
    assert demo_client.post(reveal).status_code == 410


def test_out_of_office_in_exchange_online(demo_client: TestClient, demo_graph: EntraLab) -> None:
    message = "Out until Monday.\nUrgent: call the office."
    done = run_fix(demo_client, "mailbox_oof_set", "DEMO-8", customer=CUSTOMER,
                   mailbox=SAMPLE_USER, internal_message=message)  # fmt: skip
    assert done["status"] == "succeeded", done
    assert done["details"]["backend"] == "graph"
    info = demo_client.get("/mailbox/info", params={"customer": CUSTOMER, "mailbox": SAMPLE_USER})
    assert info.status_code == 200, info.text
    assert info.json()["oof"]["internal_message"] == message
    assert "delegates" in " ".join(info.json()["unavailable"])


def test_the_inventorys_guardrails_hold(demo_client: TestClient, demo_graph: EntraLab) -> None:
    vip = start(demo_client, "password_reset", "DEMO-5", customer=CUSTOMER, wait=10,
                username="nestor.wilke@fabrikam.example", caller_verification=VERIFIED)  # fmt: skip
    assert vip["status"] == "awaiting_approval"
    denied = run_fix(demo_client, "session_revoke", "DEMO-6", customer=CUSTOMER,
                     username="isaiah.langer@fabrikam.example")  # fmt: skip
    assert (denied["status"], denied["details"]["refused_by"]) == ("refused", "protected_target")
    assert "deny list" in denied["error"], denied["error"]
    added = run_fix(demo_client, "group_add", "DEMO-7", customer=CUSTOMER,
                    username=SAMPLE_USER, group="VPN Users")  # fmt: skip
    assert added["status"] == "succeeded", added
    vpn = next(
        g for g in fabrikam_tenant(demo_graph).groups.values() if g.display_name == "VPN Users"
    )
    assert cloud_user(demo_graph, SAMPLE_USER).id in vpn.members


def groups_of(agent: LabUser) -> set[str]:
    """The lab agent's Fixline groups, nested ones included (as the login reads them)."""
    parents = {group.name: group.member_of for group in helpdesk.HELPDESK_GROUPS}
    found: set[str] = set()
    todo = list(agent.groups)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(parents.get(name, ()))
    return found


def test_in_the_demo_only_the_admin_acts_on_fabrikam(demo_client: TestClient) -> None:
    """The lab DC has no Fixline-Customer-fabrikam group: its agents keep lab and contoso,
    carol.admin acts on every customer and dave.auditor reads them; the admin token too."""
    core: Core = demo_client.app.state.core  # type: ignore[attr-defined]
    # The demo's login settings: the defaults, on the lab DC's helpdesk accounts.
    settings = core.settings
    mapping = RoleMapping(settings.login_role_groups, settings.login_customer_group_prefix)
    grants = {agent.sam: mapping.grant(groups_of(agent)) for agent in helpdesk.AGENTS}
    reach = {sam for sam, grant in grants.items() if grant.customers is None}
    assert reach == {"carol.admin", "dave.auditor"}
    assert all(CUSTOMER not in (grant.customers or ()) for grant in grants.values())
    acting = {
        sam
        for sam in reach
        if any(Permission.RUN_CREATE in ROLE_PERMISSIONS[role] for role in grants[sam].roles)
    }
    assert acting == {"carol.admin"}

    # And an agent of lab asking for fabrikam learns nothing of it.
    issued = core.tokens.create(
        name="alice", role=Role.AGENT, customers=["lab"], actions=None, created_by=by("alice")
    )
    body = {"customer": CUSTOMER, "ticket_id": "DEMO-8", "action": "session_revoke",
            "params": {"username": SAMPLE_USER}}  # fmt: skip
    answer = demo_client.post("/runs", json=body,
                              headers={"Authorization": f"Bearer {issued.secret}"})  # fmt: skip
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "customer_not_found"
