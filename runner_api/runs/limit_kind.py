"""The kinds of rate-limit clear, apart from the API's schemas: the CLI's argument type."""

from enum import StrEnum


class LimitKind(StrEnum):
    """What a clear resets (runs/limits.py): a requester's hour, a target, an action."""

    REQUESTER = "requester"
    TARGET = "target"
    ACTION = "action"
