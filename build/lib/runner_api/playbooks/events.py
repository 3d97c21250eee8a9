"""ansible-runner events -> redacted, small EventIn, plus what the Outcome is built from.

playbook_on_play_start        play_start   message = play name
playbook_on_(handler_)task_start  task_start   task = task name
runner_on_ok                  ok | changed  per host; data: changed, rc, msg, diff
runner_on_failed              failed        per host; data adds ignored, stderr
runner_on_skipped             skipped       per host
runner_on_unreachable         unreachable   per host
runner_item_on_*              item_ok | item_changed | item_failed | item_skipped
playbook_on_no_hosts_matched  no_hosts
playbook_on_stats             recap, then result (the roles' set_stats fixline_result)
verbose "[WARNING]"/"ERROR"   warning | error
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from runner_api.runs.context import EventIn
from runner_api.secrets.redactor import Redactor

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_MAX_TEXT = 500
_MAX_DIFF_TEXT = 4000
_HOST_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_skipped": "skipped",
    "runner_on_unreachable": "unreachable",
    "runner_item_on_ok": "item_ok",
    "runner_item_on_failed": "item_failed",
    "runner_item_on_skipped": "item_skipped",
}
# runner's stats keys -> the names of ansible's PLAY RECAP line, in its order.
_RECAP_KEYS = ("ok", "changed", "dark", "failures", "skipped", "rescued", "ignored")
_RECAP_NAMES = {
    key: {"dark": "unreachable", "failures": "failed"}.get(key, key) for key in _RECAP_KEYS
}


def clean_text(value: Any, limit: int = _MAX_TEXT) -> str:
    """First non-empty line without ANSI colour codes, cut to `limit` characters."""
    text = _ANSI.sub("", value if isinstance(value, str) else str(value))
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _small(value: Any) -> Any:
    """Cut long strings inside a diff, so one big file cannot bloat an event."""
    if isinstance(value, str):
        return value if len(value) <= _MAX_DIFF_TEXT else value[:_MAX_DIFF_TEXT] + "\n…"
    if isinstance(value, dict):
        return {str(k): _small(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_small(item) for item in value]
    return value


class EventMapper:
    """Maps one run's runner events to EventIn in order and keeps what the Outcome needs."""

    def __init__(self, emit: Callable[[EventIn], None], redactor: Redactor) -> None:
        self._emit = emit
        self._redactor = redactor
        self.playbook_pid: int | None = None
        self.stats: dict[str, dict[str, int]] = {}
        self.result: dict[str, Any] | None = None
        self.failure: str | None = None
        self.error_line: str | None = None
        self.diffs: list[dict[str, Any]] = []
        self.no_hosts_matched = False
        # Set when an event could not be emitted: the run is stopped rather than unrecorded.
        self.emit_error: str | None = None

    def handle(self, event: Mapping[str, Any]) -> bool:
        """runner's event_handler; returns False so runner writes no job_events files."""
        if self.emit_error is not None:
            return False
        try:
            self._handle(event)
        except Exception as exc:  # any failure to record must stop the run, see emit_error
            self.emit_error = f"could not record a run event: {type(exc).__name__}: {exc}"
        return False

    def _send(self, kind: str, message: str, task: str | None = None, **kw: Any) -> None:
        red = self._redactor
        self._emit(
            EventIn(
                kind=kind,
                message=red.text(message),
                task=red.text(task) if task is not None else None,
                host=kw.get("host"),
                data=red.data(kw.get("data", {})),
            )
        )

    def _handle(self, event: Mapping[str, Any]) -> None:
        name = event.get("event", "")
        data: Mapping[str, Any] = event.get("event_data") or {}
        if self.playbook_pid is None and isinstance(event.get("pid"), int):
            self.playbook_pid = event["pid"]
        task = str(data["task"]) if data.get("task") is not None else None
        if name == "playbook_on_play_start":
            self._send("play_start", str(data.get("play") or data.get("name") or ""))
        elif name in ("playbook_on_task_start", "playbook_on_handler_task_start"):
            self._send("task_start", task or "", task)
        elif name in _HOST_EVENTS:
            self._host_event(_HOST_EVENTS[name], task, data, event)
        elif name == "playbook_on_no_hosts_matched":
            self.no_hosts_matched = True
            self._send("no_hosts", "no host of the inventory matches the target")
        elif name == "playbook_on_stats":
            self._stats(data)
        elif name == "verbose":
            self._verbose(clean_text(event.get("stdout", "")))

    def _host_event(
        self, kind: str, task: str | None, data: Mapping[str, Any], event: Mapping[str, Any]
    ) -> None:
        host = str(data.get("host", "")) or None
        res: Mapping[str, Any] = data.get("res") or {}
        changed = bool(res.get("changed"))
        if kind in ("ok", "item_ok") and changed:
            kind = kind.replace("ok", "changed")
        msg = clean_text(res.get("msg", "")) if res.get("msg") else ""
        small: dict[str, Any] = {"changed": changed}
        if isinstance(res.get("rc"), int):
            small["rc"] = res["rc"]
        if msg:
            small["msg"] = msg
        if kind.startswith("item_") and "_ansible_item_label" in res:
            small["item"] = clean_text(res["_ansible_item_label"])
        if kind in ("failed", "unreachable"):
            small["ignored"] = bool(data.get("ignore_errors"))
            if res.get("stderr"):
                small["stderr"] = clean_text(str(res["stderr"]).strip().splitlines()[-1])
            if not small["ignored"] and self.failure is None:
                reason = msg or small.get("stderr") or clean_text(event.get("stdout", ""))
                if msg and small.get("stderr"):
                    reason = f"{msg}: {small['stderr']}"
                verb = "failed" if kind == "failed" else "could not reach the host"
                self.failure = f"task {task!r} {verb} on {host}: {reason}"
        if res.get("diff"):
            small["diff"] = _small(res["diff"])
            self.diffs.append({"task": task, "host": host, "diff": small["diff"]})
        line = f"{kind}: [{host}]" + (f" {msg}" if msg else "")
        self._send(kind, line, task, host=host, data=small)

    def _stats(self, data: Mapping[str, Any]) -> None:
        hosts: dict[str, dict[str, int]] = {}
        for key in _RECAP_KEYS:
            for host, count in (data.get(key) or {}).items():
                counts = hosts.setdefault(str(host), dict.fromkeys(_RECAP_NAMES.values(), 0))
                counts[_RECAP_NAMES[key]] = int(count)
        self.stats = hosts
        parts = [
            f"{host}: " + " ".join(f"{k}={n}" for k, n in counts.items())
            for host, counts in sorted(hosts.items())
        ]
        self._send("recap", "; ".join(parts) or "no hosts", data={"hosts": hosts})
        result = (data.get("artifact_data") or {}).get("fixline_result")
        if isinstance(result, Mapping):
            self.result = dict(result)
            summary = clean_text(result.get("summary", ""))
            body = {"before": result.get("before"), "after": result.get("after")}
            self._send("result", summary, data=_small(body))

    def _verbose(self, line: str) -> None:
        if line.startswith("[WARNING]"):
            self._send("warning", line)
        elif line.startswith(("ERROR", "[ERROR]")):
            self.error_line = self.error_line or line
            self._send("error", line)

    def recap_line(self) -> str:
        """One line of counts across hosts, for the summary when roles publish none."""
        totals = {k: sum(h[k] for h in self.stats.values()) for k in _RECAP_NAMES.values()}
        counts = " ".join(f"{k}={n}" for k, n in totals.items())
        return f"{len(self.stats)} host(s): {counts}"

    @property
    def changed(self) -> bool:
        """Whether any host reported a change (in check mode: would change)."""
        return any(counts["changed"] for counts in self.stats.values())
