"""The OpenAI-compatible engine against a small fake chat-completions server on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from inference_worker import FailureKind, ImageInput, WorkerConfig, load_profile
from inference_worker.engines.openai_engine import OpenAIEngine
from inference_worker.grammar import finding_grammar
from tests.inference_worker.images import solid_image

FINDING = {
    "lesion_type": "plaque",
    "color": "pink",
    "symmetry": "symmetric",
    "borders": "well-defined",
    "texture": "scaly",
    "summary": "A pink scaly plaque.",
}


@dataclass
class Step:
    """What the fake server does for one request."""

    status: int = 200
    delay_s: float = 0.0
    content: str | None = None  # default: FINDING, with the image width in the summary
    finish_reason: str = "stop"


@dataclass
class FakeServer:
    url: str
    steps: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_step(self) -> Step:
        with self.lock:
            return self.steps.pop(0) if self.steps else Step()


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with server.lock:
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                step = server.next_step()
                time.sleep(step.delay_s)
                if step.status != 200:
                    self._send(step.status, {"error": {"message": f"fake status {step.status}"}})
                    return
                content = step.content
                if content is None:
                    width = _image_from_request(body).width
                    content = json.dumps({**FINDING, "summary": f"width {width}"})
                self._send(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": step.finish_reason,
                            }
                        ],
                        "usage": {"prompt_tokens": 321, "completion_tokens": 45, "total_tokens": 366},
                    },
                )
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)
            finally:
                with server.lock:
                    server.in_flight -= 1

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _image_from_request(body: dict[str, Any]) -> Image.Image:
    (url,) = [part["image_url"]["url"] for part in body["messages"][0]["content"] if part["type"] == "image_url"]
    prefix = "data:image/jpeg;base64,"
    assert url.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :])))


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    holder = FakeServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(holder))
    httpd.daemon_threads = True
    holder.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield holder
    httpd.shutdown()
    httpd.server_close()


_open_engines: list[OpenAIEngine] = []


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    while _open_engines:
        _open_engines.pop().close()


def _engine(url: str, **overrides: Any) -> OpenAIEngine:
    values: dict[str, Any] = {
        "backend": "openai",
        "openai_base_url": url,
        "openai_model": "derm-served",
        "openai_api_key": "sk-test",
        "openai_timeout_s": 2.0,
        "openai_max_retries": 2,
        "openai_concurrency": 2,
        "min_pixels": 4 * 32 * 32,
        "max_pixels": 16 * 32 * 32,
        "max_new_tokens": 200,
    }
    values.update(overrides)
    engine = OpenAIEngine(WorkerConfig(**values), backoff_s=0.01)
    _open_engines.append(engine)
    return engine


def test_openai_engine_sends_image_prompt_and_schema_grammar(fake_server: FakeServer) -> None:
    engine = _engine(fake_server.url)

    (result,) = engine.generate([ImageInput(key="7", image=solid_image(4000, 3000))])

    assert result.ok, result.failure_message
    assert result.finding is not None and result.finding.lesion_type == "plaque"
    assert (result.prompt_tokens, result.output_tokens) == (321, 45)
    assert (result.backend, result.model_id, result.batch_size) == ("openai", "derm-served", 1)
    (request,) = fake_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "derm-served"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 200
    image_part, text_part = body["messages"][0]["content"]
    assert image_part["type"] == "image_url"
    sent = _image_from_request(body)
    assert sent.format == "JPEG"
    assert sent.width * sent.height <= 16 * 32 * 32  # resized before upload
    assert text_part == {"type": "text", "text": load_profile("card").instruction}
    assert len(body["messages"]) == 1  # no system prompt
    # The transformers engine's grammar, in vLLM's structured-outputs field; nothing else constrains the reply.
    assert body["structured_outputs"] == {"grammar": finding_grammar(load_profile("card"))}
    assert "response_format" not in body and "guided_grammar" not in body
    assert result.prompt_version == load_profile("card").prompt_version + "/schema"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"openai_grammar_field": "guided_grammar"}, {"guided_grammar": finding_grammar(load_profile("card"))}),
        ({"decoding": "json"}, {"response_format": {"type": "json_object"}}),
        ({"decoding": "free"}, {}),
        ({"prompt_profile": "unsloth"}, {"structured_outputs": {"grammar": finding_grammar(load_profile("unsloth"))}}),
    ],
    ids=["schema-older-vllm", "json", "free", "schema-unsloth"],
)
def test_openai_engine_request_constraint_per_decoding_mode(
    fake_server: FakeServer, overrides: dict[str, Any], expected: dict[str, Any]
) -> None:
    engine = _engine(fake_server.url, **overrides)
    (result,) = engine.generate([ImageInput(key="1", image=solid_image(64, 64))])
    assert result.ok, result.failure_message
    (request,) = fake_server.requests
    constraint_fields = {"structured_outputs", "guided_grammar", "response_format"}
    sent = {key: value for key, value in request["body"].items() if key in constraint_fields}
    assert sent == expected
    assert result.prompt_version == engine.profile.prompt_version_for(engine.cfg.decoding)


def test_openai_engine_follows_the_profile_text_and_image_position(fake_server: FakeServer) -> None:
    engine = _engine(fake_server.url, prompt_profile="unsloth", max_pixels=0, min_pixels=4 * 32 * 32)
    engine.generate([ImageInput(key="1", image=solid_image(4000, 3000))])
    (request,) = fake_server.requests
    text_part, image_part = request["body"]["messages"][0]["content"]
    assert text_part == {"type": "text", "text": load_profile("unsloth").instruction}
    assert image_part["type"] == "image_url"
    sent = _image_from_request(request["body"])
    assert 256 * 32 * 32 // 2 < sent.width * sent.height <= 256 * 32 * 32  # the profile's image budget


def test_openai_engine_parses_alias_keys_with_the_profile(fake_server: FakeServer) -> None:
    reply = {"Lesion Type": "nevus", "Colour": ["brown", "tan"], **{k: v for k, v in FINDING.items()
                                                                      if k not in ("lesion_type", "color")}}
    fake_server.steps = [Step(content="```json\n" + json.dumps(reply, indent=2) + "\n```")]
    engine = _engine(fake_server.url)
    (result,) = engine.generate([ImageInput(key="1", image=solid_image(64, 64))])
    assert result.finding is not None, result.failure_message
    assert (result.finding.lesion_type, result.finding.color) == ("nevus", "brown; tan")
    assert result.raw_text.startswith("```json")


def test_openai_engine_without_api_key_sends_no_auth_header(fake_server: FakeServer) -> None:
    engine = _engine(fake_server.url, openai_api_key="", decoding="free")
    engine.generate([ImageInput(key="1", image=solid_image(64, 64))])
    (request,) = fake_server.requests
    assert "Authorization" not in request["headers"]
    assert "response_format" not in request["body"]


def test_openai_engine_retries_503_then_succeeds(fake_server: FakeServer) -> None:
    fake_server.steps = [Step(status=503), Step(status=503)]
    engine = _engine(fake_server.url, openai_max_retries=2)

    (result,) = engine.generate([ImageInput(key="r", image=solid_image(64, 64))])

    assert result.ok, result.failure_message
    assert len(fake_server.requests) == 3


def test_openai_engine_gives_engine_error_after_retries_run_out(fake_server: FakeServer) -> None:
    fake_server.steps = [Step(status=502)] * 5
    engine = _engine(fake_server.url, openai_max_retries=1)

    (result,) = engine.generate([ImageInput(key="r", image=solid_image(64, 64))])

    assert result.failure_kind is FailureKind.ENGINE_ERROR
    assert "HTTP 502" in result.failure_message
    assert len(fake_server.requests) == 2


def test_openai_engine_4xx_is_not_retried(fake_server: FakeServer) -> None:
    fake_server.steps = [Step(status=400)]
    engine = _engine(fake_server.url, openai_max_retries=3)

    (result,) = engine.generate([ImageInput(key="bad", image=solid_image(64, 64))])

    assert result.failure_kind is FailureKind.ENGINE_ERROR
    assert "HTTP 400" in result.failure_message
    assert len(fake_server.requests) == 1


def test_openai_engine_timeout_becomes_engine_error_in_bounded_time(fake_server: FakeServer) -> None:
    fake_server.steps = [Step(delay_s=1.5)] * 3
    engine = _engine(fake_server.url, openai_timeout_s=0.3, openai_max_retries=1)

    started = time.perf_counter()
    (result,) = engine.generate([ImageInput(key="slow", image=solid_image(64, 64))])
    elapsed = time.perf_counter() - started

    assert result.failure_kind is FailureKind.ENGINE_ERROR
    assert "timed out" in result.failure_message
    assert len(fake_server.requests) == 2
    assert elapsed < 1.5  # two 0.3 s attempts, not the server's 1.5 s


def test_openai_engine_connection_refused_becomes_engine_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = _engine(f"http://127.0.0.1:{port}/v1", openai_max_retries=1)

    (result,) = engine.generate([ImageInput(key="down", image=solid_image(64, 64))])

    assert result.failure_kind is FailureKind.ENGINE_ERROR
    assert "connection failed" in result.failure_message


def test_openai_engine_length_finish_reason_is_truncated(fake_server: FakeServer) -> None:
    fake_server.steps = [Step(content=json.dumps(FINDING)[:40], finish_reason="length")]
    engine = _engine(fake_server.url)

    (result,) = engine.generate([ImageInput(key="cut", image=solid_image(64, 64))])

    assert result.failure_kind is FailureKind.TRUNCATED
    assert result.raw_text == json.dumps(FINDING)[:40]


def test_openai_engine_keeps_order_and_limits_concurrency(fake_server: FakeServer) -> None:
    fake_server.steps = [Step(delay_s=0.15)] * 6
    engine = _engine(fake_server.url, openai_concurrency=2)
    widths = [64, 96, 128, 160, 192, 224]
    # Wider inputs stay wider after resizing, so the widths the server echoes reveal the order.
    inputs = [ImageInput(key=str(w), image=solid_image(w, 32)) for w in widths]

    results = engine.generate(inputs)

    assert [r.key for r in results] == [str(w) for w in widths]
    sent_widths = [int(r.finding.summary.split()[1]) for r in results if r.finding is not None]
    assert sent_widths == sorted(sent_widths) and len(sent_widths) == 6
    assert fake_server.max_in_flight == 2
