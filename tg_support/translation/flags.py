"""What readers flag with "Translation looks wrong", per pair, for admins and for calibration.

A reader presses the button under a translated message; the flag records the pair, the
original and its translation, the model version and the confidence the translation had
(one flag per reader and message). ``/translations`` lists the worst pairs; ``tg-support
models calibrate`` reads the flagged originals as out-of-domain examples of their pair.
Workers count every translation they deliver, so a pair's flags can be read against its
traffic.

Key patterns (``{p}`` is the prefix):

================================  ======  ===============================================
``{p}tr:flag:{orig_id}``          hash    src, dst, text, translation, version, score,
                                          flags (readers who flagged), at
``{p}tr:flag:by:{orig_id}``       set     readers (user ids) who flagged it
``{p}tr:flag:user:{uid}``         set     orig ids this reader flagged (erase, export)
``{p}tr:flags:{src}-{dst}``       zset    flagged orig ids of a pair by time (last
                                          :data:`KEEP` kept)
``{p}tr:flagstat``                hash    ``{src}-{dst}:flags``/``:fsum`` (flags and the
                                          sum of their scores), ``:n``/``:sum`` (deliveries
                                          and the sum of their scores)
================================  ======  ===============================================
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tg_support.core import trail
from tg_support.core.store import Repository

KEEP = 500  # flagged texts kept per pair (calibration reads them all)
TTL = 180 * 24 * 3600


@dataclass(frozen=True)
class PairReport:
    src: str
    dst: str
    flags: int
    flagged_score: float  # mean confidence of the flagged translations
    delivered: int
    mean_score: float  # mean confidence of every translation delivered

    @property
    def share(self) -> float:
        return self.flags / self.delivered if self.delivered else 0.0


class FlagStore(Repository):
    def k_flag(self, orig_id: int) -> str:
        return f"{self.p}tr:flag:{orig_id}"

    def k_by(self, orig_id: int) -> str:
        return f"{self.p}tr:flag:by:{orig_id}"

    def k_user(self, uid: int) -> str:
        return f"{self.p}tr:flag:user:{uid}"

    def k_pair(self, src: str, dst: str) -> str:
        return f"{self.p}tr:flags:{src}-{dst}"

    @property
    def k_stat(self) -> str:
        return f"{self.p}tr:flagstat"

    async def count_delivery(self, src: str, dst: str, score: float) -> None:
        """A worker delivered a translation of ``src-dst`` with this confidence."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.k_stat, f"{src}-{dst}:n", 1)
            pipe.hincrbyfloat(self.k_stat, f"{src}-{dst}:sum", score)
            await pipe.execute()

    async def flag(self, orig_id: int, uid: int, record: dict[str, Any]) -> bool:
        """``uid`` flags translated message ``orig_id`` (its ``tr:orig`` record); False when
        this reader flagged it already."""
        if not await self.redis.sadd(self.k_by(orig_id), str(uid)):
            return False
        src, dst = str(record["src_lang"]), str(record["dst_lang"])
        score = float(record.get("score", 1.0))
        pair = f"{src}-{dst}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.expire(self.k_by(orig_id), TTL)
            pipe.sadd(self.k_user(uid), str(orig_id))
            pipe.expire(self.k_user(uid), TTL)
            mapping: Any = {
                "src": src, "dst": dst, "text": record["original"],
                "translation": record["translation"], "score": str(score),
                "version": str(record.get("model_version", "")), "at": str(time.time()),
            }  # fmt: skip
            pipe.hset(self.k_flag(orig_id), mapping=mapping)
            pipe.hincrby(self.k_flag(orig_id), "flags", 1)
            pipe.expire(self.k_flag(orig_id), TTL)
            # The flagged text is its author's: it goes when they (or a reader of it) erase.
            people = [int(x) for x in record.get("people") or []]
            trail.note_in(pipe, self.p, people, [self.k_flag(orig_id)])
            pipe.zadd(self.k_pair(src, dst), {str(orig_id): time.time()})
            pipe.zremrangebyrank(self.k_pair(src, dst), 0, -KEEP - 1)
            pipe.hincrby(self.k_stat, f"{pair}:flags", 1)
            pipe.hincrbyfloat(self.k_stat, f"{pair}:fsum", score)
            await pipe.execute()
        return True

    async def worst_pairs(self, limit: int = 10) -> list[PairReport]:
        """Pairs with flags, most flagged first (then the higher share of deliveries)."""
        raw: dict[Any, Any] = await self.redis.hgetall(self.k_stat)
        stat = {str(k): float(v) for k, v in raw.items()}
        out = []
        for field, flags in stat.items():
            if not field.endswith(":flags") or flags <= 0:
                continue
            pair = field.removesuffix(":flags")
            src, _, dst = pair.partition("-")
            n = stat.get(f"{pair}:n", 0.0)
            mean = stat.get(f"{pair}:sum", 0.0) / n if n else 0.0
            flagged = stat.get(f"{pair}:fsum", 0.0) / flags
            out.append(PairReport(src, dst, int(flags), flagged, int(n), mean))
        out.sort(key=lambda r: (-r.flags, -r.share, r.src, r.dst))
        return out[:limit]

    async def flagged(self, src: str, dst: str, limit: int = KEEP) -> list[dict[str, str]]:
        """The pair's flagged messages, newest first."""
        ids = await self.redis.zrevrange(self.k_pair(src, dst), 0, limit - 1)
        out = []
        for orig_id in ids:
            raw: dict[Any, Any] = await self.redis.hgetall(self.k_flag(int(str(orig_id))))
            if raw:
                out.append({str(k): str(v) for k, v in raw.items()})
        return out

    async def negatives(self) -> dict[tuple[str, str], list[str]]:
        """Flagged originals by pair: out-of-domain examples for calibration."""
        out: dict[tuple[str, str], list[str]] = {}
        async for key in self.redis.scan_iter(match=f"{self.p}tr:flags:*"):
            pair = str(key).rsplit(":", 1)[1]
            src, _, dst = pair.partition("-")
            texts = [f["text"] for f in await self.flagged(src, dst) if f.get("text")]
            if texts:
                out[(src, dst)] = texts
        return out

    async def erase_user(self, uid: int) -> None:
        """The reader's flags stop naming them; the flagged texts stay (they are the
        message's, not the reader's) for the admins and calibration."""
        ids = await self.redis.smembers(self.k_user(uid))
        async with self.redis.pipeline(transaction=False) as pipe:
            for orig_id in ids:
                pipe.srem(self.k_by(int(orig_id)), str(uid))
            pipe.delete(self.k_user(uid))
            await pipe.execute()

    async def export_user(self, uid: int) -> dict[str, Any]:
        flagged = []
        ids: set[Any] = await self.redis.smembers(self.k_user(uid))
        for orig_id in sorted(ids, key=int):
            raw: dict[Any, Any] = await self.redis.hgetall(self.k_flag(int(orig_id)))
            if raw:
                flagged.append(
                    {"message": int(orig_id), "pair": f"{raw.get('src')}-{raw.get('dst')}",
                     "text": raw.get("text"), "translation": raw.get("translation")}
                )  # fmt: skip
        return {"translations_flagged": flagged}
