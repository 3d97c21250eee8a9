"""End-to-end time of cert_issue_install and vpn_grant through Fixline's API on the lab, each
against bare ansible-playbook of the same playbook, interleaved. Prints medians and ratios.

cert_issue_install: POST /runs?wait (policy, issue from the customer CA, vetted playbook over
    SSH with the key served to the `fixline_secret` lookup, reload, TLS handshake check)
    vs ansible-playbook playbooks/cert_install.yml with a certificate issued beforehand
    and its key served the same way (the playbook cannot get it otherwise).
vpn_grant: approval -> end (AD group add, client certificate, CRL, vpn_access on the VPN
    server, the profile into a one-time reveal), and request -> end with the approval
    given at once, vs ansible-playbook playbooks/vpn_access.yml with a freshly signed CRL.
Every method opens a fresh SSH connection per run, like Fixline does.

    .venv/bin/python bench/pki.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.playbook_overhead import _bare_cfg  # noqa: E402
from bench.served import served  # noqa: E402
from lab import Lab  # noqa: E402
from lab.process import machine_lock  # noqa: E402
from runner_api.pki.authority import crl_pem  # noqa: E402
from runner_api.pki.keys import generate, load_private_key, private_pem  # noqa: E402
from runner_api.pki.policy import Identity, Template, build  # noqa: E402
from runner_api.playbooks.config import RUN_MARKER_ENV, SECRETS_SOCKET_ENV  # noqa: E402
from runner_api.playbooks.secret_server import SecretServer  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource  # noqa: E402
from runner_api.settings import Settings  # noqa: E402

BIN = Path(sys.executable).parent
USER = "ben.carter"
HOST = Identity(
    "lab-host", dns_names=("lab-host", "lab-host.lab.test"), ip_addresses=("127.0.0.1",)
)
# The lab lock the test sessions take: the lab's ports and /etc files are machine-wide.
LAB_LOCK = Path(tempfile.gettempdir()) / "fixline-test-lab.lock"
LAB_LOCK_WAIT_S = 1800


class Bare:
    """ansible-playbook run by hand, the way an admin would, with the executor's inputs."""

    def __init__(self, scratch: Path, lab: Lab) -> None:
        self.scratch = scratch
        # The lab's own files: the service imported its credentials folder and removed it.
        self.key = scratch / "key"
        shutil.copyfile(lab.private_key_path, self.key)
        self.key.chmod(0o600)
        self.cfg = _bare_cfg(scratch, lab.known_hosts_path)
        ca_pem, ca_key_pem = lab.vpn.ca()
        self.ca_pem = ca_pem
        self.ca = x509.load_pem_x509_certificate(ca_pem.encode())
        self.ca_key = load_private_key(ca_key_pem.encode())

    @contextmanager
    def _ram(self) -> Iterator[Path]:
        # Sockets and Ansible's local temp files (they carry the key) stay off the disk.
        folder = Path(tempfile.mkdtemp(prefix="fxb-", dir="/dev/shm"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def play(self, playbook: str, params: dict[str, Any], secrets: dict[str, str]) -> None:
        extravars = {
            "fixline_params": params,
            "fixline_allowlists": {},
            "fixline_run_id": "bench",
            "fixline_ticket_id": "BENCH",
        }
        with self._ram() as ram:
            (ram / "cp").mkdir()
            vars_file = ram / "vars.json"
            vars_file.write_text(json.dumps(extravars))
            env = {
                **os.environ,
                "ANSIBLE_CONFIG": str(self.cfg),
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(ram / "cp"),
                "ANSIBLE_LOCAL_TEMP": str(ram / "tmp"),
                "ANSIBLE_PRIVATE_KEY_FILE": str(self.key),
                RUN_MARKER_ENV: "bench",
                SECRETS_SOCKET_ENV: str(ram / "secrets"),
            }
            args = [
                str(BIN / "ansible-playbook"),
                "-i", str(PROJECT / "inventories" / "lab" / "hosts.yml"),
                "--limit", "lab-host",
                "-e", f"@{vars_file}",
                str(PROJECT / "playbooks" / f"{playbook}.yml"),
            ]  # fmt: skip
            with SecretServer(ram / "secrets", "bench", secrets):
                done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"bare {playbook} failed:\n{done.stdout}\n{done.stderr}")

    def certificate(self) -> tuple[dict[str, Any], dict[str, str]]:
        """A new certificate for the lab host (made before the clock starts)."""
        key = generate()
        builder = build(HOST, Template.SERVER, key.public_key(), self.ca, 30)
        cert = builder.sign(self.ca_key, hashes.SHA256())
        params = {
            "certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "ca": self.ca_pem,
            "ca_name": "fixline-lab",
        }
        return params, {"key": private_pem(key)}

    def crl(self) -> dict[str, Any]:
        return {"client": USER, "crl": crl_pem(self.ca, self.ca_key, ())}


class Api:
    """Fixline's API, as an agent and a senior agent who approves at once."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        issued = client.post(
            "/tokens", json={"name": "bench-senior", "role": "senior_agent", "customers": ["lab"]}
        )
        issued.raise_for_status()
        self.senior = {"Authorization": f"Bearer {issued.json()['token']}"}
        self.server_times: dict[str, list[float]] = {}

    def _request(self, action: str, params: dict[str, Any], wait: int = 0) -> dict[str, Any]:
        body = {"customer": "lab", "ticket_id": "BENCH-PKI", "action": action, "params": params}
        created = self.client.post("/runs", json=body, params={"wait": wait} if wait else None)
        created.raise_for_status()
        run: dict[str, Any] = created.json()
        return run

    def _ended(self, run: dict[str, Any]) -> dict[str, Any]:
        while run["status"] in ("queued", "running", "awaiting_approval"):
            time.sleep(0.02)
            run = self.client.get(f"/runs/{run['id']}").json()
        if run["status"] != "succeeded":
            raise SystemExit(f"{run['action']} run {run['id']} ended {run['status']}: {run}")
        span = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(
            run["started_at"]
        )
        self.server_times.setdefault(run["action"], []).append(span.total_seconds())
        return run

    def cert_issue_install(self) -> None:
        self._ended(self._request("cert_issue_install", {"host": "lab-host"}, wait=60))

    def vpn_grant(self) -> float:
        """Request, approve at once, wait for the end; returns approval -> end seconds."""
        held = self._request("vpn_grant", {"username": USER})
        approved_at = time.perf_counter()
        answer = self.client.post(
            f"/approvals/{held['id']}/approve", json={"comment": "bench"}, headers=self.senior
        )
        answer.raise_for_status()
        self._ended(answer.json())
        return time.perf_counter() - approved_at

    def vpn_revoke(self) -> None:
        self._ended(self._request("vpn_revoke", {"username": USER}, wait=60))


def _timed(method: Callable[[], object]) -> float:
    began = time.perf_counter()
    method()
    return time.perf_counter() - began


def _line(name: str, values: list[float]) -> str:
    return (
        f"  {name:<36} median {statistics.median(values):6.3f} s   "
        f"min {min(values):6.3f}   max {max(values):6.3f}   n={len(values)}"
    )


def _compare(runs: int, api: Api, bare: Bare) -> None:
    cert: dict[str, list[float]] = {"fixline": [], "bare": []}
    vpn: dict[str, list[float]] = {"fixline": [], "approval": [], "bare": []}

    def bare_cert() -> None:
        params, secrets = bare.certificate()
        cert["bare"].append(_timed(lambda: bare.play("cert_install", params, secrets)))

    def bare_vpn() -> None:
        params = bare.crl()
        vpn["bare"].append(_timed(lambda: bare.play("vpn_access", params, {})))

    def fixline_vpn() -> None:
        began = time.perf_counter()
        vpn["approval"].append(api.vpn_grant())
        vpn["fixline"].append(time.perf_counter() - began)

    steps: list[Callable[[], None]] = [
        lambda: cert["fixline"].append(_timed(api.cert_issue_install)),
        bare_cert,
        fixline_vpn,
        bare_vpn,
    ]
    # Warm-up (imports, page cache, sshd, the first LDAP bind), not counted.
    api.cert_issue_install()
    bare.play("cert_install", *bare.certificate())
    api.vpn_grant()
    bare.play("vpn_access", bare.crl(), {})
    api.server_times.clear()
    for index in range(runs):
        order = steps[index % 2 :] + steps[: index % 2]  # alternate who goes first
        for step in order:
            step()
    api.vpn_revoke()

    print(f"cert_issue_install on lab-host over SSH, {runs} interleaved runs each")
    print(_line("Fixline POST /runs?wait -> end", cert["fixline"]))
    print(_line("  of which the run itself", api.server_times["cert_issue_install"]))
    print(_line("bare ansible-playbook cert_install", cert["bare"]))
    ratio = statistics.median(cert["fixline"]) / statistics.median(cert["bare"])
    print(f"  ratio Fixline/bare {ratio:.3f}")
    print(f"vpn_grant for {USER} (AD lab DC, OpenVPN lab server), {runs} interleaved runs each")
    print(_line("Fixline request -> approve -> end", vpn["fixline"]))
    print(_line("Fixline approval -> end", vpn["approval"]))
    print(_line("  of which the run itself", api.server_times["vpn_grant"]))
    print(_line("bare ansible-playbook vpn_access", vpn["bare"]))
    ratio = statistics.median(vpn["approval"]) / statistics.median(vpn["bare"])
    print(f"  ratio Fixline (approval -> end)/bare {ratio:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per method (default 5)")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="fixline-bench-pki-"))
    settings = Settings(data_dir=scratch / "data")
    credentials = FileCredentialSource(settings.resolved_credentials_dir)
    with machine_lock(LAB_LOCK, LAB_LOCK_WAIT_S, poll_s=1):
        lab = Lab(settings.resolved_lab_dir, credentials)
        lab.up()
        try:
            with served(scratch / "data", settings.resolved_credentials_dir) as client:
                bare = Bare(scratch, lab)
                _compare(args.runs, Api(client), bare)
        finally:
            lab.down()
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
