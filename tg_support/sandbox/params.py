"""Reading Bot API parameters the way Telegram does: lenient types, Telegram's error texts."""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError, bad
from .models import JSON


def _missing(key: str) -> ApiError:
    if key == "text":
        return bad("message text is empty")
    return bad(f"{key} is empty")


def p_get(params: JSON, key: str) -> Any:
    v = params.get(key)
    return None if v == "" else v


def p_int(params: JSON, key: str, required: bool = True) -> int | None:
    v = p_get(params, key)
    if v is None:
        if required:
            raise _missing(key)
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    try:
        return int(str(v).strip())
    except ValueError:
        raise bad(f"invalid {key} specified") from None


def p_req_int(params: JSON, key: str) -> int:
    v = p_int(params, key)
    assert v is not None
    return v


def p_str(params: JSON, key: str) -> str | None:
    v = params.get(key)
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    return json.dumps(v)


def p_bool(params: JSON, key: str) -> bool:
    v = params.get(key)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


def p_json(params: JSON, key: str) -> Any:
    v = params.get(key)
    if isinstance(v, str):
        if v == "":
            return None
        try:
            return json.loads(v)
        except ValueError:
            if key == "reply_markup":
                raise bad("can't parse reply keyboard markup JSON object") from None
            raise bad(f"can't parse {key} JSON object") from None
    return v


def p_float(params: JSON, key: str, default: float) -> float:
    v = p_get(params, key)
    if v is None:
        return default
    try:
        return float(v)
    except (TypeError, ValueError):
        raise bad(f"invalid {key} specified") from None
