"""Files: stored uploads, file ids and paths, media objects and getFile."""

from __future__ import annotations

import re
import secrets
from typing import Any

from .core import WorldCore
from .errors import ApiError, bad
from .models import JSON, BotState, FileRec, Upload
from .params import p_str

MEDIA_KINDS = ("photo", "document", "sticker", "voice", "video", "audio", "animation", "video_note")  # fmt: skip
FILE_PREFIX = {
    "photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI", "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI", "video": "BAACAgIAAxkBAAI", "audio": "CQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI", "video_note": "DQACAgIAAxkBAAI",
}  # fmt: skip
FILE_DIRS = {
    "photo": ("photos", ".jpg"), "document": ("documents", ""), "sticker": ("stickers", ".webp"),
    "voice": ("voice", ".oga"), "video": ("videos", ".mp4"), "audio": ("music", ".mp3"),
    "animation": ("animations", ".mp4"), "video_note": ("video_notes", ".mp4"),
}  # fmt: skip
# a 1×1 PNG, served for generated photos
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class FilesMixin(WorldCore):
    """Files sent by bots and users, and the media objects messages carry."""

    def new_file(
        self, kind: str, content: bytes | None, file_name: str | None = None,
        mime_type: str | None = None, width: int = 0, height: int = 0,
    ) -> FileRec:  # fmt: skip
        n = next(self._ids)
        file_id = f"{FILE_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{n:06d}{secrets.token_urlsafe(12)}"
        folder, ext = FILE_DIRS.get(kind, ("documents", ""))
        if file_name and "." in file_name and kind == "document":
            ext = "." + file_name.rsplit(".", 1)[1]
        rec = FileRec(
            file_id=file_id, file_unique_id=f"AQAD{n:06d}{secrets.token_hex(3)}", kind=kind,
            content=content, file_path=f"{folder}/file_{n}{ext}", file_name=file_name,
            mime_type=mime_type, width=width, height=height,
        )  # fmt: skip
        self.files[file_id] = rec
        self.files_by_path[rec.file_path] = rec
        return rec

    def _file_json(self, rec: FileRec) -> JSON:
        out: JSON = {"file_id": rec.file_id, "file_unique_id": rec.file_unique_id}
        if rec.content is not None:
            out["file_size"] = rec.size
        return out

    def media_object(self, kind: str, rec: FileRec, extra: JSON | None = None) -> Any:
        base = self._file_json(rec)
        if kind == "photo":
            existing = self.photo_sets.get(rec.file_id)
            if existing is not None:
                return existing
            sizes: list[JSON] = []
            for w in (90, 320, 800):
                r = rec if w == 800 else self.new_file("photo", rec.content, width=w, height=w)
                sizes.append({**self._file_json(r), "width": w, "height": w})
            for s in sizes:
                self.photo_sets[s["file_id"]] = sizes
            return sizes
        extra = extra or {}
        if kind == "document":
            base["file_name"] = rec.file_name or "file"
            base["mime_type"] = rec.mime_type or "application/octet-stream"
        elif kind == "sticker":
            base.update(type="regular", width=512, height=512, is_animated=False, is_video=False,
                        emoji=extra.get("emoji") or "🙂")  # fmt: skip
        elif kind == "voice":
            base.update(duration=int(extra.get("duration") or 3), mime_type="audio/ogg")
        elif kind in ("video", "animation"):
            base.update(width=640, height=360, duration=int(extra.get("duration") or 5))
            if rec.file_name:
                base["file_name"] = rec.file_name
        elif kind == "audio":
            base.update(duration=int(extra.get("duration") or 30))
        elif kind == "video_note":
            base.update(length=240, duration=int(extra.get("duration") or 5))
        return base

    def resolve_input_file(self, kind: str, value: Any, params: JSON) -> FileRec:
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, Upload):
            if kind == "photo" and len(value.data) > 10 * 1024 * 1024:
                raise bad("PHOTO_INVALID_DIMENSIONS")
            if len(value.data) > 50 * 1024 * 1024:
                raise ApiError(413, "Request Entity Too Large")
            return self.new_file(
                kind, value.data, value.filename or None, value.content_type or None
            )
        if isinstance(value, str) and value:
            rec = self.files.get(value)
            if rec is not None:
                if rec.kind != kind and not {rec.kind, kind} <= {
                    "document",
                    "video",
                    "audio",
                    "animation",
                }:
                    raise bad(
                        f"can't use file of type {rec.kind.capitalize()} as {kind.capitalize()}"
                    )
                return rec
            if re.match(r"^https?://", value):
                name = value.rstrip("/").rsplit("/", 1)[-1] or None
                return self.new_file(kind, None, name)
            raise bad("wrong file identifier/HTTP URL specified")
        raise bad(f"there is no {kind} in the request")

    # ------------------------------------------------------------------ Bot API
    def m_getfile(self, bot: BotState, params: JSON) -> Any:
        rec = self.files.get(p_str(params, "file_id") or "")
        if rec is None:
            raise bad("invalid file_id")
        out = self._file_json(rec)
        out["file_path"] = rec.file_path
        out.setdefault("file_size", rec.size)
        return out
