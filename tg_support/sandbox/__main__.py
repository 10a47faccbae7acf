"""``python -m tg_support.sandbox --host 127.0.0.1 --port 8081 [--scale N]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .limits import Limits
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tg_support.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every flood limit rate")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce flood limits")
    parser.add_argument(
        "--manual-clock", action="store_true", help="time moves only via /control/clock"
    )
    args = parser.parse_args(argv)
    limits = Limits(scale=args.scale, enabled=not args.no_limits)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, limits=limits, manual_clock=args.manual_clock))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
