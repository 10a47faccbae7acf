"""The ``tg-support`` command: run, demo, worker, status, sandbox, models."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from tg_support.config import ConfigError, Settings, load_settings
from tg_support.core.logs import setup_logging
from tg_support.core.spawn import spawn_worker

log = logging.getLogger("tg_support")


def _redis_url(settings: Settings, *, for_workers: bool = False) -> tuple[str, object | None]:
    """``REDIS_URL``, or an embedded server owned by this process."""
    if settings.redis_url:
        return settings.redis_url, None
    if for_workers:
        raise ConfigError(
            "REDIS_URL: workers must share the bot's Redis; set REDIS_URL (the bot prints "
            "it when it starts an embedded one)"
        )
    from tg_support.core.redis_conn import EmbeddedRedis

    embedded = EmbeddedRedis(settings.data_dir / "redis")
    return embedded.url, embedded


def cmd_run(args: argparse.Namespace) -> int:
    from tg_support.app import build_application
    from tg_support.core.lifecycle import serve

    settings = load_settings()
    settings.token()  # fail early, with the one-line message, when it is missing
    url, embedded = _redis_url(settings)
    worker = None
    if embedded is not None and not args.no_worker:
        log.info("no REDIS_URL: started an embedded Redis at %s and one worker", url)
        worker = spawn_worker({"REDIS_URL": url})
    app = build_application(settings, url)
    told: list[bool] = []

    def tell() -> None:
        if worker is not None:
            worker.terminate()
            told.append(True)

    try:
        if args.webhook or settings.mode == "webhook":
            if not settings.webhook_url:
                raise ConfigError("WEBHOOK_URL: required in webhook mode (the public https URL)")
            from tg_support.webhook import run_webhook

            # Several processes may serve one URL; each user's updates in order (webhook.py).
            run_webhook(app, settings, on_stop=tell)
        else:
            # SIGTERM/SIGINT: stop within STOP_TIMEOUT_SECONDS (core.lifecycle); the embedded
            # worker is told at once, so both stop in the same bound.
            asyncio.run(serve(app, stop_timeout=settings.stop_timeout_seconds, on_stop=tell))
    finally:
        if worker is not None:
            if not told:  # a second SIGTERM is RQ's cold shutdown
                worker.terminate()
            try:
                worker.wait(timeout=settings.stop_timeout_seconds + 5)
            except subprocess.TimeoutExpired:
                worker.kill()
        if embedded is not None:
            embedded.stop()  # type: ignore[attr-defined]
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from tg_support.core.redis_conn import sync_client
    from tg_support.core.services import QUEUES
    from tg_support.core.worker import Worker, work_until_stopped

    settings = load_settings()
    url, _ = _redis_url(settings, for_workers=True)
    names = args.queues or list(QUEUES)
    unknown = [q for q in names if q not in QUEUES]
    if unknown:
        raise ConfigError(
            f"--queues: unknown queue {unknown[0]!r}; choose from {', '.join(QUEUES)}"
        )
    conn = sync_client(url, decode_responses=False)
    # Every worker may translate (offers in a helper's language), so every worker sets up
    # argos: cheap (no model is loaded until the first translation).
    from tg_support.translation.argos import publish_pairs
    from workers.translate import prepare, warm_calibrations

    installed = prepare(settings.data_dir)
    pairs = publish_pairs(conn, settings.redis_prefix)
    log.info("translation: installed %s; pairs %s", installed or "nothing new", sorted(pairs))
    if pairs:
        try:
            warm_calibrations()
        except Exception:  # jobs calibrate on first need instead
            log.exception("translation: could not measure the confidence thresholds at start")

    # A SimpleWorker: jobs run in this process, so loaded models stay loaded (core/worker.py).
    def make() -> Worker:
        worker = Worker([settings.redis_prefix + q for q in names], connection=conn)
        worker.grace = args.grace
        worker.stop_timeout = settings.stop_timeout_seconds
        return worker

    from tg_support.ops.process import worker_started

    metrics = worker_started(settings, conn, burst=args.burst)  # /metrics, the digest planner
    try:
        work_until_stopped(
            make,
            burst=args.burst,
            with_scheduler=not args.no_scheduler,
            logging_level=settings.log_level,
        )
    finally:
        if metrics is not None:
            metrics.stop()
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """Translation models: list what is installed, install shipped or index packages."""
    from pathlib import Path

    from tg_support.translation import argos as translation

    settings = load_settings()
    translation.configure(settings.data_dir)
    import argostranslate.package

    if args.action == "list":
        packages = argostranslate.package.get_installed_packages()
        if not packages:
            print("no translation models installed (try: tg-support models install-shipped)")
        for p in sorted(packages, key=lambda p: (p.from_code, p.to_code)):
            print(f"{p.from_code} -> {p.to_code}  {p.package_version}  {p.package_path}")
        return 0
    if args.action == "calibrate":
        return asyncio.run(_calibrate(settings))
    if args.action == "install-shipped":
        paths = (
            sorted(Path(args.dir).glob("*.argosmodel"))
            if args.dir
            else sorted(translation.SHIPPED_MODELS.glob("*.argosmodel"))
        )
        done = translation.install_models(paths)
        print(
            f"installed {len(done)} of {len(paths)} packages"
            + (f": {', '.join(done)}" if done else " (all present)")
        )
        return 0
    # install CODE: from the argos package index (needs internet), e.g. es-en or es (both ways).
    codes = args.code.split("-")
    import urllib.request

    from argostranslate import settings as argos_settings

    try:
        # argos retries an unreachable index recursively for a minute; ask once, briefly.
        urllib.request.urlopen(argos_settings.remote_package_index, timeout=5).close()
        argostranslate.package.update_package_index()
        available = argostranslate.package.get_available_packages()
    except Exception as exc:  # the index is a download: no network is a normal condition
        raise ConfigError(
            f"models: cannot reach the argos package index ({exc.__class__.__name__}); "
            "install .argosmodel files with `tg-support models install-shipped --dir DIR`"
        ) from None
    wanted = [
        p for p in available
        if (len(codes) == 2 and (p.from_code, p.to_code) == (codes[0], codes[1]))
        or (len(codes) == 1 and codes[0] in (p.from_code, p.to_code) and "en" in (p.from_code, p.to_code))
    ]  # fmt: skip
    if not wanted:
        raise ConfigError(f"models: no package for {args.code!r} in the argos index")
    for p in wanted:
        print(f"downloading {p.from_code} -> {p.to_code} {p.package_version} ...", flush=True)
        argostranslate.package.install_from_path(p.download())
    return 0


async def _calibrate(settings: Settings) -> int:
    from tg_support.core.redis_conn import async_client
    from tg_support.translation import argos as translation
    from tg_support.translation import confidence
    from tg_support.translation.flags import FlagStore

    engine = translation.translator()
    flagged: dict[tuple[str, str], list[str]] = {}
    if settings.redis_url:
        redis = async_client(settings.redis_url)
        try:
            flagged = await FlagStore(redis, settings.redis_prefix).negatives()
        finally:
            await redis.aclose()
    cals = await asyncio.to_thread(translation.calibrate_installed, engine, None, flagged)
    cals.save_file(confidence.calibration_file(settings.data_dir))
    if settings.redis_url:
        redis = async_client(settings.redis_url)
        try:
            for cal in cals.items.values():
                await confidence.CalibrationStore(redis, settings.redis_prefix).save(cal)
        finally:
            await redis.aclose()
    for c in sorted(cals.items.values(), key=lambda c: (c.src, c.dst)):
        print(
            f"{c.src} -> {c.dst} {c.package_version}: threshold {c.threshold:.4f} "
            f"(balanced accuracy {c.balanced_accuracy:.3f} on {c.n_in} in-domain / "
            f"{c.n_out} out-of-domain corpus variants and flagged texts)"
        )
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    """stdin lines → translations on stdout (``--json``: with their confidence)."""
    from tg_support.translation import argos as translation

    settings = load_settings()
    translation.configure(settings.data_dir)
    engine = translation.translator()
    if not engine.installed_pairs():
        translation.install_models(sorted(translation.SHIPPED_MODELS.glob("*.argosmodel")))
    if engine.route(args.src, args.dst) is None:
        raise ConfigError(f"translate: no model for {args.src} -> {args.dst}")
    lines = [line.rstrip("\n") for line in sys.stdin]
    return asyncio.run(_translate_lines(settings, engine, lines, args))


async def _translate_lines(
    settings: Settings, engine: Any, lines: list[str], args: argparse.Namespace
) -> int:
    import json

    from tg_support.core.redis_conn import async_client
    from tg_support.translation import argos as translation
    from tg_support.translation import service

    redis = (
        async_client(settings.redis_url) if settings.redis_url else None
    )
    try:
        prefix = settings.redis_prefix
        cals = await service.calibrations(engine, redis, prefix, settings.data_dir)
        cache = (
            translation.TranslationCache(redis, prefix) if redis is not None
            else service.LocalCache()
        )  # fmt: skip
        results = await translation.translate_messages(
            cache, engine, [(line, []) for line in lines], args.src, args.dst, cals
        )
    finally:
        if redis is not None:
            await redis.aclose()
    legs = engine.route(args.src, args.dst) or []
    for res in results:
        if args.json:
            row = {
                "text": res.text, "confident": res.confident, "score": res.score,
                "translated": res.translated,
                "threshold": [cals.threshold(a, b) for a, b in legs],
                "legs": [f"{a}-{b}" for a, b in legs],
            }  # fmt: skip
            print(json.dumps(row, ensure_ascii=False), flush=False)
        else:
            print(res.text.replace("\n", " "))
    sys.stdout.flush()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from tg_support.ops.status import main as status

    return status(load_settings(), requeue=args.requeue, as_json=args.json)


def _serve(main: Coroutine[Any, Any, None], args: argparse.Namespace) -> int:
    """Run a server until Ctrl-C; a port that cannot be bound is a one-line error."""
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main)
    except OSError as exc:
        raise ConfigError(
            f"--port: cannot listen on {args.host}:{args.port} ({exc.strerror}); try --port 0"
        ) from None
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from tg_support.sandbox import Limits, serve

    limits = Limits(scale=args.scale, enabled=not args.no_limits)
    return _serve(serve(args.host, args.port, limits=limits), args)


def cmd_demo(args: argparse.Namespace) -> int:
    from tg_support.demo import run_demo

    settings = load_settings()
    demo = run_demo(settings, host=args.host, port=args.port, with_worker=not args.no_worker)
    return _serve(demo, args)


def cmd_backfill_trails(args: argparse.Namespace) -> int:
    """Once, at the upgrade that introduced trails (moderation.backfill)."""
    import asyncio

    from tg_support.core.redis_conn import async_client
    from tg_support.moderation.backfill import backfill_trails

    settings = load_settings()
    if not settings.redis_url:
        print("tg-support: backfill-trails needs REDIS_URL", file=sys.stderr)
        return 2
    url = settings.redis_url

    async def run() -> None:
        redis = async_client(url)
        try:
            done = await backfill_trails(redis, settings.redis_prefix)
        finally:
            await redis.aclose()
        print(", ".join(f"{kind}: {n}" for kind, n in sorted(done.items())) or "nothing to do")

    asyncio.run(run())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tg-support",
        description="Multilingual Telegram peer support for MOOC learners.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot (Telegram, or the Bot API server in TELEGRAM_API_URL)",
        description="Run the bot with long polling (default) or a webhook. Needs "
        "TELEGRAM_BOT_TOKEN; uses REDIS_URL or starts an embedded Redis and one worker.",
    )
    run.add_argument(
        "--webhook", action="store_true", help="receive updates by webhook (WEBHOOK_URL)"
    )
    run.add_argument(
        "--no-worker", action="store_true", help="do not start a worker with an embedded Redis"
    )
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser(
        "demo",
        help="run everything locally against the bundled Telegram emulator",
        description="Start the Bot API emulator, an embedded Redis (unless REDIS_URL), the bot "
        "and one RQ worker; seed a small demo world and print what to do next. Ctrl-C stops.",
    )
    demo.add_argument(
        "--host", default="127.0.0.1", help="address of the emulator (default 127.0.0.1)"
    )
    demo.add_argument(
        "--port", type=int, default=8081, help="port of the emulator (0 picks a free one)"
    )
    demo.add_argument("--no-worker", action="store_true", help="do not start the RQ worker")
    demo.set_defaults(func=cmd_demo)

    worker = sub.add_parser(
        "worker",
        help="an RQ worker on the project's queues",
        description="Run an RQ worker (with RQ's scheduler) on the project's queues, most "
        "urgent first. Needs REDIS_URL.",
    )
    worker.add_argument("--queues", nargs="+", metavar="QUEUE", help="only these queues")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.add_argument("--no-scheduler", action="store_true", help="do not run RQ's scheduler")
    worker.add_argument(
        "--grace",
        type=int,
        default=60,
        metavar="SECONDS",
        help="how long after its timeout a job whose worker died is retried (default 60)",
    )
    worker.set_defaults(func=cmd_worker)

    models = sub.add_parser(
        "models",
        help="translation models (argostranslate packages)",
        description="List installed translation models, install the ones shipped in models/ "
        "(or a folder of .argosmodel files), install from the argos index (needs internet), or "
        "calibrate each installed package's confidence threshold (stored in Redis with the "
        "package version when REDIS_URL is set, and in DATA_DIR/argos/calibration.json).",
    )
    models.add_argument("action", choices=["list", "install-shipped", "install", "calibrate"])
    models.add_argument(
        "code", nargs="?", default="", help="for install: a pair (es-en) or a language (es)"
    )
    models.add_argument("--dir", help="for install-shipped: a folder of .argosmodel files")
    models.set_defaults(func=cmd_models)

    translate = sub.add_parser(
        "translate",
        help="translate lines from stdin, as the workers do",
        description="Read lines from stdin and print one translation per line, through the "
        "workers' code path (placeholders, pivot through English, confidence). Uses REDIS_URL "
        "for the cache and thresholds when set, else a local calibration file.",
    )
    translate.add_argument("--from", dest="src", required=True, help="source language code")
    translate.add_argument("--to", dest="dst", required=True, help="target language code")
    translate.add_argument(
        "--json", action="store_true",
        help="one JSON object per line: text, confident, score, threshold, legs",
    )  # fmt: skip
    translate.set_defaults(func=cmd_translate)

    status = sub.add_parser(
        "status",
        help="queues, workers, failed jobs, the rate limiter and translation pairs",
        description="Show the RQ queues, workers and failed jobs, the shared rate limiter's "
        "state and the translation pairs the workers published, from REDIS_URL. For a web "
        "view of the queues, run rq-dashboard (see the README).",
    )
    status.add_argument(
        "--requeue", action="store_true", help="put every failed job back in its queue"
    )
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.set_defaults(func=cmd_status)

    sandbox = sub.add_parser(
        "sandbox",
        help="the Telegram Bot API emulator alone, to test any bot",
        description="Serve the Telegram Bot API emulator and its control API. Point your bot's "
        "base_url at http://HOST:PORT/bot.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    sandbox.add_argument("--scale", type=float, default=1.0, help="multiply every flood limit")
    sandbox.add_argument("--no-limits", action="store_true", help="do not enforce flood limits")
    sandbox.set_defaults(func=cmd_sandbox)

    backfill = sub.add_parser(
        "backfill-trails",
        help="once, after upgrading: let /forget find keys written before trails existed",
        description="Scan the keyspace once and note relayed copies, translated-message maps, "
        "broadcast lists, offers and membership checks in their people's trails.",
    )
    backfill.set_defaults(func=cmd_backfill_trails)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    setup_logging(level if level in {"DEBUG", "INFO", "WARNING", "ERROR"} else "INFO")
    # Ctrl-C and `docker stop` (SIGTERM) both mean a clean stop.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # a signal before the command installed its own handling
        return 0
    except ConfigError as exc:
        print(f"tg-support: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
