"""The production stack as docker-compose.yml describes it: services, healthchecks, start order, volumes,
the GPU worker, Redis durability, and nginx's protected-media location (deploy/nginx.conf)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from dermreview.settings import base

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "scorer", "beat")
LONG_RUNNING_APP_SERVICES = ("web", "worker", "scorer", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    return re.sub(r"#[^\n]*", "", text)  # comments out: only directives count


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _env(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """target path -> source (volume name or host path), for short-syntax volumes."""
    mounts = {}
    for entry in service.get("volumes", []):
        source, target, *_ = entry.split(":")
        mounts[target] = source
    return mounts


def _block(conf: str, header: str) -> str:
    """The body of the first `header { ... }` block (no nested braces in the blocks we read)."""
    match = re.search(re.escape(header) + r"\s*\{([^{}]*)\}", conf)
    assert match, f"nginx.conf has no `{header}` block"
    return match.group(1)


def test_compose_has_every_service(services: dict[str, Any]) -> None:
    assert set(services) >= {"postgres", "redis", "s3", "migrate", "web", "worker", "scorer", "beat", "nginx"}


def test_compose_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if service.get("restart") == "no":
            continue  # one-shot jobs are waited on with service_completed_successfully instead
        healthcheck = service.get("healthcheck")
        assert healthcheck and healthcheck.get("test") and not healthcheck.get("disable"), name


def test_compose_one_shot_migrate_runs_before_the_app(services: dict[str, Any]) -> None:
    assert services["migrate"]["restart"] == "no"
    for name in LONG_RUNNING_APP_SERVICES:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_compose_app_services_wait_for_healthy_postgres_and_redis(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"] == {"condition": "service_healthy"}, name
        assert depends_on["redis"] == {"condition": "service_healthy"}, name
        assert depends_on["s3"] == {"condition": "service_healthy"}, name
    assert services["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_compose_app_services_run_production_settings_against_postgres_and_redis(
    services: dict[str, Any],
) -> None:
    for name in APP_SERVICES:
        env = _env(services[name])
        assert env["DJANGO_SETTINGS_MODULE"] == "dermreview.settings.production", name
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"], name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name
        assert "${DJANGO_SECRET_KEY:?" in env["DJANGO_SECRET_KEY"], name  # required, never defaulted


def test_compose_web_is_gunicorn_behind_nginx_streaming_media_from_the_bucket(services: dict[str, Any]) -> None:
    web = services["web"]
    command = _command(web)
    assert command[0] == "gunicorn" and command[-1] == "dermreview.wsgi"
    # The bucket is not published, so Django streams photos after its check (x-accel needs a local folder).
    assert _env(web)["DERMREVIEW_MEDIA_SERVE"] == "django"
    assert _env(web)["DERMREVIEW_MEDIA_DELIVERY"] == "stream"
    assert _env(web)["DERMREVIEW_BEHIND_PROXY"] == "true"
    # Only nginx is reachable from outside: no app or backing service publishes a port.
    published = sorted(name for name, service in services.items() if service.get("ports"))
    assert published == ["nginx"]


def test_compose_volumes_are_declared_and_used(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    assert declared >= {"postgres-data", "redis-data", "s3-data", "static", "models"}
    assert _mounts(services["postgres"])["/var/lib/postgresql/data"] == "postgres-data"
    assert _mounts(services["redis"])["/data"] == "redis-data"
    assert _mounts(services["s3"])["/data"] == "s3-data"
    static_root = _env(services["web"])["DERMREVIEW_STATIC_ROOT"]
    assert _mounts(services["migrate"])[static_root] == "static"  # collectstatic writes here
    assert _mounts(services["worker"])["/srv/var/models"] == "models"
    assert _env(services["worker"])["DERMREVIEW_MODEL"].split(":-")[-1].startswith("/srv/var/models/")
    used = {source for service in services.values() for source in _mounts(service).values()}
    assert declared <= used, f"declared but unused: {declared - used}"


def test_compose_gpu_worker_reserves_an_nvidia_gpu_and_never_forks(services: dict[str, Any]) -> None:
    worker = services["worker"]
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert {"driver": "nvidia", "count": 1, "capabilities": ["gpu"]} in devices
    command = _command(worker)
    assert command[command.index("-Q") + 1] == "gpu"
    assert command[command.index("--pool") + 1] in ("solo", "threads")
    assert worker["build"]["args"]["EXTRAS"] == "worker"
    hostname = command[command.index("--hostname") + 1]
    assert "inspect ping -d " + hostname.split("@")[0] + "@$$HOSTNAME" in str(worker["healthcheck"]["test"])


def test_compose_gpu_queue_matches_the_celery_routes(services: dict[str, Any]) -> None:
    # Every queue a task is routed to is consumed by some worker service.
    consumed = set()
    for name in ("worker", "scorer"):
        command = _command(services[name])
        consumed |= set(command[command.index("-Q") + 1].split(","))
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
    assert routed <= consumed


def test_compose_beat_runs_once_and_scorer_takes_default_scoring_and_pacs(services: dict[str, Any]) -> None:
    assert _command(services["beat"])[:4] == ["celery", "-A", "dermreview", "beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    scorer = _command(services["scorer"])
    assert scorer[scorer.index("-Q") + 1] == "default,scoring,pacs"  # pacs: DICOM sends (dermreview/pacs)


def test_compose_redis_is_durable_and_never_evicts(services: dict[str, Any]) -> None:
    command = " ".join(_command(services["redis"]))
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command


def test_compose_required_values_are_in_env_example(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    optional = set(re.findall(r"\$\{([A-Z0-9_]+):-", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")

    assert required >= {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "POSTGRES_PASSWORD"}
    for name in required:
        assert re.search(rf"^{name}=", example, flags=re.MULTILINE), f"{name} must be uncommented in .env.example"
    for name in optional:
        assert re.search(rf"^#?\s*{name}=", example, flags=re.MULTILINE), f"{name} missing from .env.example"


def test_nginx_protected_media_location_is_internal_and_matches_the_settings(
    services: dict[str, Any], nginx_conf: str
) -> None:
    # For installations with photos in a folder (DERMREVIEW_MEDIA_SERVE=x-accel-redirect); compose uses a bucket.
    prefix = _env(services["web"]).get("DERMREVIEW_MEDIA_ACCEL_PREFIX", base.DERMREVIEW_MEDIA_ACCEL_PREFIX)
    assert prefix == base.DERMREVIEW_MEDIA_ACCEL_PREFIX
    body = _block(nginx_conf, f"location {prefix}")
    assert re.search(r"^\s*internal;", body, flags=re.MULTILINE)
    assert re.search(r"alias /srv/media/;", body)
    assert "nosniff" in body


def test_nginx_serves_static_from_the_collected_volume(services: dict[str, Any], nginx_conf: str) -> None:
    static_root = _env(services["web"])["DERMREVIEW_STATIC_ROOT"]
    body = _block(nginx_conf, f"location {base.STATIC_URL}")
    assert re.search(rf"alias {re.escape(static_root.rstrip('/'))}/;", body)
    assert f"static:{static_root}:ro" in services["nginx"]["volumes"]


def test_nginx_proxies_to_web_and_overwrites_the_client_address(nginx_conf: str) -> None:
    assert re.search(r"upstream dermreview_web\s*\{[^}]*server web:8000;", nginx_conf)
    # The HTTPS server's catch-all (the port-80 one only redirects to https).
    proxied = [body for body in re.findall(r"location / \{([^{}]*)\}", nginx_conf) if "proxy_pass" in body]
    assert len(proxied) == 1
    body = proxied[0]
    assert "proxy_pass http://dermreview_web;" in body
    assert "proxy_set_header X-Real-IP $remote_addr;" in body
    assert "proxy_set_header X-Forwarded-Proto https;" in body


def test_nginx_upload_cap_admits_a_full_upload_request(nginx_conf: str) -> None:
    match = re.search(r"client_max_body_size (\d+)m;", nginx_conf)
    assert match
    assert int(match.group(1)) * 1024 * 1024 >= base.DERMREVIEW_UPLOAD_MAX_FILES * base.DERMREVIEW_UPLOAD_MAX_BYTES


def test_dockerfile_runs_unprivileged_on_python_311_with_a_worker_extra() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^ARG EXTRAS=", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^USER dermreview$", dockerfile, flags=re.MULTILINE)
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    # var/ holds the secret key, the database and patient photos: never in an image.
    assert {"var", ".env", ".venv", ".git"} <= set(ignored)


def test_compose_entrypoint_scripts_exist_and_are_executable(services: dict[str, Any]) -> None:
    for script in ("entrypoint.sh", "migrate.sh"):
        path = ROOT / "deploy" / script
        assert path.read_text().startswith("#!/bin/sh\n")
        assert path.stat().st_mode & 0o111, script
    assert "migrate --noinput" in (ROOT / "deploy" / "migrate.sh").read_text()


def test_compose_app_runs_as_a_role_that_owns_nothing_and_migrations_as_the_owner(services: dict[str, Any]) -> None:
    for name in ("web", "worker", "scorer", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://dermreview_app:"), name
        assert env["DERMREVIEW_DB_APP_ROLE"] == "dermreview_app", name
    migrate = services["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("postgres://dermreview_owner:")
    assert migrate["DERMREVIEW_DB_APP_ROLE"] == "dermreview_app"  # so the owner grants it after migrating
    assert services["postgres"]["environment"]["POSTGRES_USER"] == "postgres"
    init = _mounts(services["postgres"])["/docker-entrypoint-initdb.d/10-roles.sh"]
    script = (ROOT / init.removeprefix("./")).read_text(encoding="utf-8")
    assert "CREATE ROLE dermreview_app LOGIN NOSUPERUSER" in script
    assert "CREATE DATABASE dermreview OWNER dermreview_owner" in script


def test_compose_audit_anchors_live_outside_the_database(compose: dict[str, Any], services: dict[str, Any]) -> None:
    assert "audit-anchors" in compose["volumes"]
    assert _mounts(services["scorer"])["/srv/anchors"] == "audit-anchors"  # the anchor task runs there
    assert _mounts(services["web"])["/srv/anchors"] == "audit-anchors"  # audit_verify reads them
    assert services["web"]["environment"]["DERMREVIEW_AUDIT_ANCHOR_FILE"].startswith("/srv/anchors/")


def test_compose_photos_live_in_the_s3_service_and_no_service_shares_a_media_folder(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    s3 = services["s3"]
    assert s3["image"].startswith("chrislusf/seaweedfs:")
    assert _command(s3)[:2] == ["server", "-s3"]
    assert "ports" not in s3  # only the app services reach the bucket
    assert "/status" in str(s3["healthcheck"]["test"])
    # The GPU workers (and everyone else) read photos through the S3 API: no shared media volume anywhere.
    assert "media" not in compose["volumes"]
    for name, service in services.items():
        assert not any(source == "media" for source in _mounts(service).values()), name
        assert "DERMREVIEW_MEDIA_ROOT" not in _env(service), name
    for name in APP_SERVICES:
        env = _env(services[name])
        assert env["DERMREVIEW_MEDIA_STORAGE"] == "s3", name
        assert env["DERMREVIEW_S3_ENDPOINT_URL"] == "http://s3:8333", name
        # One identity, required from .env, used by the server and by every client.
        assert env["DERMREVIEW_S3_ACCESS_KEY_ID"] == _env(s3)["AWS_ACCESS_KEY_ID"]
        assert env["DERMREVIEW_S3_SECRET_ACCESS_KEY"] == _env(s3)["AWS_SECRET_ACCESS_KEY"]
        assert ":?" in env["DERMREVIEW_S3_SECRET_ACCESS_KEY"]
    # Encryption at rest: asked for by the app, possible because the server has its key.
    assert _env(services["worker"])["DERMREVIEW_S3_SSE"] == "AES256"
    assert "${SEAWEEDFS_SSE_KEY:?" in _env(s3)["WEED_S3_SSE_KEY"]


def test_compose_vllm_profile_serves_the_model_to_a_torch_free_worker(services: dict[str, Any]) -> None:
    vllm, worker = services["vllm"], services["worker-vllm"]
    assert vllm["profiles"] == ["vllm"] and worker["profiles"] == ["vllm"]  # nothing starts without the profile
    assert vllm["image"].startswith("vllm/vllm-openai:")
    command = _command(vllm)
    served = command[command.index("--served-model-name") + 1]
    assert "structured-outputs-config" in " ".join(command) and "xgrammar" in " ".join(command)
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    # The worker is the web image (no torch) on the gpu queue, and refuses to start unless every service drafts
    # through the openai backend, so the identity the web tier records is the one vLLM serves.
    assert worker["image"] == services["web"]["image"] and worker["depends_on"]["vllm"]["condition"] == "service_healthy"
    script = " ".join(_command(worker))
    assert '"$$DERMREVIEW_BACKEND" = openai' in script and "-Q gpu --pool solo" in script
    env = _env(worker)
    assert env["DERMREVIEW_OPENAI_BASE_URL"].endswith(":-http://vllm:8000/v1}")
    assert env["DERMREVIEW_OPENAI_MODEL"] == served  # the same ${...} expression on both sides
    assert env["DERMREVIEW_BACKEND"] == "${DERMREVIEW_BACKEND:-transformers}" == _env(services["web"])["DERMREVIEW_BACKEND"]
