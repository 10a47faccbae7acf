"""The fuzzing bench in CI: 1,000 hostile updates against `tg-support demo` (bench/fuzz.py):
no unhandled exception, no 429 from the emulator's flood limits, and an exit 0 within the
stop timeout of SIGTERM sent right after a burst. Junk that became a topic is reported, not
asserted: the spam gate is not wired into asking yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)
def test_a_thousand_hostile_updates(redis_url: str, worker_data_dir: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "bench.fuzz", "--updates", "1000", "--users", "60", "--real", "10",
         "--settle", "30", "--redis-url", redis_url, "--data-dir", str(worker_data_dir), "--json"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=880,
    )  # fmt: skip
    print(res.stdout[-3000:], res.stderr[-3000:])
    assert res.returncode == 0
    r = json.loads(res.stdout.strip().splitlines()[-1])
    assert r["updates_sent"] >= 1000
    assert r["unhandled_exceptions"] == 0, Path(r["log"]).read_text()[-5000:]
    assert r["flood_429"] == 0 and r["flood_429_emulator_until_stop"] == 0
    assert r["exit_code"] == 0 and r["stop_seconds"] <= 10
    assert r["real_wrongly_held"] == 0
