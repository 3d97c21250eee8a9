"""The field names `fixline secrets set --help` lists (kinds.FIELDS) are the forms' own."""

from __future__ import annotations

from runner_api.secrets.kinds import FIELDS, CredentialKind
from runner_api.secrets.schemas import FORMS


def test_every_kind_lists_the_fields_of_its_form_in_their_order() -> None:
    assert list(FORMS) == list(FIELDS) == list(CredentialKind)
    assert {kind: tuple(form.model_fields) for kind, form in FORMS.items()} == FIELDS
