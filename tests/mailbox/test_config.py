"""The `mailbox:` section of fixline.yml, the mailbox credential, and the look-up service."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from runner_api.customers.registry import CustomerRegistry, load_customer
from runner_api.errors import ConfigurationError
from runner_api.mailbox import EwsMailbox, MailboxService
from runner_api.mailbox.errors import OutsideCustomerError
from runner_api.secrets.credentials import FileCredentialSource, MailboxCredential
from tests.mailbox.conftest import ANNA
from tests.plugins.mailbox_lab import MailboxLabHandle

PROJECT = Path(__file__).resolve().parents[2]


def test_inventories_pin_version_and_auth() -> None:
    registry = CustomerRegistry(PROJECT / "inventories")
    lab = registry.get("lab").mailbox
    assert lab is not None
    assert (lab.accepted_domains, lab.auth_type, lab.version) == (
        ("lab.test",), "basic", "15.1.2507.6",
    )  # fmt: skip
    assert registry.get("contoso").mailbox is not None


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("mailbox: {accepted_domains: [a.test]}", "ews_url"),
        ("mailbox: {ews_url: 'ftp://x', accepted_domains: [a.test]}", "http(s) URL"),
        ("mailbox: {ews_url: 'https://x', accepted_domains: []}", "at least one domain"),
        ("mailbox: {ews_url: 'https://x', accepted_domains: [a], auth_type: kerberos}",
         "auth_type"),
        ("mailbox: {ews_url: 'https://x', accepted_domains: [a], version: '14.3'}", "version"),
        ("mailbox: {ews_url: 'https://x', accepted_domains: [a], timeout_s: 0}", "timeout_s"),
    ],
)  # fmt: skip
def test_bad_mailbox_sections_stop_start_up(tmp_path: Path, section: str, problem: str) -> None:
    (tmp_path / "fixline.yml").write_text(section + "\n")
    with pytest.raises(ConfigurationError, match="mailbox settings invalid") as caught:
        load_customer(tmp_path)
    assert problem in caught.value.message


def test_mailbox_credential_round_trip(tmp_path: Path) -> None:
    source = FileCredentialSource(tmp_path)
    with pytest.raises(ConfigurationError, match="no mailbox credential"):
        source.mailbox_credential("acme")
    source.store_mailbox_credential("acme", MailboxCredential("svc@acme.test", SecretStr("pw-1")))
    got = source.mailbox_credential("acme")
    assert (got.username, got.password.get_secret_value()) == ("svc@acme.test", "pw-1")
    assert (tmp_path / "acme" / "mailbox" / "password").stat().st_mode & 0o777 == 0o600


def test_service_info_reads_inside_the_customer_only(sim: MailboxLabHandle, tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "fixline.yml").write_text(
        f"mailbox:\n  ews_url: {sim.simulator.url}\n  accepted_domains: [lab.test]\n"
        "  auth_type: basic\n"
    )
    gateway = EwsMailbox(sim.credentials)
    try:
        service = MailboxService(gateway, CustomerRegistry(tmp_path))
        info = service.info("lab", " Anna.Schmidt@LAB.test ")
        assert info.mailbox == ANNA
        assert info.delegates[0].user == "ben.carter@lab.test"
        with pytest.raises(OutsideCustomerError):
            service.info("lab", "anna.schmidt@contoso.test")
    finally:
        gateway.close()
