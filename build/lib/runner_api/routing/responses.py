"""A response written straight from a pydantic model, for the hot routes.

FastAPI checks a returned model against the route's response model again, turns it into
plain data and then into JSON with the json module: three passes. pydantic writes the same
JSON in one pass; the route still declares its response model for the OpenAPI document.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as application/json, serialized once by pydantic."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")
