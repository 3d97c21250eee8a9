"""What ansible-runner starts instead of ansible-playbook when Ansible is warm: hands its
command line, environment, folder and terminal to the warm server (warm_server.py), which
forks the run's ansible-playbook, and exits with that one's exit code.

Run as `python -I -S warm_client.py ARGS...`: stdlib only and no site, so that it starts in
a few milliseconds. Killed (runner's cancel or timeout), it leaves the playbook to the
executor, which kills every process of the run anyway (process_tree).
"""

from __future__ import annotations

import json
import os
import socket
import sys

# The warm server's socket; the same name in warm.py.
SOCKET_ENV = "FIXLINE_WARM_SOCKET"


def main() -> int:
    """Start the playbook through the warm server; its exit code (255: it died unheard)."""
    header = json.dumps(
        {"argv": ["ansible-playbook", *sys.argv[1:]], "env": dict(os.environ), "cwd": os.getcwd()}
    ).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(os.environ[SOCKET_ENV])
        socket.send_fds(conn, [len(header).to_bytes(4, "big")], [0, 1, 2])
        conn.sendall(header)
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.recv(16)
            if not chunk:
                break
            answer += chunk
    try:
        return int(answer)
    except ValueError:
        return 255


if __name__ == "__main__":
    sys.exit(main())
