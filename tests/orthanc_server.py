"""A real DICOM archive for the pacs tests: Orthanc with its DICOMweb plugin (Debian `orthanc`, `orthanc-dicomweb`).

The session fixture `orthanc` starts its own `Orthanc` process from a temporary configuration: a free HTTP port on
127.0.0.1 only, the DICOM (DIMSE) server off, storage in a temporary folder, HTTP basic authentication on, and the
DICOMweb plugin at `/dicom-web/`. Without the packages the tests skip, unless DERMREVIEW_REQUIRE_ORTHANC=1
(.ci/run sets it), where that is a failure: CI never skips them silently.

Also runnable for trials: `python -m tests.orthanc_server` prints the variables to use and waits.
"""

from __future__ import annotations

import email.message
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server_process import log_tail, stop_group

DICOMWEB_PLUGIN_PATHS = (
    Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
    Path("/usr/lib/orthanc/plugins/libOrthancDicomWeb.so"),
)


def orthanc_binary() -> Path | None:
    found = shutil.which("Orthanc") or next(
        (p for p in ("/usr/sbin/Orthanc", "/usr/bin/Orthanc") if os.access(p, os.X_OK)), None)
    return Path(found) if found else None


def dicomweb_plugin() -> Path | None:
    return next((path for path in DICOMWEB_PLUGIN_PATHS if path.is_file()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OrthancServer:
    """One Orthanc process; `dicomweb_url` is what DERMREVIEW_DICOM_STOW_URL points at."""

    def __init__(self, root: Path, binary: Path, plugin: Path) -> None:
        self.root, self.binary, self.plugin = root, binary, plugin
        self.port = _free_port()
        self.username, self.password = "dermreview", secrets.token_hex(12)
        self.url = f"http://127.0.0.1:{self.port}"
        self.dicomweb_url = f"{self.url}/dicom-web"
        self.process: subprocess.Popen[bytes] | None = None

    def config(self) -> dict[str, Any]:
        return {
            "Name": "DermReviewTestArchive",
            "StorageDirectory": str(self.root / "storage"),
            "IndexDirectory": str(self.root / "index"),
            "HttpPort": self.port,
            "RemoteAccessAllowed": False,
            "HttpServerEnabled": True,
            "DicomServerEnabled": False,
            "DicomPort": _free_port(),
            "AuthenticationEnabled": True,
            "RegisteredUsers": {self.username: self.password},
            "Plugins": [str(self.plugin)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": True, "Ssl": False,
                         "StudiesMetadata": "Full", "SeriesMetadata": "Full"},
            "StableAge": 1,
        }

    def start(self, timeout: float = 60.0) -> OrthancServer:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "orthanc.json"
        config.write_text(json.dumps(self.config()))
        with (self.root / "orthanc.log").open("ab") as log:
            self.process = subprocess.Popen([str(self.binary), str(config)], cwd=self.root, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if self.get("/dicom-web/studies").status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Orthanc not ready after {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", auth=(self.username, self.password), timeout=30, **kwargs)

    def environment(self) -> dict[str, str]:
        return {"DERMREVIEW_DICOM_STOW_URL": self.dicomweb_url, "DERMREVIEW_DICOM_USERNAME": self.username,
                "DERMREVIEW_DICOM_PASSWORD": self.password}

    def qido_studies(self, **query: str) -> list[dict[str, Any]]:
        response = self.get("/dicom-web/studies", params=query, headers={"Accept": "application/dicom+json"})
        response.raise_for_status()
        return response.json() if response.content else []

    def wado_study(self, study_uid: str) -> list[bytes]:
        """Every instance of the study as Part 10 files (WADO-RS, multipart/related)."""
        response = self.get(f"/dicom-web/studies/{study_uid}",
                            headers={"Accept": 'multipart/related; type="application/dicom"'})
        response.raise_for_status()
        return multipart_parts(response.headers["content-type"], response.content)

    def log_tail(self, chars: int = 4000) -> str:
        return log_tail(self.root / "orthanc.log", chars)

    def stop(self) -> None:
        stop_group(self.process, grace_s=10)


def multipart_parts(content_type: str, body: bytes) -> list[bytes]:
    """The bodies of a multipart/related response, split byte-exactly on its boundary (binary parts)."""
    boundary = email.message.Message()
    boundary["content-type"] = content_type
    delimiter = b"\r\n--" + boundary.get_param("boundary").encode()
    parts = (b"\r\n" + body).split(delimiter)[1:]  # before the first delimiter: the preamble
    bodies = []
    for part in parts:
        if part.startswith(b"--"):  # the closing delimiter
            break
        bodies.append(part.split(b"\r\n\r\n", 1)[1])
    return bodies


def _require() -> tuple[Path, Path]:
    binary, plugin = orthanc_binary(), dicomweb_plugin()
    if binary is None or plugin is None:
        message = "needs Orthanc and its DICOMweb plugin: apt-get install orthanc orthanc-dicomweb"
        if os.environ.get("DERMREVIEW_REQUIRE_ORTHANC") == "1":
            pytest.fail(f"DERMREVIEW_REQUIRE_ORTHANC=1 but the test {message}")
        pytest.skip(message)
    return binary, plugin


# --- pytest fixtures (registered in tests/conftest.py) ----------------------------------------------------------------


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """An Orthanc archive with DICOMweb for the whole run."""
    binary, plugin = _require()
    server = OrthancServer(tmp_path_factory.mktemp("orthanc"), binary, plugin).start()
    yield server
    server.stop()


@pytest.fixture
def dicom_archive(orthanc: OrthancServer, settings: Any) -> OrthancServer:
    """DermReview's settings pointed at the archive (as the DERMREVIEW_DICOM_* variables would)."""
    settings.DERMREVIEW_DICOM_STOW_URL = orthanc.dicomweb_url
    settings.DERMREVIEW_DICOM_USERNAME, settings.DERMREVIEW_DICOM_PASSWORD = orthanc.username, orthanc.password
    settings.DERMREVIEW_DICOM_TIMEOUT_S = 30
    return orthanc


def main() -> None:
    binary, plugin = orthanc_binary(), dicomweb_plugin()
    if binary is None or plugin is None:
        sys.exit("no Orthanc: apt-get install orthanc orthanc-dicomweb")
    with tempfile.TemporaryDirectory(prefix="dermreview-orthanc-") as root:
        server = OrthancServer(Path(root), binary, plugin).start()
        print(f"Orthanc is up at {server.url} (explorer). For make run, export:")
        for name, value in server.environment().items():
            print(f"export {name}={value}")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


if __name__ == "__main__":
    main()
