"""The two kinds of errors the sandbox answers with: Bot API errors and control API errors."""

from __future__ import annotations

from .models import JSON


class ApiError(Exception):
    """A Bot API error: becomes ``{"ok": false, "error_code": …, "description": …}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


class ControlError(Exception):
    """An error of the control API (``{"ok": false, "error": …}``)."""

    def __init__(self, status: int, error: str, extra: JSON | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.extra = extra or {}
