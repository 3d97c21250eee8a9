"""The inbox's item counts in one EWS request (a small service, like ews_permissions.py).

exchangelib's own path (`account.inbox`, then `refresh()`) discovers the folder tree first:
three GetFolder requests for two numbers. This sends one GetFolder of the distinguished
inbox, IdOnly plus folder:TotalCount and folder:UnreadCount, on exchangelib's transport,
impersonation header and error handling.
"""

from __future__ import annotations

from typing import Any

from exchangelib.services.common import EWSAccountService
from exchangelib.util import MNS, TNS, add_xml_child, create_element

from runner_api.mailbox.ews_permissions import folder_ids
from runner_api.mailbox.gateway import InboxCounts

FIELDS = ("folder:TotalCount", "folder:UnreadCount")


class GetInboxCounts(EWSAccountService):  # type: ignore[misc]
    """GetFolder of the inbox, IdOnly plus its two counts."""

    SERVICE_NAME = "GetFolder"
    element_container_name = f"{{{MNS}}}Folders"
    ERRORS_TO_CATCH_IN_RESPONSE = ()

    def call(self) -> InboxCounts:
        elems = list(self._get_elements(payload=self.get_payload()))
        for elem in elems:
            if isinstance(elem, Exception):
                raise elem
        if len(elems) != 1:
            raise ValueError(f"GetFolder returned {len(elems)} folders for the inbox")
        return InboxCounts(_count(elems[0], "TotalCount"), _count(elems[0], "UnreadCount"))

    def get_payload(self) -> Any:
        payload = create_element(f"m:{self.SERVICE_NAME}")
        shape = create_element("m:FolderShape")
        add_xml_child(shape, "t:BaseShape", "IdOnly")
        extra = create_element("t:AdditionalProperties")
        for uri in FIELDS:
            extra.append(create_element("t:FieldURI", attrs={"FieldURI": uri}))
        shape.append(extra)
        payload.append(shape)
        payload.append(folder_ids("inbox", self.account.primary_smtp_address))
        return payload


def _count(elem: Any, name: str) -> int:
    found = elem.find(f"{{{TNS}}}{name}")
    return int(found.text) if found is not None and found.text else 0
