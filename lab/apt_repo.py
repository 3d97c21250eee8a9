"""A one-package apt repository on disk, so `apt-get install` works offline in the lab."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from lab.process import LabError, require, run, write_if_changed

PACKAGE = "fixline-lab-hello"
VERSION = "1.0"
SOURCES_LIST = Path("/etc/apt/sources.list.d/fixline-lab.list")
DPKG_DEB = Path("/usr/bin/dpkg-deb")
SCANPACKAGES = Path("/usr/bin/dpkg-scanpackages")
APT_GET = Path("/usr/bin/apt-get")
APT_LISTS = Path("/var/lib/apt/lists")
LOCK_WAIT_S = 60.0

_CONTROL = f"""Package: {PACKAGE}
Version: {VERSION}
Architecture: all
Maintainer: Fixline lab <lab@fixline.invalid>
Section: misc
Priority: optional
Description: harmless demo package of the Fixline lab
 Installs one script that prints a greeting.
"""

_SCRIPT = f"""#!/bin/sh
echo "Hello from {PACKAGE} {VERSION}"
"""

# Only the lab's list is refreshed: the machine's other lists stay as they were (offline).
_UPDATE_OPTIONS = [
    f"-o=Dir::Etc::sourcelist={SOURCES_LIST}",
    "-o=Dir::Etc::sourceparts=-",
    "-o=APT::Get::List-Cleanup=0",
    # The lab folder is 0700 (root only), so apt's unprivileged _apt user cannot read it.
    "-o=APT::Sandbox::User=root",
]


class LabAptRepo:
    """<folder>/ holds fixline-lab-hello_1.0_all.deb and its Packages index."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.absolute()
        self.deb_path = self.folder / f"{PACKAGE}_{VERSION}_all.deb"

    @property
    def source_line(self) -> str:
        """The apt source of this repository (local files, so trusted without a signature)."""
        return f"deb [trusted=yes] file:{self.folder} ./\n"

    def publish(self) -> None:
        """Build the package and index when missing, and register the source with apt."""
        require(DPKG_DEB, "dpkg")
        require(SCANPACKAGES, "dpkg-dev")
        self.folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        if not self.deb_path.exists():
            self._build()
        packages = run([str(SCANPACKAGES), "--multiversion", "."], cwd=self.folder)
        index_changed = write_if_changed(self.folder / "Packages", packages, 0o644)
        list_changed = write_if_changed(SOURCES_LIST, self.source_line, 0o644)
        if index_changed or list_changed or not self._apt_knows_package():
            self._update()

    def withdraw(self) -> None:
        """Remove the apt source when it is this repository's (another lab's stays)."""
        if SOURCES_LIST.exists() and SOURCES_LIST.read_text() == self.source_line:
            SOURCES_LIST.unlink()
            # Drop apt's copy of the index too, so apt forgets the package of a deleted folder.
            for path in self._list_files():
                path.unlink(missing_ok=True)

    def _update(self) -> None:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                run([str(APT_GET), "update", "-qq", *_UPDATE_OPTIONS])
                return
            except LabError as exc:
                # Another apt run (a test installing, another lab) holds the lists lock.
                if "Could not get lock" not in exc.message or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _apt_knows_package(self) -> bool:
        return bool(self._list_files())

    def _list_files(self) -> list[Path]:
        """apt's copies of this repository's index (named after the URI, maybe compressed)."""
        stem = "_" + str(self.folder).strip("/").replace("/", "_") + "_._Packages"
        return list(APT_LISTS.glob(stem + "*"))

    def _build(self) -> None:
        root = self.folder / "build" / PACKAGE
        shutil.rmtree(root, ignore_errors=True)
        (root / "DEBIAN").mkdir(parents=True)
        (root / "usr" / "bin").mkdir(parents=True)
        (root / "DEBIAN" / "control").write_text(_CONTROL)
        write_if_changed(root / "usr" / "bin" / PACKAGE, _SCRIPT, 0o755)
        run([str(DPKG_DEB), "--root-owner-group", "--build", str(root), str(self.deb_path)])
        shutil.rmtree(self.folder / "build")
