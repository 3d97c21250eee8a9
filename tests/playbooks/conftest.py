"""Fixtures for PlaybookExecutor tests: a vetted copy of the test project, the lab customer."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from pydantic import BaseModel

from runner_api.catalog.models import ActionKind, ActionSpec, RiskTier
from runner_api.catalog.vetting import VettingLock
from runner_api.customers.models import Customer
from runner_api.customers.registry import load_customer
from runner_api.playbooks import PlaybookExecutor
from runner_api.playbooks.warm import WarmAnsible
from runner_api.runs.context import EventIn, Outcome, RunContext
from runner_api.secrets.redactor import Redactor
from tests.api.conftest import client, settings  # noqa: F401  (the app fixtures of the lab tests)
from tests.plugins.lab import LabHandle

TEST_PROJECT = Path(__file__).parent / "project"
TEST_ACTIONS = ("fx_sleep", "fx_echo", "fx_fail", "fx_write")


class _AnyParams(BaseModel):
    host: str


def action_spec(name: str) -> ActionSpec:
    """A playbook action whose playbook has the action's name."""
    return ActionSpec(
        name=name,
        kind=ActionKind.PLAYBOOK,
        title=name,
        description=f"test action {name}",
        params_model=_AnyParams,
        risk=RiskTier.LOW,
        target_param="host",
        playbook=name,
    )


@pytest.fixture(scope="session")
def lab_customer(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> Customer:
    """The repo's lab customer; its inventory re-pointed if the lab sshd got another port."""
    customer = load_customer(lab.project_dir / "inventories" / "lab")
    if lab.ssh_port == 2222:
        return customer
    folder = tmp_path_factory.mktemp("lab-inventory")
    data = yaml.safe_load((customer.inventory_dir / "hosts.yml").read_text())
    data["all"]["hosts"]["lab-host"]["ansible_port"] = lab.ssh_port
    (folder / "hosts.yml").write_text(yaml.safe_dump(data))
    return dataclasses.replace(customer, inventory_dir=folder)


@pytest.fixture
def test_project(tmp_path: Path) -> Path:
    """A copy of tests/playbooks/project with every test action vetted."""
    project = tmp_path / "project"
    shutil.copytree(TEST_PROJECT, project)
    lock = VettingLock(project)
    for name in TEST_ACTIONS:
        lock.vet(name, name, by="tests")
    return project


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path / "work"


@pytest.fixture(scope="session")
def warm_ansible() -> Iterator[WarmAnsible]:
    """One warm Ansible server for the session's executors, as a Fixline process has."""
    warm = WarmAnsible()
    warm.start()
    yield warm
    warm.close()


@pytest.fixture
def make_executor(
    test_project: Path, work_dir: Path, lab: LabHandle, warm_ansible: WarmAnsible
) -> Callable[..., PlaybookExecutor]:
    """Executors of the test project; by default as Fixline builds them (pipelined, warm,
    the SSH master opened early)."""

    def _make(
        pipelining: bool = True, warm: bool = True, early_ssh: bool = True
    ) -> PlaybookExecutor:
        return PlaybookExecutor(
            test_project,
            work_dir,
            VettingLock(test_project),
            lab.credentials,
            pipelining=pipelining,
            warm=warm_ansible if warm else None,
            early_ssh=early_ssh,
        )

    return _make


@pytest.fixture
def executor(make_executor: Callable[..., PlaybookExecutor]) -> PlaybookExecutor:
    """Fixline's defaults: pipelined, warm."""
    return make_executor()


@dataclass
class Run:
    """One hand-built run: its context, the canary secret, the marker and what was emitted."""

    ctx: RunContext
    canary: str
    marker: str
    events: list[EventIn] = field(default_factory=list)
    on_event: Callable[[EventIn], None] | None = None

    def emit(self, event: EventIn) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def execute(self, executor: PlaybookExecutor) -> tuple[Outcome, float]:
        start = time.monotonic()
        outcome = executor.execute(self.ctx)
        return outcome, time.monotonic() - start


@pytest.fixture
def make_run(lab_customer: Customer, tmp_path: Path) -> Callable[..., Run]:
    """Build a RunContext by hand, with a fresh canary secret and process marker."""

    def _make(action: str, timeout_s: float = 60, check_mode: bool = False, **params: Any) -> Run:
        canary = f"CANARY{uuid.uuid4().hex}"
        # A number, so that `sleep 300 <marker>` accepts it; unique per run.
        marker = f"0.{uuid.uuid4().int % 10**15:015d}"
        run = Run(ctx=None, canary=canary, marker=marker)  # type: ignore[arg-type]
        run.ctx = RunContext(
            run_id=f"run-{uuid.uuid4().hex[:12]}",
            ticket_id=f"T-{uuid.uuid4().hex[:6]}",
            customer=lab_customer,
            action=action_spec(action),
            target="lab-host",
            params={"host": "lab-host", "token": canary, "marker": marker, **params},
            check_mode=check_mode,
            redactor=Redactor([canary]),
            timeout_s=timeout_s,
            emit=run.emit,
        )
        return run

    return _make


def marker_processes(marker: str) -> list[str]:
    """Command lines of live processes naming the marker (local and lab-host side alike)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if marker in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(f"{proc.pid}: {cmdline}")
    return found


def wait_for_marker(marker: str, timeout_s: float) -> bool:
    """Whether a process naming the marker shows up within timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if marker_processes(marker):
            return True
        time.sleep(0.05)
    return False


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return ""


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@dataclass(frozen=True)
class HostSide:
    """A task's processes on the lab host: the marked command up to its sshd session."""

    processes: tuple[psutil.Process, ...]
    cmdlines: tuple[str, ...]  # as they were when found (a dead process has none)

    @classmethod
    def of(cls, marker: str) -> HostSide:
        for proc in psutil.process_iter(["cmdline"]):
            if marker not in " ".join(proc.info["cmdline"] or []):
                continue
            try:
                chain = [proc, *proc.parents()]
            except psutil.NoSuchProcess:
                continue
            for index, parent in enumerate(chain):
                if _cmdline(parent).startswith("sshd: ") and "@" in _cmdline(parent):
                    found = tuple(chain[: index + 1])
                    return cls(found, tuple(_cmdline(p) for p in found))
        raise AssertionError(f"no process naming {marker} under an sshd session")

    @property
    def session(self) -> psutil.Process:
        """The host's sshd process of the connection the task runs under."""
        return self.processes[-1]

    def client(self) -> psutil.Process:
        """The local end of the session's TCP connection: the run's ssh master."""
        peers = {c.raddr for c in self.session.net_connections("tcp") if c.raddr}
        for conn in psutil.net_connections("tcp"):
            if conn.laddr in peers and conn.pid is not None:
                return psutil.Process(conn.pid)
        raise AssertionError(f"no local end of the ssh connection {peers}")

    def watched(self) -> bool:
        """Whether the task ran under fixline_sh's remote-kill watcher (pipelined)."""
        return any("os.killpg(pid, signal.SIGKILL)" in line for line in self.cmdlines)

    def left(self) -> list[str]:
        """Those still alive."""
        return [f"{p.pid}: {_cmdline(p)[:100]}" for p in self.processes if _alive(p)]


def when_running(run: Run, task: str, then: Callable[[HostSide], None]) -> list[HostSide]:
    """Once `task` has started and its process exists on the host, call `then` with its
    host side (in a thread); the list gets that host side, empty if it never showed."""
    seen: list[HostSide] = []

    def _watch() -> None:
        if wait_for_marker(run.marker, 15):
            seen.append(HostSide.of(run.marker))
            then(seen[0])
        else:
            run.ctx.cancel_requested.set()  # nothing to prove: end the run

    def _on_event(event: EventIn) -> None:
        if event.kind == "task_start" and event.task == task:
            threading.Thread(target=_watch, daemon=True).start()

    run.on_event = _on_event
    return seen


def cancel_once_running(run: Run, task: str) -> list[HostSide]:
    """Set cancel once `task` has started and its remote process exists."""
    return when_running(run, task, lambda _: run.ctx.cancel_requested.set())


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode().rstrip("="), raw.hex()]


def assert_no_trace(run: Run, outcome: Outcome, work_dir: Path) -> None:
    """The canary is in no event, no Outcome field, no file left in work_dir or the socket
    folders (/dev/shm/fx-*)."""
    forms = _forms(run.canary)
    for event in run.events:
        text = json.dumps(dataclasses.asdict(event), default=str)
        assert not [form for form in forms if form in text], event
    outcome_text = json.dumps(dataclasses.asdict(outcome), default=str)
    assert not [form for form in forms if form in outcome_text], outcome
    assert not (work_dir / run.ctx.run_id).exists(), "private_data_dir left behind"
    leftovers = [p for p in work_dir.rglob("*")] if work_dir.exists() else []
    assert leftovers == [], leftovers
    for path in _files(Path("/dev/shm"), "fx-*"):
        content = path.read_bytes().decode(errors="replace")
        assert not [form for form in forms if form in content], path
    assert marker_processes(run.marker) == []


def _files(root: Path, pattern: str) -> Iterator[Path]:
    for folder in root.glob(pattern):
        if folder.is_file():
            yield folder
        elif folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file())


def mapping(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})
