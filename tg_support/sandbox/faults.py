"""Fault injection: errors armed through the control API for the next matching Bot API calls."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError
from .models import JSON

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault", 401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user", 404: "Not Found",
    409: "Conflict: injected fault", 500: "Internal Server Error", 502: "Bad Gateway",
}  # fmt: skip


@dataclass
class Fault:
    method: str
    error_code: int
    description: str
    count: int
    chat_id: str | None = None
    bot_id: int | None = None
    parameters: JSON | None = None


def fault_from_spec(spec: JSON) -> Fault:
    """A fault as the control API describes it (``method`` ``*`` matches every method)."""
    method = str(spec.get("method") or "*").lower()
    code = int(spec.get("error_code", 400))
    params: JSON = {}
    retry_after = spec.get("retry_after")
    if code == 429 and retry_after is None:
        retry_after = 1
    if retry_after is not None:
        params["retry_after"] = retry_after
    if spec.get("migrate_to_chat_id") is not None:
        params["migrate_to_chat_id"] = int(spec["migrate_to_chat_id"])
    defaults = {**_DEFAULT_DESCRIPTIONS, 429: f"Too Many Requests: retry after {retry_after}"}
    return Fault(
        method=method, error_code=code,
        description=str(spec.get("description") or defaults.get(code, f"Error {code}")),
        count=int(spec.get("count", 1)),
        chat_id=None if spec.get("chat_id") is None else str(spec["chat_id"]),
        bot_id=None if spec.get("bot_id") is None else int(spec["bot_id"]),
        parameters=params or None,
    )  # fmt: skip


def take_fault(faults: list[Fault], bot_id: int, method: str, params: JSON) -> None:
    """Raise the first fault matching this call; a fault is disarmed once its count is spent."""
    chat_id = params.get("chat_id")
    for fault in faults:
        if fault.method not in ("*", method):
            continue
        if fault.bot_id is not None and fault.bot_id != bot_id:
            continue
        if fault.chat_id is not None and str(chat_id) != fault.chat_id:
            continue
        fault.count -= 1
        if fault.count <= 0:
            faults.remove(fault)
        raise ApiError(fault.error_code, fault.description, fault.parameters)
