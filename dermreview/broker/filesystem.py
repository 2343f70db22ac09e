"""kombu's filesystem transport with messages that appear only when complete: the default broker of `make run`.

Stock kombu (kombu/transport/filesystem.py) writes a message in place: `_put` opens
`<data_folder>/<ms>_<uuid>.<queue>.msg`, visible and empty from that moment, then takes an flock and writes. The
reading side never takes that lock: `_get` lists the folder, moves the first matching file away and parses it. A
worker polling every 20 ms therefore picks up files that are still empty or half written; `json.loads` raises in
the worker's consumer loop, the worker dies, and the message is lost with it.

Here:

- a message is written under a hidden name no reader matches, in the same folder (so on the same filesystem),
  fsynced, then renamed into place: it appears complete or not at all;
- a reader claims a file by renaming it within the folder (atomic: exactly one consumer wins it), and a file
  that does not parse is never raised into the consumer: while it is young it is put back for a later poll
  (a writer that does not use this transport may still be busy with it), after that it moves to the quarantine
  folder with an error in the log;
- a new exchange binding table is linked into place complete: a publisher never reads it empty, and workers
  starting together no longer write it over each other (kombu: check, then create with truncation).

Everything else is kombu's: file names (`*.<queue>.msg`, which the queue-depth gauge and purge count on), the
binding tables and their locks, purge and size.

Transport options on top of kombu's: `quarantine_folder` (default: `quarantine` next to `data_folder_in`),
`unreadable_grace_s` (default 30), `fsync` (default True: after a power cut a message file is whole or absent,
never empty; it costs a few milliseconds per message).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
import uuid
from functools import cached_property
from queue import Empty
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

# Hidden names ending in something other than `.msg`: kombu's readers match `<anything>.<queue>.msg` only.
WRITING_SUFFIX = ".writing"
CLAIMED_SUFFIX = ".claimed"


def _hidden_sibling(path: str, suffix: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex}{suffix}")


def _write_hidden(path: str, data: bytes, *, fsync: bool) -> str:
    """Write `data` to a new hidden file next to `path`; its name. Nothing is left behind when writing fails."""
    temp = _hidden_sibling(path, WRITING_SUFFIX)
    try:
        with open(temp, "wb") as f:
            f.write(data)
            if fsync:
                # Without it, a power cut right after the rename could leave an empty file under the final name.
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return temp


def write_atomically(path: str, data: bytes, *, fsync: bool = True) -> None:
    """Write `data` to `path` so that a reader sees either no file (or the old one) or all of `data`."""
    temp = _write_hidden(path, data, fsync=fsync)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def create_complete(path: str, data: bytes) -> bool:
    """Create `path` holding `data`, never visible empty; False (and nothing written) when it exists already."""
    temp = _write_hidden(path, data, fsync=False)
    try:
        os.link(temp, path)  # unlike a rename, a link never replaces: only one of several creators wins
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return True


def read_unlocked(path: str) -> bytes | None:
    """The file's bytes, or None while a writer holds its lock (kombu's own `_put` locks the file it writes)."""
    with open(path, "rb") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        try:
            return f.read()
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def parse_message(raw: bytes | None) -> dict[str, Any] | None:
    """The message a file holds, or None when it holds none (empty, cut short, not JSON, not an object)."""
    if not raw:
        return None
    try:
        payload = loads(bytes_to_str(raw))
    except Exception:  # whatever the file holds, it must not reach (and stop) the consumer loop
        return None
    return payload if isinstance(payload, dict) else None


class Channel(filesystem.Channel):
    """kombu's filesystem channel with atomic message files (see the module docstring)."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # kombu's own file name: whatever counts or purges `*.<queue>.msg` keeps working.
        name = f"{int(round(time.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        try:
            write_atomically(path, str_to_bytes(dumps(payload)), fsync=self.fsync)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc

    def _get(self, queue: str) -> dict[str, Any]:
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            payload = self._take(name)
            if payload is not None:
                return payload
        raise Empty()

    def _take(self, name: str) -> dict[str, Any] | None:
        """Claim message file `name` and read it; None when another consumer won it or it holds no message."""
        source = os.path.join(self.data_folder_in, name)
        claimed = _hidden_sibling(source, CLAIMED_SUFFIX)
        try:
            os.rename(source, claimed)
        except OSError:
            return None  # another consumer renamed it first
        try:
            payload = parse_message(read_unlocked(claimed))
        except OSError:
            payload = None
        if payload is None:
            self._set_aside(claimed, source, name)
            return None
        self._discard(claimed, name)
        return payload

    def _set_aside(self, claimed: str, source: str, name: str) -> None:
        """Put an unreadable message file back for a later poll while it is young; quarantine it once it is not."""
        try:
            age = time.time() - os.stat(claimed).st_mtime
            if age < self.unreadable_grace_s:
                os.rename(claimed, source)
                logger.debug("Broker message %s is not readable yet; left for a later poll", name)
                return
            os.makedirs(self.quarantine_folder, exist_ok=True)
            os.replace(claimed, os.path.join(self.quarantine_folder, name))
        except OSError:
            logger.exception("Broker message %s is unreadable and could not be set aside", name)
            return
        logger.error("Broker message %s held no readable message for %.0f s; moved to %s",
                     name, age, self.quarantine_folder)

    def _discard(self, claimed: str, name: str) -> None:
        """Delete a delivered message file, or keep it in `processed_folder` (kombu's `store_processed`)."""
        try:
            if self.store_processed:
                os.makedirs(self.processed_folder, exist_ok=True)
                shutil.move(claimed, os.path.join(self.processed_folder, name))
            else:
                os.unlink(claimed)
        except OSError:
            # Delivered already; under its hidden name the file is clutter, never a second delivery.
            logger.warning("Could not remove the delivered broker message %s", claimed, exc_info=True)

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        """kombu's, except that a new binding table appears complete instead of empty and then written."""
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            if create_complete(str(file), str_to_bytes(dumps([binding]))):
                return
            with file.open("rb+", buffering=0) as f:
                filesystem.lock(f, filesystem.LOCK_EX)
                try:
                    bindings = [filesystem.exchange_queue_t(*row) for row in loads(bytes_to_str(f.read()))]
                    if binding not in bindings:
                        bindings.insert(0, binding)
                        f.seek(0)
                        f.write(str_to_bytes(dumps(bindings)))
                        f.truncate()
                finally:
                    filesystem.unlock(f)
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc

    @cached_property
    def fsync(self) -> bool:
        return bool(self.transport_options.get("fsync", True))

    @cached_property
    def unreadable_grace_s(self) -> float:
        return float(self.transport_options.get("unreadable_grace_s", 30.0))

    @cached_property
    def quarantine_folder(self) -> str:
        default = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_in)), "quarantine")
        return str(self.transport_options.get("quarantine_folder", default))


class Transport(filesystem.Transport):
    """`filesystem://` with atomic message files; dermreview/celery.py makes it what that URL names."""

    Channel = Channel
