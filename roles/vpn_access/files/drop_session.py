"""Drop a client's live OpenVPN session: `status 2`, then `client-kill <cid> HALT`.

Usage: drop_session.py MANAGEMENT_SOCKET COMMON_NAME. Prints what it did; exit 0 when no
session was up, too (nothing to drop is a success).
"""

import socket
import sys


def ask(conn, reader, command, until):
    conn.sendall(command.encode() + b"\n")
    lines = []
    for raw in reader:
        line = raw.decode(errors="replace").rstrip("\r\n")
        if line.startswith(">"):  # real-time notifications interleave with answers
            continue
        lines.append(line)
        if until(line):
            return lines
    return lines


def main():
    path, name = sys.argv[1], sys.argv[2]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        try:
            conn.connect(path)
        except FileNotFoundError:
            print("no session: the server's management socket is absent")
            return 0
        reader = conn.makefile("rb")
        status = ask(conn, reader, "status 2", lambda line: line == "END")
        ids = [
            fields[10]
            for fields in (line.split(",") for line in status)
            if fields[0] == "CLIENT_LIST" and len(fields) > 10 and fields[1] == name
        ]
        for cid in ids:
            answer = ask(conn, reader, f"client-kill {cid} HALT", lambda line: True)
            if not answer or not answer[-1].startswith("SUCCESS"):
                print(f"could not drop session {cid}: {answer}")
                return 1
        conn.sendall(b"quit\n")
    print(f"{len(ids)} session(s) killed" if ids else "no live session")
    return 0


sys.exit(main())
