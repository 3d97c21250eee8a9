"""The lab's Exchange: a wire-level EWS simulator (not Exchange) that real exchangelib uses.

EwsSimulator   the HTTP server (start/stop/url/describe; state, faults, request log)
MailboxLab     the simulator seeded for the lab customers, credentials stored (Lab.up())
"""

from lab.ews.lab import DEFAULT_PORT, SITES, MailboxLab, MailboxSite, seed
from lab.ews.server import PATH, EwsSimulator
from lab.ews.state import Fault, Mailbox, Permission, Request, SimulatorState, UnknownEntry

__all__ = [
    "DEFAULT_PORT",
    "PATH",
    "SITES",
    "EwsSimulator",
    "Fault",
    "Mailbox",
    "MailboxLab",
    "MailboxSite",
    "Permission",
    "Request",
    "SimulatorState",
    "UnknownEntry",
    "seed",
]
