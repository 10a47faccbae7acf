"""docker-compose.yml, deploy/prometheus.yml and the Grafana dashboard agree with each other
and with what the processes really export (Docker does not run here: this reads them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import redis
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_PREFIX

ROOT = Path(__file__).resolve().parents[2]


def load(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))


def test_compose_services_and_their_mounts() -> None:
    compose = load("docker-compose.yml")
    services = compose["services"]
    bots = ["bot1", "bot2"]  # two webhook processes behind the proxy
    assert {"redis", *bots, "proxy", "worker", "prometheus", "grafana", "rq-dashboard"} <= set(
        services
    )
    port = int(services["bot1"]["environment"]["METRICS_PORT"])
    assert int(services["bot2"]["environment"]["METRICS_PORT"]) == port
    assert int(services["worker"]["environment"]["METRICS_PORT"]) == port
    assert set(services["prometheus"]["depends_on"]) >= {*bots, "worker"}
    prom = load("deploy/prometheus.yml")
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["tg-support-bot"]["static_configs"][0]["targets"] == [f"{b}:{port}" for b in bots]
    [dns] = jobs["tg-support-worker"]["dns_sd_configs"]
    assert dns["names"] == ["worker"] and dns["port"] == port
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume
    provider = load("deploy/grafana/provisioning/dashboards/tg-support.yml")["providers"][0]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in services["grafana"]["volumes"]}
    assert (ROOT / mounted[provider["options"]["path"]] / "tg-support.json").exists()
    dash = services["rq-dashboard"]
    assert (ROOT / dash["build"]["context"] / "Dockerfile").exists()
    assert "redis://redis:6379/0" in dash["command"]
    assert compose["x-app"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_dashboard_queries_only_metrics_the_processes_export(
    redis_sync: redis.Redis, redis_url: str
) -> None:
    from tg_support.core import metrics as core_metrics
    from tg_support.ops.metrics import RedisCollector

    conn = redis.Redis.from_url(redis_url)
    collector = RedisCollector(conn, TEST_PREFIX)
    core_metrics.REGISTRY.register(collector)
    try:
        # Every labelled family shows up once it has a sample.
        core_metrics.UPDATES.labels("command")
        core_metrics.HANDLER_SECONDS.labels("command")
        core_metrics.API_CALLS.labels("sendMessage")
        core_metrics.API_429.labels("sendMessage")
        core_metrics.TRANSLATION_CACHE.labels("hit")
        text = generate_latest(core_metrics.REGISTRY).decode()
    finally:
        core_metrics.REGISTRY.unregister(collector)
        conn.close()
    exported = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    assert "tgs_redis_up" in exported and "tgs_rq_queued_jobs" in exported
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/tg-support.json").read_text())
    datasource = load("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"][0]
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource["uid"]
            used |= set(re.findall(r"tgs_[a-z0-9_]+", target["expr"]))
    assert used and used <= exported, used - exported
