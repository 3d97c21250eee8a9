"""Where executors get the credentials of a customer's systems.

Executors read only the encrypted store (store.py, `EncryptedCredentialSource`). The
folder layout of `FileCredentialSource` (a folder per customer, mode 0700) is what the
lab writes and what `fixline secrets import` and start-up import into the store (and then
remove: importer.py).
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


@dataclass(frozen=True)
class DirectoryCredential:
    """How Fixline binds to a customer's directory (a delegated service account)."""

    bind_dn: str
    password: SecretStr
    # PEM of the CA that signed the DC's certificate: TLS is verified against it.
    ca_pem: str


@dataclass(frozen=True)
class MailboxCredential:
    """How Fixline logs in to a customer's Exchange (a service account with impersonation)."""

    username: str
    password: SecretStr


@dataclass(frozen=True)
class GraphCredential:
    """How Fixline gets app-only tokens for a customer's Entra ID tenant (a certificate)."""

    tenant_id: str
    client_id: str
    # The app registration's certificate (PEM); its SHA-1 thumbprint names it to Entra ID.
    certificate_pem: str
    private_key: SecretStr
    # An extra CA to trust for the authority and Graph (a simulator's); empty: the system's.
    ca_pem: str = ""

    def __repr__(self) -> str:
        # The dataclass repr would print the certificate; the key is a SecretStr anyway.
        return f"GraphCredential(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"


class CredentialSource(Protocol):
    def ssh_credential(self, customer: str) -> SshCredential:
        """The SSH login for a customer's hosts; ConfigurationError when there is none."""
        ...

    def directory_credential(self, customer: str) -> DirectoryCredential:
        """The directory bind of a customer; ConfigurationError when there is none."""
        ...

    def mailbox_credential(self, customer: str) -> MailboxCredential:
        """The Exchange service login of a customer; ConfigurationError when there is none."""
        ...

    def store_mailbox_credential(self, customer: str, credential: MailboxCredential) -> None:
        """Write a customer's Exchange service login."""
        ...

    def graph_credential(self, customer: str) -> GraphCredential:
        """The Entra ID app credential of a customer; ConfigurationError when there is none."""
        ...


class FileCredentialSource:
    """Reads <root>/<customer>/ssh/{user,private_key,known_hosts},
    <root>/<customer>/directory/{bind_dn,password,ca.pem} and
    <root>/<customer>/mailbox/{username,password} and
    <root>/<customer>/graph/{tenant_id,client_id,certificate.pem,private_key.pem,ca.pem}
    (ca.pem optional)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        """The folder: <root>/<customer>/<kind>/<field>."""
        return self._root

    def _read(self, customer: str, kind: str, *names: str) -> list[str]:
        folder = self._root / customer / kind
        try:
            return [(folder / name).read_text() for name in names]
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"no {kind} credential for customer {customer!r}: expected {exc.filename}"
            ) from exc

    def _write(self, customer: str, kind: str, files: dict[str, str]) -> None:
        folder = self._root / customer / kind
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for part in (self._root, self._root / customer, folder):
            part.chmod(0o700)
        for name, text in files.items():
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)

    def hand_over(self, folder: Path) -> Path:
        """Copy every credential of this folder into `folder` (folders 0700, files 0600),
        for a process that imports it, which removes what it imported; returns `folder`."""
        target = FileCredentialSource(folder)
        for kind_dir in sorted(path for path in self._root.glob("*/*") if path.is_dir()):
            sources = [path for path in kind_dir.iterdir() if path.is_file()]
            files = {path.name: path.read_text() for path in sources}
            target._write(kind_dir.parent.name, kind_dir.name, files)
            for path in sources:
                # The copy is as old as its source: a store written since stays newer.
                stamp = path.stat()
                copy = folder / kind_dir.parent.name / kind_dir.name / path.name
                os.utime(copy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        return folder

    def ca_fields(self, customer: str) -> dict[str, str]:
        """A customer's CA as <root>/<customer>/ca/{certificate.pem,private_key.pem}."""
        cert, key = self._read(customer, "ca", "certificate.pem", "private_key.pem")
        return {"certificate": cert, "private_key": key}

    def store_ca(self, customer: str, certificate: str, private_key: str) -> None:
        self._write(
            customer, "ca", {"certificate.pem": certificate, "private_key.pem": private_key}
        )

    def ssh_credential(self, customer: str) -> SshCredential:
        user, key, known_hosts = self._read(customer, "ssh", "user", "private_key", "known_hosts")
        return SshCredential(user.strip(), SecretStr(key), known_hosts)

    def store_ssh_credential(self, customer: str, credential: SshCredential) -> None:
        """Write a customer's SSH login (folders 0700, files 0600)."""
        self._write(
            customer,
            "ssh",
            {
                "user": credential.user + "\n",
                "private_key": credential.private_key.get_secret_value(),
                "known_hosts": credential.known_hosts,
            },
        )

    def directory_credential(self, customer: str) -> DirectoryCredential:
        bind_dn, password, ca_pem = self._read(
            customer, "directory", "bind_dn", "password", "ca.pem"
        )
        return DirectoryCredential(bind_dn.strip(), SecretStr(password.rstrip("\n")), ca_pem)

    def store_directory_credential(self, customer: str, credential: DirectoryCredential) -> None:
        """Write a customer's directory bind (folders 0700, files 0600)."""
        self._write(
            customer,
            "directory",
            {
                "bind_dn": credential.bind_dn + "\n",
                "password": credential.password.get_secret_value(),
                "ca.pem": credential.ca_pem,
            },
        )

    def mailbox_credential(self, customer: str) -> MailboxCredential:
        username, password = self._read(customer, "mailbox", "username", "password")
        return MailboxCredential(username.strip(), SecretStr(password.rstrip("\n")))

    def store_mailbox_credential(self, customer: str, credential: MailboxCredential) -> None:
        """Write a customer's Exchange service login (folders 0700, files 0600)."""
        self._write(
            customer,
            "mailbox",
            {
                "username": credential.username + "\n",
                "password": credential.password.get_secret_value(),
            },
        )

    def graph_credential(self, customer: str) -> GraphCredential:
        tenant_id, client_id, certificate, key = self._read(
            customer, "graph", "tenant_id", "client_id", "certificate.pem", "private_key.pem"
        )
        ca_file = self._root / customer / "graph" / "ca.pem"
        ca_pem = ca_file.read_text() if ca_file.is_file() else ""
        return GraphCredential(
            tenant_id.strip(), client_id.strip(), certificate, SecretStr(key), ca_pem
        )

    def store_graph_credential(self, customer: str, credential: GraphCredential) -> None:
        """Write a customer's Entra ID app credential (folders 0700, files 0600)."""
        files = {
            "tenant_id": credential.tenant_id + "\n",
            "client_id": credential.client_id + "\n",
            "certificate.pem": credential.certificate_pem,
            "private_key.pem": credential.private_key.get_secret_value(),
        }
        if credential.ca_pem:
            files["ca.pem"] = credential.ca_pem
        self._write(customer, "graph", files)
