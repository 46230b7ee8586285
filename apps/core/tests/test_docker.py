"""The container files: `docker compose config` needs an engine, so the YAML is checked structurally here."""
import re
from pathlib import Path

import yaml
from django.conf import settings

DOCKER = Path(settings.BASE_DIR) / "docker"


def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def test_compose_runs_the_production_topology():
    services = _compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert services["web"]["command"] == ["gunicorn", "-c", "python:twin.gunicorn_conf", "twin.asgi:application"]
    assert services["web"]["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-2}"
    worker = services["worker"]["command"]
    assert worker[:4] == ["celery", "-A", "twin", "worker"]
    queues = worker[worker.index("-Q") + 1].split(",")
    assert set(queues) == set(settings.CELERY_TASK_QUEUES_NAMES)
    assert services["beat"]["command"][:4] == ["celery", "-A", "twin", "beat"]
    assert "replicas" not in str(services["beat"].get("deploy", {}))
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        assert service["env_file"] == ".env"
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert (Path(settings.BASE_DIR) / services["web"]["build"]["dockerfile"]).exists()


def test_env_example_covers_every_required_production_setting():
    production = (Path(settings.BASE_DIR) / "twin" / "settings" / "production.py").read_text()
    required = set(re.findall(r'env(?:\.\w+)?\("([A-Z0-9_]+)"\)', production))
    example = (DOCKER / ".env.example").read_text()
    defined = set(re.findall(r"(?m)^([A-Z0-9_]+)=", example))
    assert required, "production settings read no required variables?"
    assert required <= defined, required - defined
    assert {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "DJANGO_ALLOWED_HOSTS"} <= defined


def test_dockerfile_is_slim_non_root_and_production_only():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    instructions = [line for line in dockerfile.splitlines() if line and not line.startswith("#")]
    assert instructions[0].startswith("FROM python:3.11-slim")
    assert "pip install -r requirements/production.txt" in dockerfile
    assert "test.txt" not in dockerfile and "local.txt" not in dockerfile
    assert "collectstatic --noinput" in dockerfile
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users == ["twin"]
    assert instructions[-1] == 'CMD ["gunicorn", "-c", "python:twin.gunicorn_conf", "twin.asgi:application"]'
    # the compiled engine is built in a throwaway stage: the image gets its binaries, not the compiler
    stages = dockerfile.split("\nFROM ")
    assert "python -m apps.bias.engine.compile --strict" in stages[-2] and "gcc" in stages[-2]
    assert "gcc" not in stages[-1] and "COPY --from=engine --chown=twin:twin /app/.build /app/.build" in stages[-1]
    assert ".build" in (DOCKER / "Dockerfile.dockerignore").read_text().split()  # never the host's binaries
    production_requirements = (Path(settings.BASE_DIR) / "requirements" / "production.txt").read_text()
    assert "-r base.txt" in production_requirements
    assert "pytest" not in production_requirements
