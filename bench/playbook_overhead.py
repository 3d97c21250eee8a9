"""Playbooks through Fixline's API vs bare ansible-playbook, with pipelining off and on,
interleaved, for smoke_check and service_restart. Prints medians and the ratios.

Targets: Fixline (its defaults: pipelined, warm Ansible) at most 0.65 x bare ansible-playbook
with pipelining off, and at most 1.0 x bare with pipelining on (stretch 0.8). "Fixline,
cold" is Fixline with FIXLINE_WARM_ANSIBLE=false: what the warm Ansible saves.
Fixline's time is split by when its events arrive: start (POST to the play's first event:
store, queue, run folder, ssh-agent, ansible-playbook's start), play (to the recap) and end
(recap to the run's end: teardown, store).

Every method opens a fresh SSH connection per run (its own ControlPersist folder), because
Fixline never shares SSH masters between runs (a master socket skips host-key checks).
Takes the lab's machine lock, as a lab test session does.

    .venv/bin/python bench/playbook_overhead.py [--runs 8] [--action smoke_check]
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
from contextlib import ExitStack
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.served import served  # noqa: E402
from lab import Lab  # noqa: E402
from lab.process import machine_lock  # noqa: E402
from runner_api.secrets.credentials import FileCredentialSource  # noqa: E402
from runner_api.settings import Settings  # noqa: E402

BIN = Path(sys.executable).parent
# The lock lab test sessions take: the bench needs the lab's port and quiet neighbours.
LAB_LOCK = Path(tempfile.gettempdir()) / "fixline-test-lab.lock"
LAB_LOCK_WAIT_S = 1800
FIXLINE, COLD = "Fixline POST /runs -> end", "Fixline, cold ansible-playbook"
BARE_OFF, BARE_ON = "bare, pipelining off", "bare, pipelining on"
PARAMS = {
    "smoke_check": {"host": "lab-host"},
    "service_restart": {"host": "lab-host", "unit": "fixline-lab-web"},
}


def _bare_cfg(folder: Path, known_hosts: Path, pipelining: bool = False) -> Path:
    cfg = folder / f"ansible-{'on' if pipelining else 'off'}.cfg"
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
                f"pipelining = {pipelining}",
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
        self.cfgs = {flag: _bare_cfg(scratch, self.known_hosts, flag) for flag in (False, True)}
        self.extravars = {
            "fixline_params": PARAMS[action],
            "fixline_allowlists": {"services": ["fixline-lab-web"], "packages": []},
            "fixline_run_id": "bench",
            "fixline_ticket_id": "BENCH",
        }
        self.vars_file = scratch / "vars.json"
        self.vars_file.write_text(json.dumps(self.extravars))
        self.count = 0

    def _env(self, pipelining: bool) -> dict[str, str]:
        self.count += 1
        control = Path(tempfile.mkdtemp(prefix="fxb-"))
        return {
            **os.environ,
            "ANSIBLE_CONFIG": str(self.cfgs[pipelining]),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
            "ANSIBLE_PRIVATE_KEY_FILE": str(self.key),
        }

    def bare(self, pipelining: bool) -> Callable[[], None]:
        return lambda: self._bare(pipelining)

    def _bare(self, pipelining: bool) -> None:
        env = self._env(pipelining)
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


class FixlineRuns:
    """Runs through one served Fixline; keeps when each run's events arrived."""

    def __init__(self, client: httpx.Client, action: str) -> None:
        self.client = client
        self.action = action
        self.phases: list[tuple[float, float, float]] = []  # start, play, end (seconds)

    def __call__(self) -> None:
        body = {"customer": "lab", "ticket_id": "BENCH-1", "action": self.action}
        began = time.perf_counter()
        created = self.client.post("/runs", json=body | {"params": PARAMS[self.action]})
        created.raise_for_status()
        run_id = created.json()["id"]
        first = recap = None
        with self.client.stream("GET", f"/runs/{run_id}/events") as stream:
            final = None
            for line in stream.iter_lines():
                if line.startswith("event: end"):
                    final = "end"
                elif line.startswith("data: ") and final:
                    run = json.loads(line[6:])
                    if run["status"] != "succeeded":
                        raise SystemExit(f"Fixline run {run_id} ended {run['status']}: {run}")
                    ended = time.perf_counter()
                    first, recap = first or ended, recap or ended
                    self.phases.append((first - began, recap - first, ended - recap))
                    return
                elif line.startswith("data: "):
                    kind = json.loads(line[6:]).get("kind")
                    if kind == "play_start" and first is None:
                        first = time.perf_counter()
                    elif kind == "recap":
                        recap = time.perf_counter()
        raise SystemExit(f"Fixline run {run_id}: stream closed without an end")


def _summary(name: str, values: list[float]) -> str:
    return (
        f"  {name:<32} median {statistics.median(values):6.3f} s   "
        f"min {min(values):6.3f}   max {max(values):6.3f}   n={len(values)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=8, help="runs per method (default 8)")
    parser.add_argument("--action", choices=sorted(PARAMS), help="one action (default both)")
    args = parser.parse_args()
    with machine_lock(LAB_LOCK, LAB_LOCK_WAIT_S, poll_s=1):
        _bench(args)


def _bench(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="fixline-bench-"))
    # Its own lab (stopped at the end); a running `make demo` lab holds the port: stop it first.
    settings = Settings(data_dir=scratch / "data")
    credentials = FileCredentialSource(settings.resolved_credentials_dir)
    lab = Lab(settings.resolved_lab_dir, credentials)
    lab.up()
    cold_dir = scratch / "cold"
    try:
        # A second service, with a cold ansible-playbook per run, imports its own copy of the
        # lab's credentials (a service removes what it imported): copied before either starts.
        handed = credentials.hand_over(cold_dir / "credentials")
        with ExitStack() as stack:
            warm = stack.enter_context(served(scratch / "data", settings.resolved_credentials_dir))
            os.environ["FIXLINE_WARM_ANSIBLE"] = "false"
            try:
                cold = stack.enter_context(served(cold_dir / "data", handed))
            finally:
                del os.environ["FIXLINE_WARM_ANSIBLE"]
            for action in [args.action] if args.action else sorted(PARAMS):
                _compare(args.runs, action, warm, cold, Bench(action, scratch, lab))
    finally:
        lab.down()
        shutil.rmtree(scratch, ignore_errors=True)


def _compare(runs: int, action: str, warm: httpx.Client, cold: httpx.Client, bench: Bench) -> None:
    """Time the ways, interleaved, and print medians and ratios."""
    fixline = FixlineRuns(warm, action)
    methods: dict[str, Callable[[], None]] = {
        FIXLINE: fixline,
        COLD: FixlineRuns(cold, action),
        BARE_OFF: bench.bare(pipelining=False),
        BARE_ON: bench.bare(pipelining=True),
    }
    for method in methods.values():  # warm-up: imports, page cache, sshd
        method()
    fixline.phases.clear()
    times: dict[str, list[float]] = {name: [] for name in methods}
    names = list(methods)
    for index in range(runs):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:  # rotate the order
            began = time.perf_counter()
            methods[name]()
            times[name].append(time.perf_counter() - began)
    print(f"playbook {action} on lab-host over SSH, {runs} interleaved runs each")
    for name, values in times.items():
        print(_summary(name, values))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"  Fixline / bare pipelining off   {median[FIXLINE] / median[BARE_OFF]:.3f}"
        "   (target <= 0.65)"
    )
    print(
        f"  Fixline / bare pipelining on    {median[FIXLINE] / median[BARE_ON]:.3f}"
        "   (target <= 1.0, stretch 0.8)"
    )
    print(f"  warm Ansible saves              {median[COLD] - median[FIXLINE]:+.3f} s per run")
    start, play, end = (statistics.median(phase) for phase in zip(*fixline.phases, strict=True))
    print(f"  Fixline's time: start {start:.3f} s, play {play:.3f} s, end {end:.3f} s (medians)")


if __name__ == "__main__":
    main()
