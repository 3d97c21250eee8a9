"""The one shape of every error answer (the app's handlers write it: api/errors.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorResponse(BaseModel):
    """Shape of every error answer."""

    error: ErrorBody
