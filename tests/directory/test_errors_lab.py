"""Error mappings against the real DC: bad bind, missing rights, policy, unreachable, TLS."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE
from pydantic import SecretStr

from lab.directory_data import SITES
from runner_api.directory import DirectoryExecutor, LdapDirectory
from runner_api.directory.connections import tls_for
from runner_api.directory.errors import PasswordPolicyError
from runner_api.runs.context import Outcome
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import DirectoryCredential, FileCredentialSource
from tests.directory.conftest import DirectoryLabView, Run, lab_customer

MakeRun = Callable[..., Run]


def _credentials(dlab: DirectoryLabView, tmp_path: Path, **changes: object) -> FileCredentialSource:
    real = dlab.credentials.directory_credential("lab")
    fields = {"bind_dn": real.bind_dn, "password": real.password, "ca_pem": real.ca_pem}
    fields.update(changes)
    source = FileCredentialSource(tmp_path / "credentials")
    source.store_directory_credential("lab", DirectoryCredential(**fields))
    return source


def _run_with(source: FileCredentialSource, make_run: MakeRun) -> tuple[Run, Outcome]:
    gateway = LdapDirectory(source)
    try:
        run = make_run("account_unlock", username="noah.fischer")
        return run, DirectoryExecutor(gateway).execute(run.ctx)
    finally:
        gateway.close()


def test_wrong_service_password_is_a_clear_bind_error(
    dlab: DirectoryLabView, make_run: MakeRun, tmp_path: Path
) -> None:
    source = _credentials(dlab, tmp_path, password=SecretStr("Not-the-password-1"))
    run, outcome = _run_with(source, make_run)
    assert outcome.status is RunStatus.FAILED
    error = outcome.error or ""
    assert "bind of the service account" in error
    assert "invalid credentials (result 49, data 52e)" in error
    assert "Not-the-password-1" not in run.texts(outcome)


def test_no_delegated_right_maps_result_50(
    executor: DirectoryExecutor, make_run: MakeRun, dlab: DirectoryLabView
) -> None:
    # Widen our own scope to the whole domain: the DC still says no (our bind's rights are
    # delegated on the user OUs only, and the DC holds to that).
    site = SITES["lab"]
    wide = lab_customer(user_ous=(site.base_dn,))
    before = dlab.state("xavier.reed")
    outcome = executor.execute(make_run("account_disable", wide, username="xavier.reed").ctx)
    assert outcome.status is RunStatus.FAILED
    assert "denied (result 50)" in (outcome.error or "")
    assert "lacks the delegated right on that OU" in (outcome.error or "")
    assert dlab.state("xavier.reed") == before


def test_password_policy_violation_names_the_rule(
    gateway: LdapDirectory, dlab: DirectoryLabView
) -> None:
    conn = dlab.admin()
    try:
        dn = dlab.dn(conn, "paul.dubois")
    finally:
        conn.unbind()
    short = '"a1"'.encode("utf-16-le")
    with pytest.raises(PasswordPolicyError) as caught:
        gateway.modify(lab_customer(), dn, {"unicodePwd": [(MODIFY_REPLACE, [short])]})
    assert "result 19, 0000052D" in caught.value.message and "short" in caught.value.message


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP and then never answers (a hung DC)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("kind", ["refused", "silent", "wrong_name"])
def test_unreachable_dc_fails_within_the_timeout(
    kind: str,
    executor: DirectoryExecutor,
    make_run: MakeRun,
    silent_port: int,
) -> None:
    url = {
        "refused": f"ldaps://127.0.0.1:{_free_port()}",
        "silent": f"ldaps://127.0.0.1:{silent_port}",
        # The right DC and CA, but the certificate does not name dc9.elsewhere.test.
        "wrong_name": SITES["lab"].url,
    }[kind]
    tls_name = "dc9.elsewhere.test" if kind == "wrong_name" else SITES["lab"].tls_name
    customer = lab_customer(url=url, tls_name=tls_name, timeout_s=1.0)
    started = time.monotonic()
    outcome = executor.execute(make_run("account_unlock", customer, username="noah.fischer").ctx)
    elapsed = time.monotonic() - started
    assert outcome.status is RunStatus.FAILED
    assert (outcome.error or "").startswith("directory unreachable")
    assert elapsed < 2.5


def test_another_customers_ca_is_not_trusted(
    dlab: DirectoryLabView, make_run: MakeRun, tmp_path: Path
) -> None:
    contoso_ca = dlab.credentials.directory_credential("contoso").ca_pem
    source = _credentials(dlab, tmp_path, ca_pem=contoso_ca)
    _run, outcome = _run_with(source, make_run)
    assert (outcome.error or "").startswith("directory unreachable")


def test_tls_is_always_verified(dlab: DirectoryLabView) -> None:
    customer = lab_customer()
    assert customer.directory is not None
    tls = tls_for(customer.directory, dlab.credentials.directory_credential("lab"))
    assert tls.validate == ssl.CERT_REQUIRED
    assert tls.sni == SITES["lab"].tls_name
