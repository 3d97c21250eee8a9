"""Inbox rules: GET/POST /users/{u}/mailFolders/inbox/messageRules, DELETE .../{id}.

POST takes a messageRule (displayName, sequence and actions required, as Microsoft's page
says) and answers 201 with the rule as stored: recipients get their display name when the
address is a colleague's, senderContains comes back upper-cased (as Graph's own example
shows). Refusals (codes Exchange uses for the condition; Graph documents none):
  a required property missing or empty       400 ErrorInboxRulesValidationError
  a recipient without an address             400 ErrorInvalidRecipients
  DELETE of an id the inbox does not have    404 ErrorItemNotFound
"""

from __future__ import annotations

import time

from lab.graph import bodies
from lab.graph.call import Answer, Call
from lab.graph.errors import BAD_RECIPIENTS, NOT_IN_STORE, RULE_INVALID, GraphError
from lab.graph.exchange import RULES_READ, RULES_WRITE, mailbox_of, owner_context
from lab.graph.mailboxes import MessageRule
from lab.graph.mailjson import rule_json
from lab.graph.query import Rules
from lab.graph.schema.model import subset
from lab.graph.state import Tenant

RECIPIENT_LISTS = ("forwardTo", "redirectTo", "forwardAsAttachmentTo", "fromAddresses",
                   "sentToAddresses")  # fmt: skip
COLLECTION = "mailFolders('inbox')/messageRules"


def list_rules(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, RULES_READ)
    now = time.monotonic()
    shown = sorted((r for r in mailbox.rules if r.visible_at <= now), key=lambda r: r.sequence)
    rules = Rules("messageRule", frozenset(subset().properties("messageRule")))
    return call.listing(shown, rules, rule_json, f"users('{user.id}')/{COLLECTION}")


def create_rule(call: Call) -> Answer:
    user, mailbox = mailbox_of(call, RULES_WRITE)
    sent = bodies.read(call, "messageRule")
    name, sequence, actions = sent.get("displayName"), sent.get("sequence"), sent.get("actions")
    if not isinstance(name, str) or not name.strip() or not isinstance(sequence, int):
        raise GraphError(400, "ErrorInboxRulesValidationError", RULE_INVALID)
    if not isinstance(actions, dict) or not actions:
        raise GraphError(400, "ErrorInboxRulesValidationError", RULE_INVALID)
    enabled = sent.get("isEnabled")
    rule = MessageRule(
        mailbox.new_rule_id(),
        name,
        sequence,
        is_enabled=enabled if isinstance(enabled, bool) else True,
        conditions=_predicates(sent.get("conditions"), call.tenant),
        actions=_predicates(actions, call.tenant),
        exceptions=_predicates(sent.get("exceptions"), call.tenant),
        visible_at=time.monotonic() + call.faults.replication_s,
    )
    mailbox.rules.append(rule)
    context = owner_context(call, user, f"{COLLECTION}/$entity")
    return Answer(201, {"@odata.context": context, **rule_json(rule)})


def delete_rule(call: Call) -> Answer:
    _, mailbox = mailbox_of(call, RULES_WRITE)
    now = time.monotonic()
    rule = next((r for r in mailbox.rules if r.id == call.args[1] and r.visible_at <= now), None)
    if rule is None:
        raise GraphError(404, "ErrorItemNotFound", NOT_IN_STORE)
    mailbox.rules.remove(rule)
    return Answer(204)


def _predicates(sent: object, tenant: Tenant) -> dict[str, object]:
    """Conditions or actions as Exchange stores them (empty when not sent)."""
    if not isinstance(sent, dict):
        return {}
    stored: dict[str, object] = {}
    for key, value in sent.items():
        if key in RECIPIENT_LISTS and isinstance(value, list):
            value = [_recipient(item, tenant) for item in value]
        elif key == "senderContains" and isinstance(value, list):
            value = [str(text).upper() for text in value]
        if value is not None:
            stored[key] = value
    return stored


def _recipient(sent: object, tenant: Tenant) -> dict[str, object]:
    found = sent.get("emailAddress") if isinstance(sent, dict) else None
    email: dict[str, object] = found if isinstance(found, dict) else {}
    address = email.get("address")
    if not isinstance(address, str) or "@" not in address:
        raise GraphError(400, "ErrorInvalidRecipients", BAD_RECIPIENTS)
    colleague = tenant.find_by_address(address)
    name = colleague.display_name if colleague else (email.get("name") or address)
    return {"emailAddress": {"name": name, "address": address}}
