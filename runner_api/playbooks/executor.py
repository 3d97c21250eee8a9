"""PlaybookExecutor: one vetted playbook per run, through ansible-runner over SSH.

Every run gets its own private_data_dir and socket folder (removed afterwards), its own
ssh-agent (no key file), pinned host keys, and a process marker so that cancel and timeout
kill the whole process tree, not just ansible-playbook's process group. Secret parameters
never go into extra vars (runner writes those to env/extravars in the run folder): the
playbook reads them with the `fixline_secret` lookup from the run's SecretServer.
"""

from __future__ import annotations

import math
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import ansible_runner
from pydantic import SecretStr

from runner_api.catalog.vetting import VettingLock
from runner_api.customers.registry import inventory_hosts
from runner_api.errors import FixlineError, NotVettedError
from runner_api.playbooks import prompt_close
from runner_api.playbooks.agent import SshAgent
from runner_api.playbooks.config import (
    REMOTE_KILL_SHELL,
    RUN_MARKER_ENV,
    RUN_OWNER_ENV,
    ansible_cfg,
    owner_marker,
    pipelining_vars,
    run_env,
    ssh_args,
)
from runner_api.playbooks.early_master import EarlyMaster, inventory_target
from runner_api.playbooks.events import EventMapper, clean_text
from runner_api.playbooks.extravars import plain, unsafe
from runner_api.playbooks.outcome import StopReason, build_outcome, failed
from runner_api.playbooks.process_tree import kill_run_processes
from runner_api.playbooks.secret_server import SecretServer
from runner_api.playbooks.warm import WarmAnsible
from runner_api.playbooks.workspace import Workspace, workspace
from runner_api.runs.context import Outcome, RunContext
from runner_api.runs.status import RunStatus
from runner_api.secrets.credentials import CredentialSource

# A margin over the run's deadline for ansible-runner's own timeout: ours fires first and
# kills the whole tree; runner's (killpg only) is just a backstop.
_RUNNER_TIMEOUT_MARGIN_S = 2
# The agent forgets the key this long after the deadline, even if it were leaked.
_KEY_LIFETIME_MARGIN_S = 60
_REMOTE_KILL_PLUGIN = Path(__file__).with_name("remote_kill_shell.py")


class _Watch:
    """runner's cancel_callback: decides to stop, and kills the tree before saying so."""

    def __init__(self, ctx: RunContext, mapper: EventMapper, ws: Workspace) -> None:
        self._ctx = ctx
        self._mapper = mapper
        self.titles = (ws.master_title,)
        self.reason: StopReason | None = None

    def roots(self) -> tuple[int, ...]:
        pid = self._mapper.playbook_pid
        return (pid,) if pid is not None else ()

    def should_stop(self) -> bool:
        if self.reason is None:
            if self._ctx.cancel_requested.is_set():
                self.reason = StopReason.CANCELED
            elif self._ctx.time_left() <= 0:
                self.reason = StopReason.TIMED_OUT
            elif self._mapper.emit_error is not None:
                self.reason = StopReason.EMIT_FAILED
        if self.reason is None:
            return False
        # runner's killpg misses the setsid()-detached task workers: kill them all first.
        kill_run_processes(self._ctx.run_id, self.roots(), self.titles)
        return True


def _split_secrets(ctx: RunContext) -> tuple[dict[str, Any], dict[str, str]]:
    """The run's set parameters: plain ones (for extra vars) and secret ones (to serve).

    Secret ones: the action's secret fields, and any SecretStr an executor added (such as
    the key the CA just issued for the host).
    """
    secret_fields = ctx.action.secret_fields()
    plain: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for name, value in ctx.params.items():
        if isinstance(value, SecretStr):
            secrets[name] = value.get_secret_value()
        elif name in secret_fields and value is not None:
            secrets[name] = str(value)
        elif value is not None:  # unset optional parameters are absent: roles use default()
            plain[name] = value
    return plain, secrets


class PlaybookExecutor:
    """Runs playbook actions; implements runner_api.runs.context.Executor."""

    def __init__(
        self,
        project_dir: Path,
        work_dir: Path,
        vetting: VettingLock,
        credentials: CredentialSource,
        pexpect_timeout_s: float = 0.5,
        pipelining: bool = True,
        warm: WarmAnsible | None = None,
        early_ssh: bool = True,
    ) -> None:
        self._project_dir = project_dir
        self._work_dir = work_dir
        self._vetting = vetting
        self._credentials = credentials
        self._pexpect_timeout_s = pexpect_timeout_s
        # Pipelined modules run without a tty, so a killed SSH session would not hang up
        # the remote task: they run under the remote-kill shell plugin instead
        # (remote_kill_shell.py). False: no pipelining, whatever the inventory says (each
        # module under a pty, whose hangup stops it, as Ansible does without pipelining).
        self._pipelining = pipelining
        # None: every run starts ansible-playbook cold (about a second of imports).
        self._warm = warm
        # False: Ansible's first task opens the run's SSH master itself, after its start.
        self._early_ssh = early_ssh
        prompt_close.install()  # no fixed 0.1 s at the end of each run (prompt_close.py)

    def execute(self, ctx: RunContext) -> Outcome:
        """Run the action's playbook on ctx.target; never raises."""
        try:
            return self._execute(ctx)
        except FixlineError as exc:
            return failed(ctx, exc.message)
        except Exception as exc:  # the contract is "never raise": report, don't crash the worker
            return failed(ctx, f"playbook run failed: {type(exc).__name__}: {clean_text(exc)}")
        finally:
            # Whatever happened: nothing marked as this run's may keep running (its
            # ControlPersist masters, found by title, went in _execute's own finally).
            kill_run_processes(ctx.run_id)

    def _execute(self, ctx: RunContext) -> Outcome:
        playbook = ctx.action.playbook
        if playbook is None:
            return failed(ctx, f"action {ctx.action.name!r} has no playbook")
        if ctx.cancel_requested.is_set():
            return failed(ctx, "canceled before the playbook started", RunStatus.CANCELED)
        if ctx.time_left() <= 0:
            return failed(ctx, "timed out before the playbook started", RunStatus.TIMED_OUT)
        credential = self._credentials.ssh_credential(ctx.customer.name)
        with workspace(self._work_dir, ctx.run_id) as ws:
            try:
                self._vetting.stage(ctx.action.name, playbook, ws.project_dir)
            except NotVettedError as exc:
                return failed(ctx, exc.message)
            ws.copy_inventory(ctx.customer.inventory_dir)
            if ctx.target not in inventory_hosts(ws.inventory_dir):
                # --limit takes patterns and group names ("all", "web*"): allow one known host only.
                return failed(
                    ctx, f"target {ctx.target!r} is not a host of the customer's inventory"
                )
            plain, secrets = _split_secrets(ctx)
            for value in secrets.values():
                ctx.redactor.add(value)  # whoever built the run may not have told it
            ws.known_hosts.write_text(credential.known_hosts)
            ws.add_shell_plugin(_REMOTE_KILL_PLUGIN, REMOTE_KILL_SHELL)
            ws.write_private(
                ws.ansible_cfg, ansible_cfg(ws, ctx.run_id, credential.user, self._pipelining)
            )
            agent_env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                RUN_MARKER_ENV: ctx.run_id,
                RUN_OWNER_ENV: owner_marker(),
            }
            agent = SshAgent(ws.agent_socket, agent_env)
            master = self._early_master(ws, ctx.target, credential.user, agent_env)
            try:
                lifetime = math.ceil(ctx.time_left()) + _KEY_LIFETIME_MARGIN_S
                agent.start(credential.private_key, lifetime)
                if master is not None:
                    master.start()  # its handshake overlaps ansible-playbook's start
                with SecretServer(ws.secrets_socket, ctx.run_id, secrets):
                    return self._run(ctx, ws, f"playbooks/{playbook}.yml", plain)
            finally:
                # The run's ssh masters too: they would hold the connection for ControlPersist.
                kill_run_processes(ctx.run_id, titles=(ws.master_title,))
                if master is not None:
                    master.stop()
                agent.stop()

    def _run(
        self,
        ctx: RunContext,
        ws: Workspace,
        playbook_path: str,
        params: dict[str, Any],
    ) -> Outcome:
        mapper = EventMapper(ctx.emit, ctx.redactor)
        watch = _Watch(ctx, mapper, ws)
        # With binary= runner runs in "raw" mode and does not append the playbook itself.
        args = ["--check", "--diff"] if ctx.check_mode else []
        binary, argv, env = self._command([*args, playbook_path])
        runner = ansible_runner.run(
            private_data_dir=str(ws.private_data_dir),
            ident=ctx.run_id,
            binary=binary,
            cmdline=shlex.join(argv),
            inventory=str(ws.inventory_dir),
            limit=ctx.target,
            extravars=self._extravars(ctx, params) | pipelining_vars(self._pipelining),
            envvars=run_env(ws, ctx.run_id) | env,
            quiet=True,
            settings={
                "pexpect_timeout": self._pexpect_timeout_s,
                "suppress_output_file": True,
            },
            timeout=max(1, math.ceil(ctx.time_left())) + _RUNNER_TIMEOUT_MARGIN_S,
            event_handler=mapper.handle,
            cancel_callback=watch.should_stop,
        )
        # Workers that outlived ansible-playbook (e.g. runner's own timeout fired) go too.
        kill_run_processes(ctx.run_id, watch.roots(), watch.titles)
        return build_outcome(ctx, mapper, watch.reason, str(runner.status), int(runner.rc))

    def _early_master(
        self, ws: Workspace, host: str, user: str, env: dict[str, str]
    ) -> EarlyMaster | None:
        """The run's SSH master to open while Ansible starts, when the inventory tells for
        sure where Ansible will connect (early_master.py)."""
        if not self._early_ssh:
            return None
        target = inventory_target(ws.inventory_dir, host, user)
        return EarlyMaster(ssh_args(ws), target, env) if target is not None else None

    def _command(self, args: list[str]) -> tuple[str, list[str], dict[str, str]]:
        """ansible-runner's binary, its arguments and extra env: warm when it can be."""
        if self._warm is not None and self._warm.ready():
            return self._warm.command(args)
        return str(Path(sys.executable).parent / "ansible-playbook"), args, {}

    def _extravars(self, ctx: RunContext, params: dict[str, Any]) -> dict[str, Any]:
        allowlists = {name: sorted(values) for name, values in ctx.customer.allowlists.items()}
        # Marked unsafe, all of it: no value a caller or a config wrote is ever a template.
        extravars: dict[str, Any] = unsafe(
            {
                "fixline_params": plain(params),
                "fixline_allowlists": allowlists,
                "fixline_run_id": ctx.run_id,
                "fixline_ticket_id": ctx.ticket_id,
            }
        )
        return extravars
