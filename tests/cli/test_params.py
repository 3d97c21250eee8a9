"""`fixline run --param`: dotted keys, JSON where the schema expects an object or a list,
text elsewhere (the schema converts it), and conflicts named."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from runner_api.catalog.registry import Catalog
from runner_api.cli.params import ParamsError, parse_params
from runner_api.directory import directory_actions


class _Shapes(BaseModel):
    names: list[str] = []
    labels: dict[str, str] | None = None
    code: str = ""
    days: int = 0


def _reset_schema() -> dict[str, Any]:
    return Catalog(directory_actions()).get("password_reset").params_model.model_json_schema()


def test_an_object_by_its_parts_or_whole_as_json_gives_the_same_params() -> None:
    schema = _reset_schema()
    by_parts = parse_params(
        [
            "username=ben",
            "caller_verification.method=callback",
            "caller_verification.note=called back",
        ],
        schema,
    )
    whole = parse_params(
        [
            "username=ben",
            'caller_verification={"method": "callback", "note": "called back"}',
        ],
        schema,
    )
    assert (
        by_parts
        == whole
        == {
            "username": "ben",
            "caller_verification": {"method": "callback", "note": "called back"},
        }
    )


def test_text_stays_text_where_the_schema_expects_text() -> None:
    schema = _Shapes.model_json_schema()
    params = parse_params(["code=1", "days=30", 'names=["a", "b"]', 'labels={"x": "y"}'], schema)
    assert params == {"code": "1", "days": "30", "names": ["a", "b"], "labels": {"x": "y"}}
    # The schema converts the text where it expects a number, and keeps "1" a string.
    assert _Shapes.model_validate(params).model_dump()["days"] == 30
    assert _Shapes.model_validate(params).code == "1"
    # A field the schema does not know stays text; the schema's validation names it.
    assert parse_params(['other={"a": 1}'], schema) == {"other": '{"a": 1}'}


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["username=a", "username=b"], "give username once"),
        (
            ['caller_verification={"method": "callback"}', "caller_verification.note=x"],
            "give caller_verification once, either whole or by its parts",
        ),
        (["caller_verification.method=callback", "caller_verification={}"], "conflicts with"),
        (["caller_verification={method: callback}"], "is an object or a list, so its value is"),
        (["username"], "takes KEY=VALUE"),
        (["caller_verification.=x"], "takes KEY=VALUE"),
    ],
)
def test_conflicts_and_bad_values_are_named(pairs: list[str], message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        parse_params(pairs, _reset_schema())
