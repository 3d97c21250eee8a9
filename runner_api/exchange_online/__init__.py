"""Mailbox fixes on Exchange Online through Microsoft Graph (a customer's `mailbox.backend:
graph`): GraphMailbox, a MailboxGateway over HttpGraph, and the wire values it reads and
writes. The actions, guardrails and diffs are the mailbox package's, as on EWS.
"""

from runner_api.exchange_online.gateway import GraphMailbox

__all__ = ["GraphMailbox"]
