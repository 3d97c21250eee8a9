"""FakePlaybooks: the playbook Executor without ansible-runner, SSH or a host.

It checks what PlaybookExecutor checks before ansible-playbook starts (cancel and deadline,
the customer's SSH credential, the vetting lock pin, the target being a host of the
customer's inventory), then plays a short script of ansible-runner events through the
product's own EventMapper and builds the Outcome with its own build_outcome: the run's
events (play_start, task_start, ok/changed/failed/unreachable, recap, result), summary,
diff and error look as a real run's do. Like the roles, it refuses a value that is not on
the customer's allow-list (a failed task).

Secrets: the run's secret parameters are told to the redactor, as the real executor does,
and never go anywhere else: not into an event, the recorded call or the result (only their
names are recorded). Tests script an action with script(action, Script(...)): a failing
task, an unreachable host, a result, or a hold until released or canceled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import inventory_hosts
from runner_api.errors import FixlineError
from runner_api.playbooks.events import EventMapper
from runner_api.playbooks.executor import _split_secrets
from runner_api.playbooks.outcome import StopReason, build_outcome, failed
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import CredentialSource

# Stand-in for ansible-playbook's pid in the events (EventMapper keeps the first it sees).
FAKE_PID = 424242
_HOLD_POLL_S = 0.02


@dataclass(frozen=True)
class Script:
    """What the fake playbook does for one action."""

    # Task names after the allow-list check; the last publishes the result.
    tasks: tuple[str, ...] = ()
    # Whether the work task reports a change (also in check mode: "would change").
    changed: bool | None = None
    # The roles' fixline_result (summary, before, after); None: the action's default.
    result: Mapping[str, Any] | None = None
    # The task that fails, and its message (ansible's res.msg).
    fail_task: str | None = None
    failure: str = "the task failed"
    # The host cannot be reached (ssh): the first task is unreachable.
    unreachable: bool = False
    # Hold in the work task until this is set (or the run is canceled, or times out).
    hold: threading.Event | None = None


@dataclass(frozen=True)
class PlaybookCall:
    """One execution as the fake saw it; secret values are never kept, only their names."""

    run_id: str
    customer: str
    action: str
    playbook: str
    host: str
    params: Mapping[str, Any]
    secret_params: tuple[str, ...]
    check_mode: bool
    approved_by: str | None


def _default_result(
    action: str, host: str, plain: Mapping[str, Any], hidden: Mapping[str, str], check: bool
) -> tuple[bool, dict[str, Any] | None]:
    """(changed, fixline_result) the shipped roles publish, in their shape."""
    if action == "smoke_check":
        state = {
            "kernel": "Linux 6.1.0-fake",
            "uptime_s": 4242,
            "root_used": "42%",
            "secret_round_trip": "ok" if "secret" in hidden else "not asked",
        }
        tail = "; secret arrived intact" if "secret" in hidden else ""
        summary = f"{host} reachable; {state['kernel']}; 42% of / used{tail}"
        return False, {"summary": summary, "before": state, "after": dict(state)}
    if action == "service_restart":
        unit = plain.get("unit", "?")
        before = {"active": "active", "pid": "1000"}
        after = dict(before) if check else {"active": "active", "pid": "1001"}
        verb = "Would restart" if check else "Restarted"
        summary = f"{verb} {unit} on {host} (pid {before['pid']} -> {after['pid']}, active)"
        return True, {"summary": summary, "before": before, "after": after}
    if action == "software_install":
        package = plain.get("package", "?")
        version = None if check else "1.0-1"
        verb = "would be installed" if check else f"{version} installed"
        summary = f"{package} {verb} on {host}"
        return True, {
            "summary": summary,
            "before": {"version": None},
            "after": {"version": version},
        }
    return True, None


class FakePlaybooks:
    """Implements runner_api.runs.context.Executor for playbook actions, in-process."""

    def __init__(
        self, vetting: VettingLock | None = None, credentials: CredentialSource | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._vetting = vetting
        self._credentials = credentials
        self._scripts: dict[str, Script] = {}
        self.calls: list[PlaybookCall] = []

    def use(
        self, vetting: VettingLock | None = None, credentials: CredentialSource | None = None
    ) -> None:
        """Check runs against this vetting lock and read SSH credentials from this source."""
        with self._lock:
            self._vetting = vetting
            self._credentials = credentials

    def script(self, action: str, script: Script) -> None:
        """What runs of this action do from now on."""
        with self._lock:
            self._scripts[action] = script

    def calls_of(self, action: str) -> list[PlaybookCall]:
        with self._lock:
            return [call for call in self.calls if call.action == action]

    def execute(self, ctx: RunContext) -> Outcome:
        """Run the action's (fake) playbook on ctx.target; never raises."""
        try:
            return self._execute(ctx)
        except FixlineError as exc:
            return failed(ctx, exc.message)
        except Exception as exc:  # the contract is "never raise", as the real one's
            return failed(ctx, f"playbook run failed: {type(exc).__name__}")

    def _execute(self, ctx: RunContext) -> Outcome:
        playbook = ctx.action.playbook
        # What ends a run before ansible-playbook would start, in the real executor's order.
        ended_before = (
            (playbook is None, f"action {ctx.action.name!r} has no playbook", RunStatus.FAILED),
            (ctx.cancel_requested.is_set(), "canceled before the playbook started",
             RunStatus.CANCELED),
            (ctx.time_left() <= 0, "timed out before the playbook started", RunStatus.TIMED_OUT),
        )  # fmt: skip
        for ended, why, ends_as in ended_before:
            if ended:
                return failed(ctx, why, ends_as)
        assert playbook is not None
        with self._lock:
            vetting, credentials = self._vetting, self._credentials
            script = self._scripts.get(ctx.action.name, Script())
        if credentials is not None:
            credentials.ssh_credential(ctx.customer.name)  # ConfigurationError: none stored
        if vetting is not None:
            vetting.verify(ctx.action.name, playbook)  # NotVettedError: changed since vetting
        if ctx.target not in inventory_hosts(ctx.customer.inventory_dir):
            return failed(ctx, f"target {ctx.target!r} is not a host of the customer's inventory")
        # Split as the real executor splits them: plain ones would be extra vars, secret ones
        # (the action's secret fields, any SecretStr an executor added) served to the host.
        plain, hidden = _split_secrets(ctx)
        for value in hidden.values():
            ctx.redactor.add(value)
        call = PlaybookCall(
            ctx.run_id, ctx.customer.name, ctx.action.name, playbook, ctx.target, dict(plain),
            tuple(sorted(hidden)), ctx.check_mode, ctx.approved_by,
        )  # fmt: skip
        with self._lock:
            self.calls.append(call)
        mapper = EventMapper(ctx.emit, ctx.redactor)
        stop: StopReason | None = None
        status, rc = "successful", 0
        for event in self._events(ctx, script, plain, hidden, vetting):
            if event is None:
                stop = self._held(ctx, script)
                if stop is not None:
                    break
                continue
            mapper.handle(event)
            if event["event"] in ("runner_on_failed", "runner_on_unreachable"):
                status, rc = "failed", 4 if event["event"] == "runner_on_unreachable" else 2
        if stop is not None:
            status, rc = "canceled", 254
        return build_outcome(ctx, mapper, stop, status, rc)

    @staticmethod
    def _held(ctx: RunContext, script: Script) -> StopReason | None:
        """Wait in the work task until released; a cancel or the deadline stops the run."""
        assert script.hold is not None
        while not script.hold.wait(_HOLD_POLL_S):
            if ctx.cancel_requested.is_set():
                return StopReason.CANCELED
            if ctx.time_left() <= 0:
                return StopReason.TIMED_OUT
        return None

    def _events(
        self,
        ctx: RunContext,
        script: Script,
        plain: Mapping[str, Any],
        hidden: Mapping[str, str],
        vetting: VettingLock | None,
    ) -> Iterator[dict[str, Any] | None]:
        """ansible-runner's events for the script; None marks where a hold waits."""
        host, action = ctx.target, ctx.action.name
        default_changed, default_result = _default_result(
            action, host, plain, hidden, ctx.check_mode
        )
        changed = default_changed if script.changed is None else script.changed
        result = dict(script.result) if script.result is not None else default_result
        refusal = _not_allowed(ctx, plain)
        work = script.tasks or (f"Run {action}",)
        tasks = ["Check the customer's allow-list", *work, "Publish the result"]
        fail_task, failure = (tasks[0], refusal) if refusal else (script.fail_task, script.failure)
        counts = {"ok": 0, "changed": 0, "dark": 0, "failures": 0}
        ended_early = False
        yield _event("playbook_on_play_start", play=_play_name(vetting, ctx, action))
        for index, task in enumerate(tasks):
            yield _event("playbook_on_task_start", task=task)
            if script.unreachable:
                counts["dark"] += 1
                msg = f"Failed to connect to the host via ssh: ssh: connect to host {host}"
                res = {"msg": msg, "unreachable": True, "changed": False}
                yield _event("runner_on_unreachable", task=task, host=host, res=res)
                ended_early = True
                break
            if task == fail_task:
                counts["failures"] += 1
                res = {"msg": failure, "changed": False}
                yield _event("runner_on_failed", task=task, host=host, res=res)
                ended_early = True
                break
            if script.hold is not None and index == 1:
                yield None
            did_change = changed and task in work
            counts["ok"] += 1
            counts["changed"] += int(did_change)
            yield _event("runner_on_ok", task=task, host=host, res={"changed": did_change})
        stats: dict[str, Any] = {key: {host: n} for key, n in counts.items()}
        if not ended_early and result is not None:
            stats["artifact_data"] = {"fixline_result": result}
        yield _event("playbook_on_stats", **stats)


def _event(name: str, **event_data: Any) -> dict[str, Any]:
    return {"event": name, "pid": FAKE_PID, "event_data": event_data}


def _not_allowed(ctx: RunContext, plain: Mapping[str, Any]) -> str | None:
    """The roles' own allow-list check (start_run checked it before): its failure text."""
    for param, allowlist in ctx.action.allowlisted.items():
        value = str(plain.get(param, ""))
        allowed = ctx.customer.allowlist(allowlist)
        if value not in allowed:
            listed = ", ".join(sorted(allowed)) or "empty"
            return (
                f"Refused: {param} {value} is not on this customer's allow-list ({listed}); "
                "nothing was touched."
            )
    return None


def _play_name(vetting: VettingLock | None, ctx: RunContext, action: str) -> str:
    """The play's name in the vetted playbook, when the project is at hand."""
    if vetting is None or ctx.action.playbook is None:
        return action
    path = Path(vetting.project_dir) / "playbooks" / f"{ctx.action.playbook}.yml"
    try:
        plays = yaml.safe_load(path.read_text()) or []
    except (OSError, yaml.YAMLError):
        return action
    first = plays[0] if isinstance(plays, list) and plays else {}
    return str(first.get("name", action)) if isinstance(first, dict) else action


__all__ = ["FakePlaybooks", "PlaybookCall", "Script"]
