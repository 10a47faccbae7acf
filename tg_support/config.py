"""Settings from the environment (and an optional ``.env``), validated once at start.

A bad value stops the program with one line naming the variable (see
:func:`load_settings`); the token is a ``SecretStr`` so it never reaches a log or a repr.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{10,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    # A Bot API server other than Telegram's (a local telegram-bot-api, or our emulator).
    telegram_api_url: str | None = None
    # The Bot API HTTP client (``TG_HTTP``): ours on aiohttp (tg_support/http.py), or PTB's
    # httpx. aiohttp costs the bot less CPU per call under concurrency (bench/).
    tg_http: Literal["aiohttp", "httpx"] = "aiohttp"
    redis_url: str | None = None
    redis_prefix: str = "tgs:"
    # High availability: sentinels (host:port,host:port) watching the primary named
    # REDIS_SENTINEL_MASTER. When set, REDIS_URL becomes a redis+sentinel:// URL (its db,
    # user and password kept) that every client resolves through the sentinels
    # (core/redis_conn.py), and acknowledged writes wait for a replica (core/replication.py).
    redis_sentinels: str | None = None
    redis_sentinel_master: str = "tgs"
    redis_sentinel_password: SecretStr | None = None
    data_dir: Path = Path("var")

    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None

    # Prometheus /metrics (ops/metrics.py): 0 = off. A process finding the port taken tries
    # the next ones, up to METRICS_PORTS in all (several workers on one host).
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_ports: int = Field(default=16, ge=1, le=1000)
    metrics_listen: str = "0.0.0.0"

    default_locale: str = "en"
    # After SIGTERM or SIGINT, how long running handlers and a worker's current job may
    # take before they are handed back (left in Redis for the next start).
    stop_timeout_seconds: float = Field(default=10.0, ge=1, le=600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Telegram's documented limits; shared by every process through Redis (see sending.py).
    # The bursts are a little inside Telegram's (see sending.SendLimits).
    send_global_per_second: float = Field(default=30.0, gt=0)
    send_global_burst: int = Field(default=10, ge=1)
    # Sends granted and not yet answered, per process (see sending.SendLimits).
    send_global_in_flight: int = Field(default=10, ge=1)
    send_private_per_second: float = Field(default=1.0, gt=0)
    send_private_burst: int = Field(default=2, ge=1)
    send_group_per_minute: float = Field(default=20.0, gt=0)
    send_group_burst: int = Field(default=5, ge=1)
    # Share of the global rate that low-priority traffic (broadcasts) may never use.
    send_interactive_reserve: float = Field(default=0.2, ge=0, lt=1)

    # Per-user flood control for incoming updates.
    flood_updates: int = Field(default=20, ge=1)
    flood_window_seconds: int = Field(default=10, ge=1)

    max_text_length: int = Field(default=4000, ge=100, le=4096)

    question_reminder_hours: float = Field(default=48.0, gt=0)
    question_autoclose_hours: float = Field(default=24.0, gt=0)
    offer_timeout_seconds: int = Field(default=600, ge=1)
    offer_batch_size: int = Field(default=3, ge=1, le=20)
    offer_rounds: int = Field(default=3, ge=1, le=20)
    # A match_helpers job is stopped (and retried) after this; also the lease of an offer send.
    match_job_timeout_seconds: int = Field(default=60, ge=2)
    translation_timeout_seconds: int = Field(default=30, ge=1)
    # Broadcasts: recipients per delivery job, sends in flight per job, and a job's timeout
    # (a job hands the rest of its chunk to a fresh job after half of it).
    broadcast_chunk_size: int = Field(default=100, ge=1, le=10_000)
    broadcast_concurrency: int = Field(default=4, ge=1, le=64)
    broadcast_job_timeout_seconds: int = Field(default=300, ge=4)
    # Peer-review swaps: a reviewer who has not delivered this long before the author's
    # deadline is reminded; at the second lead the author is offered a new partner (the
    # no-show counts against the reviewer). Requests closer than the matcher's minimum slack
    # to their deadline are not matched; a re-match may go down to the smaller one.
    review_remind_hours: float = Field(default=24.0, gt=0)
    review_rematch_hours: float = Field(default=6.0, gt=0)
    review_min_slack_hours: float = Field(default=6.0, ge=0)
    review_rematch_min_slack_hours: float = Field(default=1.0, ge=0)
    # Matching runs at most this long after a request changed (requests arriving within
    # the window go in the same run).
    review_match_delay_seconds: float = Field(default=2.0, ge=0)

    # Study circles: the planner runs at most once per this many seconds per course (joins in
    # between are planned together); a check-in's answers are summarized after this window
    # (or as soon as every member answered); the first check-in waits at least this long.
    circle_plan_delay_seconds: float = Field(default=5.0, ge=0.5, le=3600)
    circle_checkin_window_hours: float = Field(default=24.0, gt=0)
    circle_first_checkin_days: float = Field(default=3.0, ge=0)

    # Moderation: the mute lengths offered on a report (hours; the first is /mute's default).
    moderation_mute_hours: tuple[float, ...] = (1.0, 24.0, 168.0)

    @field_validator("moderation_mute_hours")
    @classmethod
    def _mute_hours(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if not v or len(v) > 4 or any(not 0 < h <= 24 * 365 for h in v):
            raise ValueError("1 to 4 lengths in hours, each above 0 and at most a year")
        return v

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _TOKEN_RE.match(v.get_secret_value()):
            # Never echo the value: it is a secret even when malformed.
            raise ValueError("must look like 123456:ABC-DEF... (as given by @BotFather)")
        return v

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/") if v else v

    @model_validator(mode="before")
    @classmethod
    def _through_sentinels(cls, data: Any) -> Any:
        # Done on the raw values so that every reader of ``redis_url`` (the bot, the workers
        # it spawns, the CLI) gets the sentinel URL; a malformed list is left for the field
        # validator below, whose message names the variable.
        if not isinstance(data, dict) or not data.get("redis_sentinels"):
            return data
        from tg_support.core.redis_conn import sentinel_url

        secret = data.get("redis_sentinel_password")
        if isinstance(secret, SecretStr):
            secret = secret.get_secret_value()
        try:
            url = sentinel_url(
                str(data["redis_sentinels"]),
                str(data.get("redis_sentinel_master") or "tgs"),
                data.get("redis_url") or None,
                secret or None,
            )
        except ValueError:
            return data
        return {**data, "redis_url": url}

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinels(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v:
            from tg_support.core.redis_conn import SentinelTarget

            SentinelTarget.parse_hosts(v)
            if not str(info.data.get("redis_url") or "").startswith("redis+sentinel://"):
                raise ValueError(
                    "needs a redis:// REDIS_URL or none (TLS and unix sockets are not "
                    "supported through sentinels)"
                )
        return v or None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(redis|rediss|unix|redis\+sentinel)://", v):
            raise ValueError("must start with redis://, rediss://, unix:// or redis+sentinel://")
        if v is not None and v.startswith("redis+sentinel://"):
            from tg_support.core.redis_conn import SentinelTarget

            SentinelTarget.parse(v)
        return v

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        from tg_support.core.i18n import LOCALES

        if v not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return v

    @property
    def bot_api_base_url(self) -> str | None:
        """PTB's ``base_url`` (``…/bot``) for a non-Telegram server, or None for Telegram."""
        if not self.telegram_api_url:
            return None
        url = self.telegram_api_url
        return url if url.endswith("/bot") else f"{url}/bot"

    @property
    def bot_file_base_url(self) -> str | None:
        base = self.bot_api_base_url
        return None if base is None else base[: -len("/bot")] + "/file/bot"

    def token(self) -> str:
        if self.telegram_bot_token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather, "
                "or run `tg-support demo` to try the bot without Telegram"
            )
        return self.telegram_bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        raise ConfigError(f"{field.upper()}: {err['msg']}") from None
