"""The lab's TLS-serving service `fixline-lab-tls`, the consumer of `cert_install`.

An init.d-managed HTTPS server that loads /etc/fixline-lab/tls/server.{crt,key} at start;
the role writes a new pair and reloads it, then Fixline handshakes and compares fingerprints.
Until the first install it serves a self-signed placeholder made here.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization

from lab.lab_service import SERVICE, init_script
from lab.process import require, run, write_if_changed
from runner_api.pki.authority import new_ca
from runner_api.pki.keys import private_pem

NAME = "fixline-lab-tls"
PORT = 8443
TLS_DIR = Path("/etc/fixline-lab/tls")
CERT = TLS_DIR / "server.crt"
KEY = TLS_DIR / "server.key"
INIT_SCRIPT = Path("/etc/init.d") / NAME
SERVER_SCRIPT = Path("/usr/local/lib/fixline-lab") / "tls.py"
PIDFILE = Path("/run") / f"{NAME}.pid"
# Where cert_install puts the customer CA (its default cert_install_trust_dir).
TRUST_DIR = Path("/usr/local/share/ca-certificates")

_SERVER = '''"""fixline-lab-tls: a harmless HTTPS demo service of the Fixline lab."""
import http.server
import ssl
import sys

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[2], sys.argv[3])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"fixline-lab-tls\\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
'''


def _placeholder() -> tuple[bytes, bytes]:
    # Any certificate will do until the first install; a throwaway self-signed one.
    cert, key = new_ca("placeholder")
    return cert.public_bytes(serialization.Encoding.PEM), private_pem(key).encode()


def install() -> None:
    """Install the init script and server, and a placeholder certificate when none is there."""
    require(SERVICE, "init-system-helpers")
    SERVER_SCRIPT.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    write_if_changed(SERVER_SCRIPT, _SERVER, 0o644)
    write_if_changed(
        INIT_SCRIPT, init_script(NAME, SERVER_SCRIPT, PIDFILE, PORT, f"{CERT} {KEY}"), 0o755
    )
    TLS_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not (CERT.exists() and KEY.exists()):
        cert_pem, key_pem = _placeholder()
        KEY.touch(mode=0o600)
        KEY.write_bytes(key_pem)
        CERT.write_bytes(cert_pem)


def start() -> None:
    run([str(SERVICE), NAME, "start"])


def stop() -> None:
    if INIT_SCRIPT.exists():
        run([str(SERVICE), NAME, "stop"])


def withdraw_trust(customer: str) -> None:
    """Take the customer CA that cert_install trusted on this machine back out."""
    anchor = TRUST_DIR / f"fixline-{customer}.crt"
    if anchor.exists():
        anchor.unlink()
        run(["update-ca-certificates"])
