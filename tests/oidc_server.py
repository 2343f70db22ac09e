"""A real OpenID Connect provider for the single sign-on tests: tests/oidc_provider/ (django-oauth-toolkit) in its
own process, on 127.0.0.1 and a free port, with an RS256 key made for this run.

`oidc_provider` (session) starts it once DermReview's live server is up (its callback is the registered redirect
URI); `sso_settings(settings, provider, app=...)` points DermReview at one of its applications.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]

# Provider group -> DermReview clinic and role, as a hospital's administrator would write it.
GROUP_MAP = {
    "derm-clinicians": {"organisation": "riverside", "role": "clinician"},
    "derm-reviewers": {"organisation": "riverside", "roles": ["reviewer"]},
}


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    password: str
    applications: dict[str, dict[str, str]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rsa_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "django", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"provider `{' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _wait_until_up(process: subprocess.Popen[bytes], issuer: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test provider exited:\n{log.read_text()}")
        try:
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the test provider did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def oidc_provider(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    folder = tmp_path_factory.mktemp("oidc-provider")
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings", "PYTHONPATH": str(ROOT),
           "OIDC_PROVIDER_DB": str(folder / "provider.sqlite3"), "OIDC_PROVIDER_KEY": _rsa_key_pem(),
           "OIDC_PROVIDER_ISSUER": issuer}
    _manage(env, "migrate", "--noinput", "-v", "0")
    setup = json.loads(_manage(env, "oidc_provider_setup", "--redirect-uri",
                               f"{live_server.url}/accounts/oidc/callback/",
                               "--post-logout-uri", f"{live_server.url}/accounts/login/"))
    log = folder / "provider.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, issuer, log)
        yield OidcProvider(issuer=issuer, password=setup["password"], applications=setup["applications"])
    finally:
        process.terminate()
        process.wait(timeout=10)


def sso_settings(settings: Any, provider: OidcProvider, *, app: str = "dermreview",
                 group_map: dict[str, Any] | None = None) -> None:
    """DermReview signing in through `app` of the test provider, endpoints discovered from its issuer."""
    from dermreview.accounts.oidc.mapping import parse_group_map

    settings.DERMREVIEW_OIDC_ENABLED = True
    settings.DERMREVIEW_OIDC_PROVIDER_NAME = "Riverside Hospital"
    settings.DERMREVIEW_OIDC_ISSUER = provider.issuer
    settings.DERMREVIEW_OIDC_GROUP_MAP = parse_group_map(json.dumps(GROUP_MAP if group_map is None else group_map))
    settings.OIDC_RP_CLIENT_ID = provider.applications[app]["client_id"]
    settings.OIDC_RP_CLIENT_SECRET = provider.applications[app]["client_secret"]
