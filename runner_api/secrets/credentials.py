"""Where executors get the credentials of a customer's systems.

Today: a folder per customer (written by the lab or an admin, mode 0700). The encrypted
credential store replaces `FileCredentialSource` behind the same Protocol.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from runner_api.errors import ConfigurationError


@dataclass(frozen=True)
class SshCredential:
    """How Ansible logs in to a customer's hosts."""

    user: str
    private_key: SecretStr
    # Pinned host keys in OpenSSH known_hosts format: host keys are never trusted on first use.
    known_hosts: str


class CredentialSource(Protocol):
    def ssh_credential(self, customer: str) -> SshCredential:
        """The SSH login for a customer's hosts; ConfigurationError when there is none."""
        ...


class FileCredentialSource:
    """Reads <root>/<customer>/ssh/{user,private_key,known_hosts}."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def ssh_credential(self, customer: str) -> SshCredential:
        folder = self._root / customer / "ssh"
        try:
            return SshCredential(
                user=(folder / "user").read_text().strip(),
                private_key=SecretStr((folder / "private_key").read_text()),
                known_hosts=(folder / "known_hosts").read_text(),
            )
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"no SSH credential for customer {customer!r}: expected {exc.filename}"
            ) from exc

    def store_ssh_credential(self, customer: str, credential: SshCredential) -> None:
        """Write a customer's SSH login (folders 0700, files 0600)."""
        folder = self._root / customer / "ssh"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for part in (self._root, self._root / customer, folder):
            part.chmod(0o700)
        for name, text in (
            ("user", credential.user + "\n"),
            ("private_key", credential.private_key.get_secret_value()),
            ("known_hosts", credential.known_hosts),
        ):
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
