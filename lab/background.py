"""The lab's in-process simulators serve from a daemon thread: start and stop it one way."""

from __future__ import annotations

import socketserver
import threading

# How long stop() waits for the serving thread (a stuck one is a daemon and dies with us).
JOIN_S = 5.0


def serve_in_background(server: socketserver.BaseServer, name: str) -> threading.Thread:
    """Run server.serve_forever() in a started daemon thread."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


def stop_serving(server: socketserver.BaseServer | None, thread: threading.Thread | None) -> None:
    """Stop the loop, close the listening socket, wait for the thread (each may be None)."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(JOIN_S)
