"""The warm Ansible: a process that has imported what ansible-playbook needs and forks one
ansible-playbook per run. Started by warm.WarmAnsible as `python -I warm_server.py SOCKET`;
stdlib only, never imports runner_api.

What it imports is what does not depend on any configuration (jinja2, yaml, cryptography,
ansible.module_utils, ...). ansible.constants reads the Ansible config (ANSIBLE_CONFIG and
the ANSIBLE_* variables) when it is imported, and the plugin loaders, Display and the CLI
build on it, so none of them is imported here: each forked child imports them after taking
on its run's environment, and so reads its run's own ansible.cfg. The server itself never
runs anything, so no state of one run can reach another: each child is a fresh copy of it.

One request per connection, from warm_client.py:
    -> 4-byte length (with the client's stdin, stdout and stderr attached, SCM_RIGHTS),
       then that many bytes of JSON {"argv": [...], "env": {...}, "cwd": "..."}
    <- the exit code of ansible-playbook as text and a newline
The run's processes carry FIXLINE_RUN_ID in /proc/<pid>/environ like those of a cold run
(process_tree, the secret server's peer check): see _take_slot.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import select
import signal
import socket
import sys
import traceback

# Environment variable of this server whose text each child overwrites with its run's
# marker and owner (FIXLINE_RUN_ID, FIXLINE_RUN_OWNER); the same name in warm.py.
SLOT_ENV = "FIXLINE_WARM_SLOT"
SLOT_BYTES = 512
_PAD_ENV = "FIXLINE_WARM_PAD"
_MARKED = ("FIXLINE_RUN_ID", "FIXLINE_RUN_OWNER")
# Imported once, here: what ansible-playbook imports that reads no configuration (each one
# checked: importing it alone leaves ansible.constants unimported; preload() checks them all).
PRELOAD = (
    "jinja2.nativetypes",
    "jinja2.sandbox",
    "yaml",
    "cryptography.hazmat.backends.openssl.backend",
    "cryptography.hazmat.primitives.serialization.ssh",
    "packaging.specifiers",
    "packaging.tags",
    "ansible.module_utils.basic",
    "ansible.module_utils.common.yaml",
    "ansible.module_utils.connection",
    "ansible.module_utils.json_utils",
    "ansible.module_utils._internal._json._profiles._tagless",
    "ansible.module_utils._internal._messages",
    "ansible._internal._ansiballz",
    "ansible._internal._datatag._wrappers",
    "ansible._internal._errors._error_factory",
    "ansible._internal._errors._task_timeout",
    "ansible._internal._event_formatting",
    "ansible._internal._ssh._ssh_agent",
    "ansible._internal._templating._access",
    "ansible._internal._templating._jinja_patches",
    "ansible._internal._yaml._errors",
    "ansible.config.manager",
    "ansible.context",
    "ansible.errors",
    "ansible.executor.process",
    "ansible.parsing.splitter",
    "ansible.parsing.utils.addresses",
    "ansible.parsing.yaml",
    "ansible.utils.collection_loader",
    "ansible.utils.multiprocessing",
    "ansible.utils.path",
    "ansible.vars.hostvars",
    "multiprocessing.queues",
    "multiprocessing.resource_tracker",
    "multiprocessing.synchronize",
    "importlib.metadata",
    "importlib.resources",
    "xml.etree.ElementTree",
    "difflib",
    "getpass",
    "http.client",
    "pprint",
    "pty",
    "secrets",
    "tarfile",
    "uuid",
    "zipfile",
)
_HEADER_LIMIT = 1 << 20


def preload() -> None:
    """Import PRELOAD; fail if any of it pulled in Ansible's configuration."""
    for name in PRELOAD:
        importlib.import_module(name)
    if "ansible.constants" in sys.modules:
        raise SystemExit("a preloaded module imported ansible.constants: it would fix the config")


def _take_slot(env: dict[str, str]) -> None:
    """Write this run's marker and owner over SLOT_ENV in our initial environment block.

    /proc/<pid>/environ shows a process's environment as it was at exec, which for a fork
    of this server is the server's. The block is our own (copy-on-write) memory: writing
    into it is what /proc then shows, for this process and the workers it forks.
    """
    with open("/proc/self/stat", "rb") as handle:
        stat = handle.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    env_start = int(fields[47])  # field (50) env_start of proc(5); fields[0] is (3) state
    with open("/proc/self/environ", "rb") as handle:
        block = b"\0" + handle.read()
    offset = block.find(b"\0" + SLOT_ENV.encode() + b"=")
    if offset < 0:
        raise RuntimeError("the warm server's environment slot is gone")
    size = len(SLOT_ENV) + 1 + SLOT_BYTES
    # Only the names the run has: an empty marker would name a run (of no live owner).
    marks = b"".join(f"{name}={env[name]}\0".encode() for name in _MARKED if name in env)
    filler = size - len(marks) - len(_PAD_ENV) - 1
    if filler < 0:
        raise RuntimeError("run marker too long for the warm server's environment slot")
    # Keeps the block's entries contiguous (psutil stops parsing at an empty entry).
    text = marks + _PAD_ENV.encode() + b"=" + b"x" * filler
    ctypes.memmove(env_start + offset, text, len(text))


def _run(header: dict[str, object], fds: list[int]) -> int:
    """In the forked child: become the run's ansible-playbook and return its exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    # The server's streams were made for /dev/null (block-buffered): line-buffered ones on
    # the run's terminal, as a fresh process would get, so events stream as they happen.
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    env = {str(k): str(v) for k, v in dict(header["env"]).items()}  # type: ignore[call-overload]
    _take_slot(env)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(header["cwd"]))
    os.setsid()
    argv = [str(arg) for arg in header["argv"]]  # type: ignore[attr-defined]
    sys.argv = argv
    # Imported here, with the run's environment in place: the run's config, fresh.
    from ansible.cli.playbook import main  # type: ignore[import-untyped]

    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def _serve_one(listener: socket.socket, conn: socket.socket) -> None:
    """Read one request and fork its run; the child never returns here."""
    data, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
    size = int.from_bytes(data, "big") if len(data) == 4 else -1
    body = b""
    while 0 <= size <= _HEADER_LIMIT and len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            break
        body += chunk
    if len(fds) != 3 or len(body) != size:
        for fd in fds:
            os.close(fd)
        return
    if os.fork() == 0:
        listener.close()
        code = 255
        try:
            code = _run(json.loads(body), fds)
        except BaseException:  # the child must end here, whatever happened: say why first
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            try:
                conn.sendall(f"{code}\n".encode())
            finally:
                os._exit(code)
    for fd in fds:
        os.close(fd)


def serve(path: str) -> None:
    """Accept runs on the socket at `path` until stdin (held by Fixline) closes."""
    preload()
    # Children are reaped by the kernel; each child sets SIGCHLD back before running.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(path + ".new")
    finally:
        os.umask(old_umask)
    listener.listen(16)
    os.rename(path + ".new", path)  # the socket appears when it is ready
    try:
        _accept(listener)
    finally:
        # Fixline gone: nothing else removes the socket folder it made for us.
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


def _accept(listener: socket.socket) -> None:
    poller = select.poll()
    poller.register(listener, select.POLLIN)
    poller.register(0, select.POLLIN)
    while True:
        for fd, _ in poller.poll():
            if fd == 0:
                return  # Fixline is gone (or closed us): so are we
            conn, _ = listener.accept()
            try:
                _serve_one(listener, conn)
            except OSError:
                pass  # a client that went away mid-request
            finally:
                conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
