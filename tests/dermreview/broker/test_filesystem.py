"""The filesystem broker (dermreview/broker/filesystem.py): a message is visible only once complete, a file that
does not parse never stops a consumer, and many writers and readers at once lose and duplicate nothing.

Stock kombu fails each of these: it writes a message file in place, so a polling reader moves and parses it half
written (`JSONDecodeError`, the worker dies, the message is lost), and two processes declaring at once write one
exchange table over each other.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from kombu import Connection, Exchange, Producer, Queue

from dermreview.broker import filesystem as broker_filesystem
from dermreview.broker.filesystem import Transport

ROOT = Path(__file__).resolve().parents[3]
QUEUE = "gpu"
# A fork, not a spawn: the children only need kombu, and spawning six fresh interpreters would cost seconds.
FORK = multiprocessing.get_context("fork")
EXCHANGES = [f"pidbox-{n}" for n in range(300)]


@pytest.fixture
def broker(tmp_path: Path) -> dict[str, Any]:
    """Transport options for a broker folder of this test's own."""
    options: dict[str, Any] = {
        "data_folder_in": str(tmp_path / "queue"), "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"), "quarantine_folder": str(tmp_path / "quarantine"),
        "processed_folder": str(tmp_path / "processed"), "polling_interval": 0,
    }
    for key in ("data_folder_in", "control_folder"):
        os.makedirs(options[key], exist_ok=True)
    return options


def _connection(options: dict[str, Any]) -> Connection:
    return Connection("filesystem://", transport=Transport, transport_options=options)


def _publish(options: dict[str, Any], bodies: list[dict[str, Any]]) -> None:
    with _connection(options) as connection:
        producer = Producer(connection.default_channel)
        for body in bodies:
            producer.publish(body, exchange="", routing_key=QUEUE, serializer="json")


def _upload_message(number: int) -> dict[str, Any]:
    # Sizes up to a few hundred KB: the bigger the file, the longer kombu's in-place write stays half done.
    photos = [f"photo-{number}-{i}.jpg" for i in range(3)]
    return {"upload": number, "photos": photos, "pad": "x" * (number % 7 * 40_000)}


def _visible_messages(options: dict[str, Any]) -> list[Path]:
    return sorted(Path(options["data_folder_in"]).glob(f"*.{QUEUE}.msg"))


class _PausingFile:
    """A message file whose write stops half way until the test lets it go on."""

    def __init__(self, file: IO[bytes], halfway: threading.Event, go_on: threading.Event) -> None:
        self._file, self._halfway, self._go_on = file, halfway, go_on

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self._file.write(data[:half])
        self._file.flush()
        self._halfway.set()
        assert self._go_on.wait(10)
        return half + self._file.write(data[half:])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> _PausingFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()


def test_filesystem_broker_reader_polling_during_a_slow_write_sees_nothing_then_the_whole_message(
    broker: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    halfway, go_on = threading.Event(), threading.Event()

    def pausing_open(path: str, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        file = open(path, mode, *args, **kwargs)  # noqa: SIM115 - closed by the wrapper or the caller
        return _PausingFile(file, halfway, go_on) if "w" in mode and ".msg" in str(path) else file

    monkeypatch.setattr(broker_filesystem, "open", pausing_open, raising=False)
    body = _upload_message(6)
    writer = threading.Thread(target=_publish, args=(broker, [body]))
    writer.start()
    try:
        assert halfway.wait(10), "the message was never written"
        with _connection(broker) as connection:
            channel = connection.default_channel
            for _ in range(20):  # a worker polling while the write is half done
                assert _visible_messages(broker) == []
                assert channel.basic_get(QUEUE, no_ack=True) is None
            go_on.set()
            writer.join(10)
            message = channel.basic_get(QUEUE, no_ack=True)
    finally:
        go_on.set()
        writer.join(10)
    assert message is not None and message.decode() == body
    assert os.listdir(broker["data_folder_in"]) == []  # no temporary or claimed file left behind


def test_filesystem_broker_skips_an_unreadable_file_then_quarantines_it(
    broker: dict[str, Any], caplog: pytest.LogCaptureFixture,
) -> None:
    queue = Path(broker["data_folder_in"])
    # Sorted first, as the oldest messages are: an empty file (a writer's, just opened) and a cut-off one.
    (queue / f"1_a.{QUEUE}.msg").write_bytes(b"")
    (queue / f"2_b.{QUEUE}.msg").write_bytes(b'{"body": "eyJ1cGxvYWQiOiAx')
    _publish(broker, [{"upload": 1}])

    with _connection(broker) as connection, caplog.at_level(logging.ERROR, logger=broker_filesystem.__name__):
        channel = connection.default_channel
        message = channel.basic_get(QUEUE, no_ack=True)
        assert message is not None and message.decode() == {"upload": 1}
        # Young files stay where they are: a writer may still be finishing them.
        assert [path.name for path in _visible_messages(broker)] == [f"1_a.{QUEUE}.msg", f"2_b.{QUEUE}.msg"]
        assert caplog.records == []

        long_ago = time.time() - 3600
        for path in _visible_messages(broker):
            os.utime(path, (long_ago, long_ago))
        assert channel.basic_get(QUEUE, no_ack=True) is None

    assert _visible_messages(broker) == []
    assert sorted(os.listdir(broker["quarantine_folder"])) == [f"1_a.{QUEUE}.msg", f"2_b.{QUEUE}.msg"]
    assert len(caplog.records) == 2 and "moved to" in caplog.records[0].getMessage()


def _consume(options: dict[str, Any], published: Any, results: Any) -> None:
    received: list[int] = []
    try:
        with _connection(options) as connection:
            channel = connection.default_channel
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done = published.is_set()  # read before polling: a message sent before it is still found
                message = channel.basic_get(QUEUE, no_ack=True)
                if message is not None:
                    received.append(message.decode()["upload"])
                elif done:
                    break
    except Exception as exc:  # the consumer died, as Celery's would
        results.put(("crashed", repr(exc)))
        return
    results.put(("ok", received))


def _run_consumers(options: dict[str, Any], publishers: list[list[int]], consumers: int) -> list[tuple[str, Any]]:
    published, results = FORK.Event(), FORK.Queue()
    readers = [FORK.Process(target=_consume, args=(options, published, results)) for _ in range(consumers)]
    writers = [FORK.Process(target=_publish, args=(options, [_upload_message(n) for n in numbers]))
               for numbers in publishers]
    for process in [*readers, *writers]:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0, "a publisher failed"
    published.set()
    outcome = [results.get(timeout=90) for _ in readers]
    for process in readers:
        process.join(10)
    return outcome


def test_filesystem_broker_many_concurrent_uploads_reach_the_consumers_exactly_once(broker: dict[str, Any]) -> None:
    # Four browsers uploading at once, 100 messages each, while two workers drain the queue.
    publishers = [list(range(start, start + 100)) for start in range(0, 400, 100)]
    started = time.monotonic()

    outcome = _run_consumers(broker, publishers, consumers=2)

    assert [status for status, _ in outcome] == ["ok", "ok"], outcome
    received = sorted(number for _, numbers in outcome for number in numbers)
    assert received == list(range(400))  # none lost, none twice
    assert os.listdir(broker["data_folder_in"]) == []
    assert time.monotonic() - started < 60


def _declare(options: dict[str, Any], number: int, barrier: Any, results: Any) -> None:
    with _connection(options) as connection:
        channel = connection.default_channel
        try:
            for exchange in EXCHANGES:
                barrier.wait(30)  # all at once, as workers start
                Queue(f"worker-{number}.{exchange}", Exchange(exchange, type="fanout"), channel=channel).declare()
        except Exception as exc:
            barrier.abort()  # the others stop at their next round instead of waiting for this one
            results.put(repr(exc))
            return
        results.put("ok")


def test_filesystem_broker_workers_declaring_at_once_all_keep_their_binding(broker: dict[str, Any]) -> None:
    # Workers starting together each bind their remote-control queue to one fanout exchange; 300 rounds,
    # since one round catches kombu's race (two tables written over each other) only now and then.
    barrier, results = FORK.Barrier(6), FORK.Queue()
    processes = [FORK.Process(target=_declare, args=(broker, n, barrier, results)) for n in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)

    assert [results.get(timeout=10) for _ in processes] == ["ok"] * 6  # nobody read a table half written
    with _connection(broker) as connection:
        tables = {exchange: connection.default_channel.get_table(exchange) for exchange in EXCHANGES}
    for exchange, table in tables.items():
        assert sorted(binding.queue for binding in table) == [f"worker-{n}.{exchange}" for n in range(6)]


def test_filesystem_broker_is_the_default_of_make_run(tmp_path: Path) -> None:
    # The embedded defaults, as `make run` has them: Celery itself must build this transport, not kombu's.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DERMREVIEW_", "DJANGO_", "CELERY_"))}
    env.update(DERMREVIEW_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="dermreview.settings.development")
    script = ("from dermreview.celery import app;"
              "conn = app.connection_for_write(); print(type(conn.transport).__module__)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "dermreview.broker.filesystem"


@pytest.fixture(autouse=True)
def _no_leftover_children() -> Iterator[None]:
    yield
    for child in multiprocessing.active_children():
        child.kill()
