"""One lab Samba AD DC: provisioned once into a template, run as throwaway copies of it.

<templates>/<customer>/  provisioned, seeded and stopped DC (samba-tool's targetdir layout)
  tls/                   lab CA (cert + key) and the DC's certificate and key
  fixline/               stamp.json, admin.password, service.password, service.dn (0700)
<templates>/<customer>.running  which copy runs on the customer's address (folder, build)
<folder>/                a `cp -a` of the template, smb.conf paths rewritten; samba runs here

LDAP ports are fixed, so one address serves one DC per machine. Labs sharing a templates
folder share that DC: a lab finding a live copy of the same template build on its address
uses it (same CA, same passwords) instead of failing; reset() replaces it by its own copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from lab import directory_data as data
from lab import directory_helpdesk as helpdesk
from lab.directory_data import DirectorySite
from lab.directory_ldap import BASE, Connection, LDAPException
from lab.directory_seed import bind, ldaps_server, seed, seed_helpdesk
from lab.directory_tls import DcTlsFiles, certificate_days_left, issue_dc_tls
from lab.process import LabError, machine_lock, port_in_use, run, write_if_changed

SAMBA = "samba"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
BUILD_LOCK_WAIT_S = 300.0
# Bump when the template's making changes in a way the data table does not show.
TEMPLATE_FORMAT = 1
# Runtime leftovers of a DC that must not travel into a template or a copy.
RUNTIME_FILES = ("samba.pid", "msg.lock", "msg.sock", "samba.out")


def template_version(site: DirectorySite) -> str:
    """Changes whenever the site or the sample data does: a stale template is rebuilt."""
    staff = (
        (helpdesk.AGENTS, helpdesk.HELPDESK_GROUPS, helpdesk.LOGIN_ACCOUNT)
        if site.customer == helpdesk.HELPDESK_CUSTOMER
        else ()
    )
    text = repr((TEMPLATE_FORMAT, site, data.USERS, data.GROUPS, data.LOCKOUT_THRESHOLD, staff))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class LabDc:
    """A Samba AD DC of one lab customer, on its own loopback address."""

    def __init__(self, site: DirectorySite, folder: Path, template: Path) -> None:
        self.site = site
        self.folder = folder.absolute()
        self.template = template.absolute()
        self.smb_conf = self.folder / "etc" / "smb.conf"
        self.running_marker = self.template.with_name(f"{self.template.name}.running")

    @property
    def ca_path(self) -> Path:
        """The lab CA of this DC (the same in the template and in every copy of it)."""
        return DcTlsFiles(self.template / "tls").ca_path

    def secret(self, name: str) -> str:
        """admin.password, service.password, service.dn, login.password or login.dn (the
        template's, as every copy's; login.* only on the helpdesk's DC)."""
        return (self.template / "fixline" / name).read_text()

    def start(self) -> bool:
        """Run the DC unless a copy of the current template runs and answers.

        True when this call started a copy in this lab's folder.
        """
        with self._build_lock():
            self._ensure_template()
            holder = self._holder()
            if holder is not None and self._answers(holder):
                return False
            self._replace_holder()
        return True

    def reset(self) -> None:
        """Back to the template's data: a fresh copy replaces whichever copy runs (< 1 s)."""
        with self._build_lock():
            self._ensure_template()
            self._replace_holder()

    def stop(self) -> None:
        """Stop this lab folder's samba, if it runs (no other process is touched)."""
        _stop(self.folder)
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(self.running_marker.read_text())["folder"] == str(self.folder):
                self.running_marker.unlink()

    def pid(self) -> int | None:
        """The pid of the copy serving this DC's address (this lab's or a shared one)."""
        holder = self._holder()
        return None if holder is None else _pid(holder)

    def admin_connection(self) -> Connection:
        """Administrator bound over verified TLS (lab set-up and test inspection only)."""
        admin = f"Administrator@{self.site.dns_domain}"
        return bind(self.site, self.ca_path, admin, self.secret("admin.password"))

    def _build_id(self) -> str:
        stamp = json.loads((self.template / "fixline" / "stamp.json").read_text())
        return str(stamp["build"])

    def _holder(self) -> Path | None:
        """The folder of the live copy of the current template build on this address."""
        try:
            running = json.loads(self.running_marker.read_text())
            folder, build = Path(running["folder"]), running["build"]
        except (OSError, ValueError, KeyError):
            return None
        if build != self._build_id() or _pid(folder) is None:
            return None
        return folder

    def _replace_holder(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            # Whichever lab copy runs here (maybe of an older build) makes way for ours.
            _stop(Path(json.loads(self.running_marker.read_text())["folder"]))
        self.running_marker.unlink(missing_ok=True)
        _stop(self.folder)
        self._copy_template()
        self._spawn(self.folder)
        marker = {"folder": str(self.folder), "build": self._build_id()}
        write_if_changed(self.running_marker, json.dumps(marker), 0o600)

    @contextlib.contextmanager
    def _build_lock(self) -> Iterator[None]:
        """One lab at a time builds, copies or replaces this customer's DC on the machine."""
        self.template.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_private(self.template.parent)
        lock_path = self.template.with_name(f"{self.template.name}.lock")
        with machine_lock(lock_path, BUILD_LOCK_WAIT_S):
            yield

    def _ensure_template(self) -> None:
        stamp = self.template / "fixline" / "stamp.json"
        try:
            built = json.loads(stamp.read_text())
            fresh = built["version"] == template_version(self.site)
            fresh = (
                fresh and certificate_days_left(DcTlsFiles(self.template / "tls").cert_path) > 30
            )
        except (OSError, ValueError, KeyError):
            fresh = False
        if not fresh:
            self._build_template()

    def _build_template(self) -> None:
        building = self.template.with_name(self.template.name + ".building")
        _stop(building)
        shutil.rmtree(building, ignore_errors=True)
        building.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret_dir = building / "fixline"
        admin_password = _random_password()
        service_password = _random_password()
        tls = DcTlsFiles(building / "tls")
        site = self.site
        run(
            [
                "samba-tool", "domain", "provision",
                f"--realm={site.realm}", f"--domain={site.domain}", "--server-role=dc",
                "--dns-backend=SAMBA_INTERNAL", f"--adminpass={admin_password}",
                f"--host-name={site.host_name}", f"--host-ip={site.address}",
                f"--targetdir={building}",
                f"--option=interfaces={site.address}", "--option=bind interfaces only=yes",
                f"--option=log file={building}/log.samba", f"--option=pid directory={building}",
                "--option=server services=ldap",
                *tls.smb_options(),
            ]
        )  # fmt: skip
        issue_dc_tls(tls, f"Fixline lab CA {site.customer}", site.tls_name, site.address)
        secret_dir.mkdir(mode=0o700)
        login_password = _random_password()
        for name, text in (
            ("admin.password", admin_password),
            ("service.password", service_password),
            ("login.password", login_password),
        ):
            write_if_changed(secret_dir / name, text, 0o600)
        self._spawn(building)
        try:
            admin = bind(site, tls.ca_path, f"Administrator@{site.dns_domain}", admin_password)
            service_dn = seed(admin, site, tls.ca_path, building / "etc/smb.conf", service_password)
            if site.customer == helpdesk.HELPDESK_CUSTOMER:
                login_dn = seed_helpdesk(admin, site, login_password)
                write_if_changed(secret_dir / "login.dn", login_dn, 0o600)
            admin.unbind()
        finally:
            _stop(building)
        write_if_changed(secret_dir / "service.dn", service_dn, 0o600)
        stamp = {
            "version": template_version(site),
            "build": secrets.token_hex(8),
            "built_in": str(building),
        }
        write_if_changed(secret_dir / "stamp.json", json.dumps(stamp), 0o600)
        _clean_runtime(building)
        shutil.rmtree(self.template, ignore_errors=True)
        building.rename(self.template)

    def _copy_template(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # cp -a keeps modes (samba refuses a key readable by others) and xattrs (NT ACLs).
        run(["cp", "-a", str(self.template), str(self.folder)])
        built_in = json.loads((self.folder / "fixline" / "stamp.json").read_text())["built_in"]
        # Only smb.conf holds absolute paths (the notes checked this).
        conf = self.smb_conf.read_text().replace(built_in, str(self.folder))
        write_if_changed(self.smb_conf, conf, 0o644)

    def _spawn(self, folder: Path) -> None:
        if port_in_use(self.site.address, 636):
            raise LabError(
                f"port 636 on {self.site.address} is taken by another program, so the "
                f"{self.site.customer} lab DC cannot listen there: find it with "
                f"`ss -ltnp 'sport = :636'` and stop it (another lab? `fixline lab down`)"
            )
        (folder / "samba.pid").unlink(missing_ok=True)
        command = [
            "setsid", "--fork", SAMBA, "-s", str(folder / "etc/smb.conf"),
            "-M", "single", "--foreground", "--no-process-group",
        ]  # fmt: skip
        with (folder / "samba.out").open("ab") as out:
            # setsid --fork: samba gets its own session and init reaps it, so it outlives
            # this process (the demo) and no Popen is left behind; samba writes samba.pid.
            try:
                subprocess.run(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=out,
                    check=True,
                    timeout=10,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise LabError(f"cannot start samba ({' '.join(command)}): {exc}") from exc
        self._wait_ready(folder)

    def _answers(self, folder: Path | None = None) -> bool:
        """Whether the DC completes a verified-TLS rootDSE search."""
        tls = DcTlsFiles((folder or self.folder) / "tls")
        conn = Connection(ldaps_server(self.site, tls.ca_path, timeout_s=2), receive_timeout=2)
        try:
            conn.open()
            return bool(conn.search("", "(objectClass=*)", BASE, attributes=["namingContexts"]))
        except LDAPException:
            return False
        finally:
            with contextlib.suppress(LDAPException):
                conn.unbind()

    def _wait_ready(self, folder: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._answers(folder):
                return
            if (folder / "samba.pid").exists() and _pidfile_pid(folder) is None:
                break
            time.sleep(0.05)
        log = (folder / "samba.out").read_text(errors="replace")[-2000:]
        _stop(folder)
        raise LabError(
            f"the {self.site.customer} lab DC did not answer on {self.site.url} within "
            f"{READY_TIMEOUT_S:.0f} s; its output ends with:\n{log}"
        )


def _pid(folder: Path) -> int | None:
    """The pid of the samba running on folder's files, if any (pid reuse is checked)."""
    pid = _pidfile_pid(folder)
    if pid is None:
        return None
    fds: list[str] = []
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            # An fd may close between listing and reading it.
            with contextlib.suppress(OSError):
                fds.append(os.readlink(fd))
    # samba rewrites its command line ("samba: root process"): recognise it by holding
    # files of this folder open (its log, its databases).
    return pid if any(fd.startswith(f"{folder}/") for fd in fds) else None


def _pidfile_pid(folder: Path) -> int | None:
    """The pid in folder's samba.pid when that process is a live samba (not a zombie)."""
    try:
        pid = int((folder / "samba.pid").read_text().strip())
        exe = os.readlink(f"/proc/{pid}/exe")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    return pid if Path(exe).name == SAMBA and state != "Z" else None


def _stop(folder: Path) -> None:
    pid = _pid(folder)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _pid(folder) == pid and time.monotonic() < deadline:
        time.sleep(0.02)
    if _pid(folder) == pid:
        # setsid made samba a group leader: its group is its own and nothing else.
        os.killpg(pid, signal.SIGKILL)
    (folder / "samba.pid").unlink(missing_ok=True)


def _check_private(folder: Path) -> None:
    """The templates hold the lab's keys and passwords: only their owner may use them."""
    info = folder.stat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise LabError(
            f"{folder} must belong to this user with mode 0700 (it holds the lab DCs' keys)"
        )


def _clean_runtime(folder: Path) -> None:
    for name in RUNTIME_FILES:
        path = folder / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _random_password() -> str:
    # token_urlsafe may lack a digit or a symbol: the fixed tail meets AD complexity.
    return f"{secrets.token_urlsafe(18)}-Aa1"
