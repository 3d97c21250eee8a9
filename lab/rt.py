"""The lab's ticket system: Request Tracker 5 (Debian packages) on SQLite, from a folder.

Nothing under /etc is read or written: RT_SITE_CONFIG and RT_SITE_CONFIG_DIR (both, or the
Debian drop-ins win) point RT at this folder's config, database, Mason cache and logs.
A fresh database takes about 3 s (init, an auth token for Fixline, server ready); the
database is kept, so a later start only starts the server (under a second).

The database is seeded with a ticket custom field Fixline writes back (FIELD) and an
"On Create" scrip of QUEUE that sends Fixline the signed webhook of each new ticket, as a
helpdesk's RT would: to the URL and with the secret of send_webhooks_to (none: nothing).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
from pydantic import SecretStr

from lab.process import LabError, port_in_use, read_pid, require, run, write_if_changed

SETUP = Path("/usr/sbin/rt-setup-database-5")
SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_LIB = Path("/usr/share/request-tracker5/lib")
PACKAGES = "request-tracker5 rt5-db-sqlite rt5-standalone"
QUEUE = "General"
FIELD = "Fixline Run"
_SEEDED = "var/fixline-seed-2"  # marks a database seeded with this version of _INITIAL_DATA
_SEEDED_V1 = "var/fixline-seed-1"  # its scrip signed v1 (sha256=, key unsigned)

# Bcrypt cost 4, set before init: with RT's default of 12 every authenticated request
# spends about 190 ms hashing; mail goes to a test file, logs to stderr (our log file).
_SITE_CONFIG = """\
my $base = $ENV{{FIXLINE_RT_HOME}};
Set($rtname, 'fixline-lab');
Set($Organization, 'fixline-lab');
Set($CorrespondAddress, 'rt@localhost');
Set($CommentAddress, 'rt-comment@localhost');
Set($Timezone, 'UTC');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, "$base/var/rt.sqlite");
Set($DatabaseHost, 'localhost');
Set($DatabaseUser, '');
Set($DatabasePassword, '');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set(@ReferrerWhitelist, '127.0.0.1:{port}', 'localhost:{port}');
Set($MasonDataDir, "$base/var/mason_data");
Set($MasonSessionDir, "$base/var/session_data");
Set($LogToSyslog, undef);
Set($LogToSTDERR, 'warning');
Set($LogToFile, undef);
Set($MailCommand, 'testfile');
Set($BcryptCost, 4);
Set($FixlineWebhookFile, "$base/webhook.json");
1;
"""
# The scrip signs like every Fixline sender (v2): HMAC-SHA256 of
# "v2\n<timestamp>\n<Idempotency-Key>\n<raw body>". It runs inside RT's ticket creation,
# which waits for Fixline's answer (5 s at most).
_SCRIP_DESCRIPTION = "Fixline: signed webhook on ticket create"
SCRIP_CODE = r"""use LWP::UserAgent; use Digest::SHA qw(hmac_sha256_hex); use JSON ();
my $file = RT->Config->Get('FixlineWebhookFile') or return 1;
open(my $fh, '<', $file) or return 1;
my $to = JSON::decode_json(do { local $/; <$fh> }); close $fh;
my $t = $self->TicketObj; my $txn = $self->TransactionObj;
my $body = JSON->new->canonical->utf8->encode({
    event => 'ticket.created', ticket_id => $t->id, queue => $t->QueueObj->Name,
    subject => $t->Subject, status => $t->Status, requestors => $t->RequestorAddresses,
    transaction_id => $txn->id,
});
my $ts = time();
my $key = 'rt-ticket-' . $t->id . '-' . $txn->id;
my $ua = LWP::UserAgent->new(timeout => 5, agent => 'RT-Fixline/1.0');
my $res = $ua->post($to->{url}, 'Content-Type' => 'application/json',
    'X-Fixline-Timestamp' => $ts,
    'X-Fixline-Signature' => 'v2=' . hmac_sha256_hex("v2\n$ts\n$key\n$body", $to->{secret}),
    'Idempotency-Key' => $key,
    Content => $body);
RT->Logger->warning("Fixline webhook: " . $res->status_line) unless $res->is_success;
return 1;
"""
_INITIAL_DATA = (
    r"""
@CustomFields = (
    {
        Name        => 'Fixline Run',
        Type        => 'FreeformSingle',
        LookupType  => 'RT::Queue-RT::Ticket',
        Queue       => 'General',
        Description => 'Outcome and run id Fixline writes back',
    },
);
@Scrips = (
    {
        Description       => '"""
    + _SCRIP_DESCRIPTION
    + r"""',
        Queue             => 'General',
        ScripCondition    => 'On Create',
        ScripAction       => 'User Defined',
        Template          => 'Blank',
        CustomPrepareCode => 'return 1;',
        CustomCommitCode  => <<'PERL',
"""
    + SCRIP_CODE
    + r"""PERL
    },
);
1;
"""
)
# A database seeded before v2 keeps its scrip row: only the scrip's code is replaced.
_SCRIP_UPDATE = """\
use strict; use warnings;
use lib '{lib}';
use RT; RT::LoadConfig(); RT::Init();
open(my $fh, '<', $ARGV[0]) or die "code: $!\\n";
my $code = do {{ local $/; <$fh> }}; close $fh;
my $scrip = RT::Scrip->new(RT->SystemUser);
$scrip->LoadByCols(Description => '{description}');
die "no Fixline scrip\\n" unless $scrip->id;
my ($ok, $msg) = $scrip->SetCustomCommitCode($code);
die "scrip: $msg\\n" unless $ok;
"""
_AUTH_SCRIPT = """\
use strict; use warnings;
use lib '{lib}';
use RT; RT::LoadConfig(); RT::Init();
my $user = RT::User->new(RT->SystemUser); $user->Load('root') or die "no root user\\n";
my $token = RT::AuthToken->new(RT->SystemUser);
my ($ok, $msg, $secret) = $token->Create(Owner => $user->id, Description => 'fixline lab');
die "token: $msg\\n" unless $ok;
print "$secret\\n";
"""


class RequestTracker:
    """One RT server of the lab, on 127.0.0.1:port, with its state under folder."""

    def __init__(self, folder: Path, port: int = 8091) -> None:
        self.folder = folder.absolute()
        self.port = port
        self.pidfile = self.folder / "rt-server.pid"
        self.log_path = self.folder / "log" / "rt-server.log"
        # Kept so stop() reaps the server it started (a reused one is reaped by its starter).
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The REST 2 token of RT's root user, made at init."""
        return (self.folder / "token").read_text().strip()

    def settings(self) -> dict[str, object]:
        """The Fixline settings that write back to this RT."""
        return {"rt_url": self.url, "rt_token": SecretStr(self.token)}

    def describe(self) -> str:
        """One line for the demo output."""
        return (
            f"Request Tracker 5: {self.url}/ (REST 2 at {self.url}/REST/2.0, user root, "
            f"password 'password'; queue {QUEUE}; state in {self.folder})"
        )

    def start(self) -> None:
        """Init (once) and start the server, or reuse the running one; LabError on failure."""
        require(SETUP, PACKAGES)
        require(SERVER, PACKAGES)
        if read_pid(self.pidfile) is not None and self._answers():
            return
        for sub in ("etc/RT_SiteConfig.d", "var/mason_data", "var/session_data", "log"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        write_if_changed(
            self.folder / "etc/RT_SiteConfig.pm", _SITE_CONFIG.format(port=self.port), 0o600
        )
        if not (self.folder / "token").exists():
            self._init()
        if not (self.folder / _SEEDED).exists():
            self._seed()
        if port_in_use("127.0.0.1", self.port):
            raise LabError(f"port {self.port} is taken: stop what listens there or pick another")
        with self.log_path.open("ab") as log:
            # A session of its own: stop() ends the server and its workers as one group.
            server = self._process = subprocess.Popen(
                [
                    str(SERVER),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--max-workers",
                    "2",
                ],
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.pidfile.write_text(f"{server.pid}\n")
        deadline = time.monotonic() + 60
        while not self._answers():
            if server.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-1500:]
                raise LabError(f"RT did not start on port {self.port}: {tail}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to the server's group (never SIGINT: as root it chowns /var/lib)."""
        pid = read_pid(self.pidfile)
        if pid is None:
            return
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while read_pid(self.pidfile) is not None and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
        if read_pid(self.pidfile) is not None:
            os.killpg(pid, signal.SIGKILL)
            _reap(pid)
        if self._process is not None:
            self._process.wait(10)
            self._process = None
        self.pidfile.unlink(missing_ok=True)

    def _init(self) -> None:
        (self.folder / "var/rt.sqlite").unlink(missing_ok=True)  # init refuses an existing one
        (self.folder / _SEEDED).unlink(missing_ok=True)
        (self.folder / _SEEDED_V1).unlink(missing_ok=True)
        env = self._env()
        run([str(SETUP), "--action", "init"], env=env)
        script = self.folder / "make_token.pl"
        write_if_changed(script, _AUTH_SCRIPT.format(lib=RT_LIB), 0o600)
        token = run(["perl", str(script)], env=env).strip()
        write_if_changed(self.folder / "token", token + "\n", 0o600)

    def send_webhooks_to(self, url: str | None, secret: str = "") -> None:
        """Where the scrip sends new tickets of QUEUE, signed with secret (None: nowhere).
        Read at each ticket: no restart needed."""
        target = self.folder / "webhook.json"
        if url is None:
            target.unlink(missing_ok=True)
        else:
            write_if_changed(target, json.dumps({"url": url, "secret": secret}), 0o600)

    def _seed(self) -> None:
        """The custom field and the webhook scrip, once per database (a database seeded
        with the v1 scrip gets the v2 code)."""
        if (self.folder / _SEEDED_V1).exists():
            self.replace_scrip_code(SCRIP_CODE)
        else:
            datafile = self.folder / "etc/fixline-initialdata.pl"
            write_if_changed(datafile, _INITIAL_DATA, 0o600)
            run([str(SETUP), "--action", "insert", "--datafile", str(datafile)], env=self._env())
        (self.folder / _SEEDED).touch()
        (self.folder / _SEEDED_V1).unlink(missing_ok=True)

    def replace_scrip_code(self, code: str) -> None:
        """Give the seeded webhook scrip this Perl code (upgrades of a seeded database)."""
        path = self.folder / "etc/fixline-scrip.pl"
        write_if_changed(path, code, 0o600)
        script = self.folder / "update_scrip.pl"
        text = _SCRIP_UPDATE.format(lib=RT_LIB, description=_SCRIP_DESCRIPTION)
        write_if_changed(script, text, 0o600)
        run(["perl", str(script), str(path)], env=self._env())

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "FIXLINE_RT_HOME": str(self.folder),
            "RT_SITE_CONFIG": str(self.folder / "etc/RT_SiteConfig.pm"),
            "RT_SITE_CONFIG_DIR": str(self.folder / "etc/RT_SiteConfig.d"),
        }

    def _answers(self) -> bool:
        try:
            # Any HTTP answer (401 without credentials) means the server is up.
            httpx.get(f"{self.url}/REST/2.0/rt", timeout=2)
        except httpx.HTTPError:
            return False
        return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
