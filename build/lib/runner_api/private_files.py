"""Files and folders only Fixline's own user may read: made so when created, whatever the
umask, and made so again at start when found looser.

The data folder (0700) holds the store and the key files (0600); a 0644 database would
let every local user read run history and sealed secrets, and a 0644 key file would open
them. Modes are set on the open descriptor before anything is written, so there is no
moment at which a secret sits in a file others may read.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """The folder, created 0700 when missing and made 0700 when looser."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def create_private(path: Path) -> int:
    """A new file opened for writing, 0600 exactly (O_EXCL: FileExistsError if it exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    # The umask can only take bits away; a strict one (0277) would leave the owner unable
    # to write: fchmod makes it exactly 0600 either way.
    os.fchmod(fd, FILE_MODE)
    return fd


def private_file(path: Path) -> None:
    """An existing file made 0600 when looser; a missing one created empty, 0600."""
    try:
        os.close(create_private(path))
    except FileExistsError:
        tighten(path)


def tighten(path: Path) -> None:
    """Make a file 0600 if it exists and others may read or write it."""
    _tighten(path, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & 0o077:
        path.chmod(mode)
        log.warning("%s was mode %o, readable by others: now %o", path, current, mode)
