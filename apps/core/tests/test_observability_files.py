"""The monitoring files under docker/: Prometheus scrape config and alert rules, the Grafana dashboard and
its provisioning, the compose profile. No engine runs here, so they are checked structurally, against the
metrics the app really exports, and with promtool when it is installed."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings
from prometheus_client import REGISTRY

from apps.core.observability.metrics import SCRAPE_TIME_METRICS

DOCKER = Path(settings.BASE_DIR) / "docker"
OBSERVABILITY = DOCKER / "observability"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",), "summary": ("_count", "_sum")}
PROMQL_WORDS = {"sum", "rate", "by", "le", "max", "histogram_quantile", "clamp_min", "absent", "or", "and"}


def exported_series() -> set[str]:
    """Every series name the app can expose (process metrics and the values read at scrape time)."""
    names = set(SCRAPE_TIME_METRICS)
    for family in REGISTRY.collect():
        if family.name.startswith("twin_"):
            names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\btwin_[a-z0-9_]+\b", expr))


def test_exported_series_are_known():
    names = exported_series()
    assert {"twin_http_requests_total", "twin_http_request_duration_seconds_bucket", "twin_ws_connections_open",
            "twin_push_latency_seconds_bucket", "twin_celery_tasks_total", "twin_job_duration_seconds_bucket",
            "twin_outbox_lag_seconds", "twin_celery_queue_depth", "twin_jobs"} <= names


def _rules() -> list[dict]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    assert set(document) == {"groups"}
    rules = []
    for group in document["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"]
        rules.extend(group["rules"])
    return rules


def test_alert_rules_are_well_formed_and_name_only_exported_metrics():
    exported = exported_series()
    rules = _rules()
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["labels"]["severity"] in {"page", "warn"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["expr"].count("(") == rule["expr"].count(")")
        used = metric_names(rule["expr"])
        assert used and used <= exported, (rule["alert"], used - exported)
    assert len({rule["alert"] for rule in rules}) == len(rules)


def test_the_slo_alerts_have_the_seed_thresholds():
    by_name = {rule["alert"]: " ".join(rule["expr"].split()) for rule in _rules()}
    assert 'twin_celery_tasks_total{state="failure"}' in by_name["TwinQueueFailureRateHigh"]
    assert by_name["TwinQueueFailureRateHigh"].endswith("> 0.02")
    assert "twin_ws_errors_total[1m]" in by_name["TwinSocketErrorRateHigh"]
    assert by_name["TwinSocketErrorRateHigh"].endswith("> 0.01")
    assert by_name["TwinApiLatencyP95High"].startswith("histogram_quantile(0.95,")
    assert 'route=~"api/.*"' in by_name["TwinApiLatencyP95High"]
    assert by_name["TwinApiLatencyP95High"].endswith("> 0.8")
    assert 'kind="trades.importjob"' in by_name["TwinImportP95High"]
    assert by_name["TwinImportP95High"].endswith("> 60")
    assert by_name["TwinPushLatencyP50High"].startswith("histogram_quantile(0.5,")
    assert by_name["TwinPushLatencyP50High"].endswith("> 0.5")


def test_promtool_accepts_the_rules_and_the_scrape_config_when_installed(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:  # the structural checks above still ran
        return
    rules = subprocess.run([promtool, "check", "rules", str(OBSERVABILITY / "alerts.yml")], capture_output=True,
                           text=True, timeout=60)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in rules.stdout
    fired = subprocess.run([promtool, "test", "rules", str(OBSERVABILITY / "alerts_test.yml")], capture_output=True,
                           text=True, timeout=60)
    assert fired.returncode == 0, fired.stdout + fired.stderr
    token = tmp_path / "token"
    token.write_text("t")
    config = (OBSERVABILITY / "prometheus.yml").read_text().replace(
        "/etc/prometheus/alerts.yml", str(OBSERVABILITY / "alerts.yml")).replace("/run/secrets/metrics_token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)
    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_names_only_metrics_the_app_exports():
    dashboard = json.loads((OBSERVABILITY / "grafana" / "dashboards" / "twin.json").read_text())
    datasource = yaml.safe_load((OBSERVABILITY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    exported = exported_series()
    used: set[str] = set()
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["targets"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names and names <= exported, (panel["title"], names - exported)
            used |= names
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    # every SLO of the alerts has a panel
    assert {"twin_celery_tasks_total", "twin_ws_errors_total", "twin_http_request_duration_seconds_bucket",
            "twin_job_duration_seconds_bucket", "twin_push_latency_seconds_bucket"} <= used


def test_prometheus_scrapes_each_process_kind_where_it_serves_metrics():
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    services = compose["services"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["twin-web"]["metrics_path"] == "/metrics"
    assert jobs["twin-web"]["authorization"] == {"type": "Bearer", "credentials_file": "/run/secrets/metrics_token"}
    assert jobs["twin-web"]["static_configs"] == [{"targets": ["web:8000"]}]
    assert services["web"]["environment"]["DJANGO_ALLOWED_HOSTS"].endswith("},web")  # the scrape's Host
    assert jobs["twin-worker"]["static_configs"] == [{"targets": [f"worker:{services['worker']['environment']['METRICS_PORT']}"]}]
    assert jobs["twin-relay"]["dns_sd_configs"] == [  # every replica of the relay
        {"names": ["relay"], "type": "A", "port": int(services["relay"]["environment"]["METRICS_PORT"])}]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]


def test_the_observability_profile_starts_prometheus_grafana_and_a_collector_with_these_files():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    services = compose["services"]
    for name in ("prometheus", "grafana", "otel-collector"):
        assert services[name]["profiles"] == ["observability"]
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DOCKER / source).exists(), volume
    assert "./observability/alerts.yml:/etc/prometheus/alerts.yml:ro" in services["prometheus"]["volumes"]
    assert services["prometheus"]["secrets"] == ["metrics_token"]
    assert compose["secrets"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    for name in ("web", "worker", "relay", "beat"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/prometheus"
        assert "profiles" not in services[name]
    assert services["web"]["environment"]["READYZ_RELAY_MAX_AGE"] == "30"
    collector = yaml.safe_load((OBSERVABILITY / "otel-collector.yml").read_text())
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert collector["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]


def test_the_backup_profile_dumps_nightly_with_the_scripts_in_docker_backup():
    compose = yaml.safe_load((DOCKER / "compose.yml").read_text())
    backup = compose["services"]["backup"]
    assert backup["profiles"] == ["backup"]
    assert backup["entrypoint"] == ["/bin/sh", "/opt/backup/backup-loop.sh"]
    assert "./backup:/opt/backup:ro" in backup["volumes"]
    assert (DOCKER / "backup" / "backup-loop.sh").exists()
    assert "backup-once.sh" in (DOCKER / "backup" / "backup-loop.sh").read_text()
