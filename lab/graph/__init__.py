"""The lab's Entra ID and Exchange Online: a wire-level Microsoft Graph and identity-platform
simulator (not Microsoft).

GraphSimulator  one loopback HTTPS server: discovery and token endpoint for msal, Graph v1.0
                routes the gateway uses (server.py, dispatch.py, wire.py, routes.py)
identity        client-assertion checks against registered certificates, AADSTS refusals
users, methods, groups, roles   the Graph routes, stateful per tenant
settings, rules, calendars   Exchange Online's routes (mailboxSettings and the inbox,
                messageRules, calendarPermissions); exchange.py how they reach a mailbox,
                mailboxes.py what a mailbox keeps, mailjson.py its JSON, timezones.py zones
bodies          request bodies read against the CSDL subset, as Graph's OData layer reads them
query, render   OData options ($select/$filter/$search/$top/paging) and Graph's JSON shapes
faults          throttle, stall, lost answer, replication delay, denied permission
seed            sample tenants: cloud-only fabrikam, hybrid lab, their users' mailboxes;
                returns app credentials
lab             EntraLab: the seeded simulator on its fixed port for `fixline demo`, app
                credentials stored with the demo's credentials
schema/         the CSDL subset the simulator conforms to (MIT, Microsoft), its cutter and
                its reader (model.py)
"""

from lab.graph.credentials import AppCredential, make_app_credential
from lab.graph.lab import DEFAULT_PORT, EntraLab
from lab.graph.seed import (
    FABRIKAM_CLIENT_ID,
    FABRIKAM_TENANT_ID,
    LAB_CLIENT_ID,
    LAB_TENANT_ID,
    object_id,
    seed,
)
from lab.graph.server import DEFAULT_PERMISSIONS, GraphSimulator
from lab.graph.state import GraphState, Request

__all__ = [
    "DEFAULT_PERMISSIONS",
    "DEFAULT_PORT",
    "FABRIKAM_CLIENT_ID",
    "FABRIKAM_TENANT_ID",
    "LAB_CLIENT_ID",
    "LAB_TENANT_ID",
    "AppCredential",
    "EntraLab",
    "GraphSimulator",
    "GraphState",
    "Request",
    "make_app_credential",
    "object_id",
    "seed",
]
