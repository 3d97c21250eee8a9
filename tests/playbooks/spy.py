"""Watching runs while they run, for secrets: every file written to disk, the run folders,
and the command lines and environments of live processes.

Written files are seen through fanotify (FAN_CLOSE_WRITE on whole filesystems): each event
carries an open descriptor, so even a temp file deleted a millisecond after it was written
is read in full. Polling alone would miss those. Needs CAP_SYS_ADMIN, like the lab itself.
"""

from __future__ import annotations

import ctypes
import os
import select
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from runner_api.playbooks.config import RUN_MARKER_ENV

_FAN_CLOEXEC, _FAN_NONBLOCK = 0x1, 0x2
_FAN_CLOSE_WRITE = 0x8
_FAN_MARK_ADD, _FAN_MARK_FILESYSTEM = 0x1, 0x100
_AT_FDCWD = -100
_EVENT = struct.Struct("<IBBHQii")  # struct fanotify_event_metadata
_READ_CAP = 8 << 20  # bytes read of one written file


@dataclass(frozen=True)
class Hit:
    where: str  # "file", "run folder", "cmdline", "environ"
    name: str  # path or process
    needle: str

    def __str__(self) -> str:
        return f"{self.where} {self.name}: {self.needle[:16]}..."


@dataclass
class Seen:
    """What the spy looked at, so a test can prove its search was not empty."""

    files: set[str] = field(default_factory=set)
    written: int = 0
    live_scans: int = 0
    playbook_cmdlines: list[str] = field(default_factory=list)
    # ANSIBLE_LOCAL_TEMP of the runs' processes: where module files with arguments go.
    local_tmps: set[str] = field(default_factory=set)


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
    libc.fanotify_mark.argtypes = [
        ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p,
    ]  # fmt: skip
    return libc


def _filesystems(paths: Iterable[Path]) -> list[Path]:
    """One existing path per distinct filesystem."""
    by_device: dict[int, Path] = {}
    for path in paths:
        while not path.exists():
            path = path.parent
        by_device.setdefault(path.stat().st_dev, path)
    return list(by_device.values())


class Spy:
    """Collects every place where a needle shows up while it runs (a context manager).

    needles: forms of a known secret, searched everywhere.
    markers: for secrets only known once the run is over (e.g. a key Fixline generated):
             a hit in run folders and processes; a written file holding one is kept in
             `kept`, to be searched for the secret afterwards.
    host_side: path prefixes the target host legitimately writes (the lab host is this
               machine): hits there are kept apart, in host_hits.
    """

    def __init__(
        self,
        work_dir: Path,
        needles: Sequence[str] = (),
        markers: Sequence[str] = (),
        host_side: Sequence[str] = (),
    ) -> None:
        self.work_dir = work_dir
        self.needles = [n.encode() for n in needles]
        self.markers = [m.encode() for m in markers]
        self.host_side = tuple(host_side)
        self.hits: set[Hit] = set()
        self.host_hits: set[Hit] = set()
        self.kept: list[tuple[str, bytes]] = []
        self.seen = Seen()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._fan = -1

    def __enter__(self) -> Spy:
        libc = _libc()
        self._fan = libc.fanotify_init(_FAN_CLOEXEC | _FAN_NONBLOCK, os.O_RDONLY | os.O_CLOEXEC)
        if self._fan < 0:
            raise OSError(ctypes.get_errno(), "fanotify_init (the spy needs CAP_SYS_ADMIN)")
        for path in _filesystems([self.work_dir, Path("/tmp"), Path("/")]):
            mark = _FAN_MARK_ADD | _FAN_MARK_FILESYSTEM
            if libc.fanotify_mark(self._fan, mark, _FAN_CLOSE_WRITE, _AT_FDCWD, bytes(path)) < 0:
                raise OSError(ctypes.get_errno(), f"fanotify_mark {path}")
        for target in (self._watch_writes, self._watch_processes, self._watch_folders):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        # A last look: written files still queued in the kernel are drained before stopping.
        time.sleep(0.3)
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self._drain()
        os.close(self._fan)

    def _found(self, where: str, name: str, content: bytes) -> None:
        host = where == "file" and bool(self.host_side) and name.startswith(self.host_side)
        for needle in self.needles:
            if needle in content:
                (self.host_hits if host else self.hits).add(Hit(where, name, needle.decode()))
        for marker in self.markers:
            if marker not in content:
                continue
            if where == "file":
                # Anyone on this machine may write a key; which one it is is checked afterwards.
                self.kept.append((name, content))
            elif not host:
                self.hits.add(Hit(where, name, marker.decode()))

    # -- written files ---------------------------------------------------------------------
    def _watch_writes(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fan], [], [], 0.05)
            if ready:
                self._drain()

    def _drain(self) -> None:
        while True:
            try:
                buffer = os.read(self._fan, 1 << 16)
            except BlockingIOError:
                return
            offset = 0
            while offset + _EVENT.size <= len(buffer):
                length, _, _, _, _, fd, _pid = _EVENT.unpack_from(buffer, offset)
                if fd >= 0:
                    try:
                        self._written(fd)
                    finally:
                        os.close(fd)
                offset += length

    def _written(self, fd: int) -> None:
        try:
            path = os.readlink(f"/proc/self/fd/{fd}").removesuffix(" (deleted)")
            content = os.pread(fd, _READ_CAP, 0)
        except OSError:
            return
        self.seen.written += 1
        if path.startswith(str(self.work_dir)):
            self.seen.files.add(os.path.relpath(path, self.work_dir))
        self._found("file", path, content)

    # -- live processes --------------------------------------------------------------------
    def _watch_processes(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            live = False
            for proc in psutil.process_iter(["cmdline"]):
                if proc.pid == me:
                    continue
                cmdline = " ".join(proc.info["cmdline"] or [])
                self._found("cmdline", f"{proc.pid} {cmdline[:80]}", cmdline.encode())
                try:
                    environ = proc.environ()
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                if RUN_MARKER_ENV not in environ:
                    continue
                if "ANSIBLE_LOCAL_TEMP" in environ:
                    self.seen.local_tmps.add(environ["ANSIBLE_LOCAL_TEMP"])
                text = "\n".join(f"{k}={v}" for k, v in environ.items())
                self._found("environ", f"{proc.pid} {cmdline[:80]}", text.encode())
                # ansible-playbook, or the client that hands a warm one its command line.
                if ("ansible-playbook" in cmdline or "warm_client.py" in cmdline) and (
                    self.work_dir / environ[RUN_MARKER_ENV]
                ).is_dir():
                    live = True
                    if cmdline not in self.seen.playbook_cmdlines:
                        self.seen.playbook_cmdlines.append(cmdline)
            if live:
                self.seen.live_scans += 1
            time.sleep(0.01)

    # -- run folders, polled (a file kept open has no close-write event yet) ---------------
    def _watch_folders(self) -> None:
        while not self._stop.is_set():
            for path in _regular_files(self.work_dir):
                try:
                    content = path.read_bytes()
                except OSError:
                    continue
                self.seen.files.add(str(path.relative_to(self.work_dir)))
                self._found("run folder", str(path), content)
            time.sleep(0.01)


def on_tmpfs(path: str) -> bool:
    """Whether path lies on a RAM-backed filesystem (its longest mount prefix is tmpfs)."""
    mounts = sorted(psutil.disk_partitions(all=True), key=lambda p: len(p.mountpoint))
    fstype = ""
    for mount in mounts:
        if Path(path).is_relative_to(mount.mountpoint):
            fstype = mount.fstype
    return fstype == "tmpfs"


def _regular_files(root: Path) -> list[Path]:
    try:
        return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    except OSError:
        return []
