"""Failures a test injects into a fake: "the next call of this gateway method raises"."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """The next call of `operation` (within `scope`, or any) raises `error`; a write is
    applied first when `applied` (the remote side did it, and its answer was lost)."""

    operation: str
    error: Exception
    # A customer name (directory) or a mailbox address (Exchange); None: any.
    scope: str | None = None
    applied: bool = False


class Faults:
    """The pending faults of one fake, taken in the order they were added; thread-safe."""

    def __init__(self, kind: str, operations: Iterable[str], writes: Iterable[str]) -> None:
        self._kind = kind
        self._operations = frozenset(operations)
        self._writes = frozenset(writes)
        self._pending: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self, operation: str, error: Exception, scope: str | None = None, applied: bool = False
    ) -> None:
        if operation not in self._operations:
            raise ValueError(f"{operation!r} is not a {self._kind} method")
        if applied and operation not in self._writes:
            raise ValueError("only a write can be applied before it fails")
        with self._lock:
            self._pending.append(Fault(operation, error, scope, applied))

    def take(self, operation: str, scope: str) -> Fault | None:
        """The first pending fault for this call, removed; None when there is none."""
        with self._lock:
            for fault in self._pending:
                if fault.operation == operation and fault.scope in (None, scope):
                    self._pending.remove(fault)
                    return fault
        return None


__all__ = ["Fault", "Faults"]
