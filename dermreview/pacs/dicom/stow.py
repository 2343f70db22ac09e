"""STOW-RS (PS3.18 10.5): store DICOM objects at `<service root>/studies` in one multipart/related request.

The archive answers with a Store Instances Response: Referenced SOP Sequence (0008,1199) for what it stored,
Failed SOP Sequence (0008,1198) with a Failure Reason (0008,1197) for what it refused. 200 means all stored, 202
some, 409 none; anything else is an error of the request or of the archive. A send counts as delivered only when
every object we sent is among the stored ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

DICOM_JSON = "application/dicom+json"


@dataclass(frozen=True, slots=True)
class StowConfig:
    url: str  # the DICOMweb service root
    timeout_s: float
    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None
    verify: bool | str = True  # False, True or a CA bundle path


@dataclass(frozen=True, slots=True)
class StowResult:
    stored: frozenset[str]
    failed: dict[str, str]  # SOP Instance UID -> reason
    http_status: int


class StowError(Exception):
    """The archive could not be reached, or refused the request, or stored not everything; `message` says which."""

    def __init__(self, message: str, *, result: StowResult | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


def multipart_body(parts: Sequence[bytes]) -> tuple[bytes, str]:
    """The request body and its Content-Type: each part one DICOM Part 10 file."""
    boundary = f"dermreview-{secrets.token_hex(16)}"
    chunks: list[bytes] = []
    for part in parts:
        chunks += [f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode(), part, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/related; type="application/dicom"; boundary={boundary}'


def _uids(response: dict[str, Any], tag: str) -> dict[str, str]:
    """SOP Instance UID -> failure reason ("" for stored) of one sequence of the response."""
    found: dict[str, str] = {}
    for item in (response.get(tag) or {}).get("Value") or []:
        uid = ((item.get("00081155") or {}).get("Value") or [""])[0]
        reason = ((item.get("00081197") or {}).get("Value") or [""])[0]
        if uid:
            found[uid] = f"failure reason {reason:#06x}" if isinstance(reason, int) else str(reason)
    return found


def stow(config: StowConfig, parts: Sequence[bytes], expected: Sequence[str]) -> StowResult:
    """Send `parts`; return when every UID of `expected` is stored, else raise StowError."""
    body, content_type = multipart_body(parts)
    headers = {"Content-Type": content_type, "Accept": DICOM_JSON}
    auth: Any = None
    if config.bearer_token:
        headers["Authorization"] = f"Bearer {config.bearer_token}"
    elif config.username:
        auth = httpx.BasicAuth(config.username, config.password or "")
    url = f"{config.url}/studies"
    try:
        with httpx.Client(timeout=config.timeout_s, verify=config.verify, auth=auth) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise StowError(f"Could not reach the archive at {url}: {type(exc).__name__}: {exc}") from exc
    return _result(url, response, expected)


def _result(url: str, response: httpx.Response, expected: Sequence[str]) -> StowResult:
    try:
        payload = response.json() if response.content else {}
    except ValueError:
        payload = {}
    payload = payload[0] if isinstance(payload, list) and payload else payload
    payload = payload if isinstance(payload, dict) else {}
    result = StowResult(stored=frozenset(_uids(payload, "00081199")), failed=_uids(payload, "00081198"),
                        http_status=response.status_code)
    if response.status_code not in (200, 202, 409):
        excerpt = response.text[:300].strip() or response.reason_phrase
        raise StowError(f"The archive at {url} answered HTTP {response.status_code}: {excerpt}", result=result)
    missing = [uid for uid in expected if uid not in result.stored]
    if missing:
        reasons = "; ".join(f"{uid}: {result.failed.get(uid, 'not in the response')}" for uid in missing[:5])
        raise StowError(f"The archive stored {len(expected) - len(missing)} of {len(expected)} objects "
                        f"(HTTP {response.status_code}). Not stored: {reasons}", result=result)
    return result
