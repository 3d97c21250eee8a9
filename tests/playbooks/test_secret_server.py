"""SecretServer and the `fixline_secret` lookup: real sockets, real ansible-playbook (local
connection, forked workers), no lab needed. And extra vars never carry a secret."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from runner_api.errors import ExecutorError
from runner_api.playbooks.config import RUN_MARKER_ENV, SECRETS_SOCKET_ENV
from runner_api.playbooks.extravars import plain
from runner_api.playbooks.secret_server import SecretServer

PROJECT = Path(__file__).resolve().parents[2]
RUN_ID = "run-secrets-test"
SECRET = 'Secret-value-"quoted"\n-----BEGIN PRIVATE KEY-----\nline two\n'
# A client exactly like the lookup's, run as another process (with or without the marker).
CLIENT = """
import json, socket, sys
with socket.socket(socket.AF_UNIX) as conn:
    conn.connect(sys.argv[1])
    conn.sendall(sys.argv[2].encode() + b"\\n")
    print(conn.makefile("rb").readline().decode())
"""


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="fxs-", dir="/dev/shm"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _ask(path: Path, request: str, run_id: str | None = RUN_ID) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != RUN_MARKER_ENV}
    if run_id is not None:
        env[RUN_MARKER_ENV] = run_id
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, str(path), request],
        env=env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_a_process_of_the_run_reads_a_secret_as_often_as_it_asks(socket_dir: Path) -> None:
    path = socket_dir / "secrets"
    with SecretServer(path, RUN_ID, {"key": SECRET}):
        assert path.is_socket() and (path.stat().st_mode & 0o777) == 0o600
        for _ in range(3):
            assert _ask(path, json.dumps({"name": "key"})) == {"value": SECRET}
        assert _ask(path, json.dumps({"name": "other"})) == {"missing": True}
        assert _ask(path, "not json") == {"error": "bad request"}
    assert not path.exists()


def test_processes_outside_the_run_are_refused(socket_dir: Path) -> None:
    path = socket_dir / "secrets"
    request = json.dumps({"name": "key"})
    with SecretServer(path, RUN_ID, {"key": SECRET}):
        other_run = _ask(path, request, run_id="run-another")
        no_marker = _ask(path, request, run_id=None)
    assert other_run == {"error": "refused: peer is not a process of this run"}
    assert no_marker == {"error": "refused: peer is not a process of this run"}


def test_nothing_answers_once_the_run_is_over(socket_dir: Path) -> None:
    path = socket_dir / "secrets"
    with SecretServer(path, RUN_ID, {"key": SECRET}):
        pass
    with socket.socket(socket.AF_UNIX) as conn, pytest.raises(FileNotFoundError):
        conn.connect(str(path))


PLAYBOOK = """
- name: Read secrets from forked workers
  hosts: all
  gather_facts: false
  tasks:
    - name: Read the key, twice per host
      ansible.builtin.assert:
        that:
          - lookup('fixline_secret', 'key') | hash('sha256') == expected
          - lookup('fixline_secret', 'key') | hash('sha256') == expected
      no_log: true
    - name: A missing secret with a default
      ansible.builtin.assert:
        that: lookup('fixline_secret', 'absent', default='none') == 'none'
    - name: A missing secret without a default fails
      ansible.builtin.debug:
        msg: "{{ lookup('fixline_secret', 'absent') }}"
      register: missing
      ignore_errors: true
    - name: It fails with the name, not a value
      ansible.builtin.assert:
        that: missing.failed and 'the run has no such secret' in missing.msg
"""


def test_the_lookup_reads_through_the_server_from_forked_workers(
    socket_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "playbooks").mkdir()
    shutil.copytree(
        PROJECT / "playbooks" / "lookup_plugins", tmp_path / "playbooks" / "lookup_plugins"
    )
    (tmp_path / "playbooks" / "read.yml").write_text(PLAYBOOK)
    hosts = {f"worker{n}": {"ansible_connection": "local"} for n in range(6)}
    (tmp_path / "hosts.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    path = socket_dir / "secrets"
    env = {
        **os.environ,
        RUN_MARKER_ENV: RUN_ID,
        SECRETS_SOCKET_ENV: str(path),
        "ANSIBLE_HOME": str(tmp_path / "home"),
        "ANSIBLE_LOCAL_TEMP": str(socket_dir / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }
    with SecretServer(path, RUN_ID, {"key": SECRET}):
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "-i", str(tmp_path / "hosts.json"), "--forks", "6",
                "-e", json.dumps({"expected": expected}),
                str(tmp_path / "playbooks" / "read.yml"),
            ],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # Per host: 4 tasks ran, the one expected to fail did (and was ignored), nothing else.
    recap = re.findall(r"worker\d +: ok=4 .* failed=0 .* ignored=1", output)
    assert len(recap) == 6, output
    assert SECRET.splitlines()[0] not in output


def test_a_secret_nested_inside_a_parameter_is_refused_not_sent_in_clear() -> None:
    # Only top-level secrets are served; one deeper down would reach the extra vars.
    with pytest.raises(ExecutorError, match="nested"):
        plain({"options": [{"password": SecretStr("Nested-secret-1")}]})
    assert plain({"options": [{"size": 3}]}) == {"options": [{"size": 3}]}
