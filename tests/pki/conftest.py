"""A throwaway CA in memory for the policy and bundle tests (no store, no lab)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from runner_api.pki.authority import new_ca
from runner_api.pki.keys import generate
from runner_api.pki.policy import Identity, Template, build
from tests.api.conftest import client, settings  # noqa: F401  (the app fixtures of the lab tests)

HOST = Identity(
    "lab-host", dns_names=("lab-host", "lab-host.lab.test"), ip_addresses=("127.0.0.1",)
)


@dataclass(frozen=True)
class ScratchCa:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def issue(
        self, identity: Identity = HOST, template: Template = Template.SERVER, days: int = 90
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = generate()
        builder = build(identity, template, key.public_key(), self.cert, days)
        return builder.sign(self.key, hashes.SHA256()), key


@pytest.fixture(scope="session")
def ca() -> ScratchCa:
    return ScratchCa(*new_ca("test"))


@pytest.fixture(scope="session")
def other_ca() -> ScratchCa:
    return ScratchCa(*new_ca("other"))
