"""Starting an RQ worker as a child process (the demo, tests and benches run one)."""

from __future__ import annotations

import os
import subprocess
import sys


def spawn_worker(env_overrides: dict[str, str], *, burst: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, **env_overrides}
    cmd = [sys.executable, "-m", "tg_support.cli", "worker"] + (["--burst"] if burst else [])
    return subprocess.Popen(cmd, env=env)
