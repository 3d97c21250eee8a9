"""The same playbook three ways, interleaved: Fixline's API, bare ansible-playbook, in-process
ansible_runner.run. Prints medians and the ratio Fixline/bare (target: at most 1.15).

All three open a fresh SSH connection per run (their own ControlPersist folder), because
Fixline never shares SSH masters between runs (a master socket skips host-key checks).

    .venv/bin/python bench/playbook_overhead.py [--runs 10] [--action smoke_check]
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
from collections.abc import Callable
from pathlib import Path

import ansible_runner
import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.served import served  # noqa: E402
from lab import Lab  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource  # noqa: E402
from runner_api.settings import Settings  # noqa: E402

BIN = Path(sys.executable).parent
PARAMS = {
    "smoke_check": {"host": "lab-host"},
    "service_restart": {"host": "lab-host", "unit": "fixline-lab-web"},
}


def _bare_cfg(folder: Path, known_hosts: Path) -> Path:
    cfg = folder / "ansible.cfg"
    cfg.write_text(
        "\n".join(
            [
                "[defaults]",
                f"roles_path = {PROJECT / 'roles'}",
                "remote_user = root",
                "interpreter_python = /usr/bin/python3",
                "host_key_checking = True",
                "retry_files_enabled = False",
                "nocolor = True",
                "[ssh_connection]",
                "pipelining = False",
                "ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=60s "
                f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} "
                "-o BatchMode=yes",
                "",
            ]
        )
    )
    return cfg


class Bench:
    def __init__(self, action: str, scratch: Path, lab: Lab) -> None:
        self.action = action
        self.scratch = scratch
        # The lab's own files: the service imported its credentials folder and removed it.
        self.key = scratch / "key"
        shutil.copyfile(lab.private_key_path, self.key)
        self.key.chmod(0o600)
        self.known_hosts = lab.known_hosts_path
        self.cfg = _bare_cfg(scratch, self.known_hosts)
        self.extravars = {
            "fixline_params": PARAMS[action],
            "fixline_allowlists": {"services": ["fixline-lab-web"], "packages": []},
            "fixline_run_id": "bench",
            "fixline_ticket_id": "BENCH",
        }
        self.vars_file = scratch / "vars.json"
        self.vars_file.write_text(json.dumps(self.extravars))
        self.count = 0

    def _env(self) -> dict[str, str]:
        self.count += 1
        control = Path(tempfile.mkdtemp(prefix="fxb-"))
        return {
            **os.environ,
            "ANSIBLE_CONFIG": str(self.cfg),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
            "ANSIBLE_PRIVATE_KEY_FILE": str(self.key),
        }

    def bare(self) -> None:
        env = self._env()
        result = subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(PROJECT / "inventories" / "lab" / "hosts.yml"),
                "--limit",
                "lab-host",
                "-e",
                f"@{self.vars_file}",
                str(PROJECT / "playbooks" / f"{self.action}.yml"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        shutil.rmtree(env["ANSIBLE_SSH_CONTROL_PATH_DIR"], ignore_errors=True)
        if result.returncode != 0:
            raise SystemExit(f"bare ansible-playbook failed:\n{result.stdout}\n{result.stderr}")

    def in_process(self) -> None:
        env = self._env()
        pdd = Path(tempfile.mkdtemp(prefix="fxb-pdd-"))
        try:
            runner = ansible_runner.run(
                private_data_dir=str(pdd),
                playbook=str(PROJECT / "playbooks" / f"{self.action}.yml"),
                inventory=str(PROJECT / "inventories" / "lab" / "hosts.yml"),
                limit="lab-host",
                extravars=self.extravars,
                envvars={
                    k: env[k]
                    for k in (
                        "ANSIBLE_CONFIG",
                        "ANSIBLE_SSH_CONTROL_PATH_DIR",
                        "ANSIBLE_PRIVATE_KEY_FILE",
                    )
                }
                | {"ANSIBLE_HOST_KEY_CHECKING": "True", "PATH": f"{BIN}:{os.environ['PATH']}"},
                quiet=True,
                settings={"pexpect_timeout": 0.5, "suppress_output_file": True},
            )
            if runner.status != "successful":
                raise SystemExit(f"in-process ansible_runner.run: {runner.status}")
        finally:
            shutil.rmtree(pdd, ignore_errors=True)
            shutil.rmtree(env["ANSIBLE_SSH_CONTROL_PATH_DIR"], ignore_errors=True)


def _fixline_run(client: httpx.Client, action: str) -> Callable[[], None]:
    def run() -> None:
        body = {
            "customer": "lab",
            "ticket_id": "BENCH-1",
            "action": action,
            "params": PARAMS[action],
        }
        created = client.post("/runs", json=body)
        created.raise_for_status()
        run_id = created.json()["id"]
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            final = None
            for line in stream.iter_lines():
                if line.startswith("event: end"):
                    final = "end"
                elif final and line.startswith("data: "):
                    status = json.loads(line[6:])["status"]
                    if status != "succeeded":
                        raise SystemExit(f"Fixline run {run_id} ended {status}")
                    return
        raise SystemExit(f"Fixline run {run_id}: stream closed without an end")

    return run


def _summary(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} median {statistics.median(values):6.3f} s   "
        f"min {min(values):6.3f}   max {max(values):6.3f}   n={len(values)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="runs per method (default 10)")
    parser.add_argument("--action", choices=sorted(PARAMS), default="smoke_check")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="fixline-bench-"))
    # Its own lab (stopped at the end); a running `make demo` lab holds the port: stop it first.
    settings = Settings(data_dir=scratch / "data")
    lab = Lab(settings.resolved_lab_dir, FileCredentialSource(settings.resolved_credentials_dir))
    lab.up()
    try:
        with served(scratch / "data", settings.resolved_credentials_dir) as client:
            _compare(args, client, Bench(args.action, scratch, lab))
    finally:
        lab.down()
        shutil.rmtree(scratch, ignore_errors=True)


def _compare(args: argparse.Namespace, client: httpx.Client, bench: Bench) -> None:
    """Time the three ways, interleaved, and print medians and ratios."""
    methods: dict[str, Callable[[], None]] = {
        "Fixline POST /runs -> end": _fixline_run(client, args.action),
        "bare ansible-playbook": bench.bare,
        "in-process ansible_runner": bench.in_process,
    }
    for method in methods.values():  # warm-up: imports, page cache, sshd
        method()
    times: dict[str, list[float]] = {name: [] for name in methods}
    names = list(methods)
    for index in range(args.runs):
        for name in names[index % 3 :] + names[: index % 3]:  # rotate the order
            began = time.perf_counter()
            methods[name]()
            times[name].append(time.perf_counter() - began)
    print(f"playbook {args.action} on lab-host over SSH, {args.runs} interleaved runs each")
    for name, values in times.items():
        print(_summary(name, values))
    bare = statistics.median(times["bare ansible-playbook"])
    fixline = statistics.median(times["Fixline POST /runs -> end"])
    inproc = statistics.median(times["in-process ansible_runner"])
    print(f"ratio Fixline/bare      {fixline / bare:.3f}   (target <= 1.15)")
    print(f"ratio in-process/bare   {inproc / bare:.3f}")
    print(f"Fixline overhead        {fixline - bare:+.3f} s per run")


if __name__ == "__main__":
    main()
