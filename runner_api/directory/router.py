"""GET /directory/users: the user picker, over AD, Entra ID or both."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from runner_api.auth.authorize import require_customer
from runner_api.auth.deps import require
from runner_api.auth.policy import Permission
from runner_api.auth.principal import Principal
from runner_api.directory.picker import Unavailable, UserPicker
from runner_api.directory.schemas import DirectoryUser
from runner_api.directory.service import MAX_LIMIT
from runner_api.routing.services import service

router = APIRouter(prefix="/directory", tags=["directory"])
PickerDep = Annotated[UserPicker, service(UserPicker)]
UNAVAILABLE = "X-Fixline-Unavailable"
UNAVAILABLE_REASON = "X-Fixline-Unavailable-Reason"
# Header values are ASCII text on one line; a reason is a sentence, never a stack.
_REASON_MAX = 600

_HEADERS = {
    UNAVAILABLE: {
        "description": "Only for a hybrid customer one of whose directories did not answer: "
        "`active_directory` or `entra_id` (both, comma-separated, when each failed a "
        "follow-up lookup). The answer holds what the other directory found. Without AD, "
        "synced accounts show what Entra ID knows (`locked` null); without Entra ID, "
        "cloud-only accounts are missing and synced ones may show as `active_directory`.",
        "schema": {"type": "string"},
    },
    UNAVAILABLE_REASON: {
        "description": "Why, per directory named in X-Fixline-Unavailable (` | ` between two):"
        " the error code and message, as the API's error shape gives them (for example "
        "`graph_throttled: ...`); non-ASCII characters as \\uXXXX.",
        "schema": {"type": "string"},
    },
}


@router.get(
    "/users",
    response_model=list[DirectoryUser],
    responses={200: {"description": "The accounts found.", "headers": _HEADERS}},
)
def search_users(
    picker: PickerDep,
    caller: Annotated[Principal, Depends(require(Permission.DIRECTORY_SEARCH))],
    customer: Annotated[str, Query(min_length=1, max_length=64, examples=["lab"])],
    q: Annotated[
        str, Query(min_length=1, max_length=64, description="Name, login or email (prefix).")
    ],
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> list[DirectoryUser]:
    """Users of the customer's directories matching `q`, only those agents may touch.

    Where the customer's accounts live (`identity`): `ad`, Active Directory, inside the user
    OUs; `entra`, Entra ID, in the accepted domains; `hybrid`, both, merged: an account
    synced from AD is one entry (`origin` `synced`). Each entry's `origin` says where its
    fixes go, and `username` is what the actions take. A directory that fails answers the
    API's error (502: `graph_throttled`, `graph_unavailable`, `graph_refused`,
    `directory_unreachable`...; `directories_unavailable` when a hybrid customer's two both
    fail); when one of a hybrid customer's two fails, the other's accounts come with the
    X-Fixline-Unavailable headers. Entra ID is given the customer's `entra.timeout_s` in all.
    """
    require_customer(caller, customer)
    found = picker.search(customer, q, limit)
    if found.unavailable:
        response.headers[UNAVAILABLE] = ", ".join(note.side.value for note in found.unavailable)
        response.headers[UNAVAILABLE_REASON] = " | ".join(map(_reason, found.unavailable))
    return found.users


def _reason(note: Unavailable) -> str:
    text = f"{note.code}: {note.message}"[:_REASON_MAX]
    return "".join(c if " " <= c <= "~" else f"\\u{ord(c):04x}" for c in text)
