"""A read-only file whose bytes are a layer generated on the fly, for uploading without a temp file.

``pack_and_push`` learns a layer's digest and size in a first pass that hashes the deterministic tar
into nothing. The upload then needs the same bytes again as a file to read from; ``LayerStream`` runs
the producer (tar writer → compressor) on a thread that hands pieces over through a small bounded
queue, so memory stays flat whatever the layer size. It re-hashes what it hands out and withholds the
last piece until the whole stream proved to have the expected digest: a file changed since the first
pass makes the read fail before the upload could complete, so the registry never stores it.
"""

from __future__ import annotations

import hashlib
import io
import queue
import threading
from collections.abc import Callable

from kitlab.errors import Cancelled
from kitlab.modelkit.tarwriter import FileChangedWhilePacking, Sink
from kitlab.progress import CancelToken

PIECE = 4 << 20  # small writes (tar headers) are gathered up to this before crossing threads
QUEUE_PIECES = 2  # with the piece being read and the one withheld: ≤ 4 pieces (≤ 32 MiB) in memory
_POLL = 0.1


class _Stopped(Exception):
    """The reader closed the stream; the producer stops at its next write."""


class _End:
    pass


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _QueueSink:
    def __init__(self, stream: LayerStream) -> None:
        self._stream = stream
        self._pending = bytearray()

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        n = len(data)
        if len(self._pending) + n < PIECE:
            self._pending += data
            return n
        if self._pending:
            self._stream._put(bytes(self._pending))
            self._pending = bytearray()
        if n >= PIECE:
            self._stream._put(bytes(data))  # a copy: the tar writer reuses its buffer
        else:
            self._pending += data
        return n

    def flush(self) -> None:
        if self._pending:
            self._stream._put(bytes(self._pending))
            self._pending = bytearray()


class LayerStream(io.RawIOBase):
    """Bytes ``offset..size`` of what ``produce(sink)`` writes, checked against ``digest``/``size``.

    ``label`` names the layer in errors. Always ``close()`` it (it is a context manager): that stops
    the producer thread.
    """

    def __init__(
        self,
        produce: Callable[[Sink], object],
        *,
        digest: str,
        size: int,
        offset: int = 0,
        label: str,
        cancel: CancelToken | None = None,
    ) -> None:
        super().__init__()
        self._digest = digest
        self._size = size
        self._skip = offset
        self._label = label
        self._cancel = cancel
        self._queue: queue.Queue[bytes | _End | _Failed] = queue.Queue(maxsize=QUEUE_PIECES)
        self._stop = threading.Event()
        self._hash = hashlib.sha256()
        self._received = 0
        self._held: bytes | None = None  # the newest piece, released once the next one (or the end) came
        self._ready = b""
        self._ready_at = 0
        self._finished = False
        self._thread = threading.Thread(target=self._run, args=(produce,), name="kitlab-layer", daemon=True)
        self._thread.start()

    # -- producer thread ----------------------------------------------------------------------------
    def _put(self, item: bytes | _End | _Failed) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def _run(self, produce: Callable[[Sink], object]) -> None:
        sink = _QueueSink(self)
        try:
            produce(sink)
            sink.flush()
            self._put(_End())
        except _Stopped:
            return
        except BaseException as exc:
            # Hand every failure (a file changed, cancelled, unreadable) to the reader, which raises it.
            try:
                self._put(_Failed(exc))
            except _Stopped:
                return

    # -- reader side --------------------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def _next_item(self) -> bytes | _End | _Failed:
        while True:
            if self._cancel is not None:
                self._cancel.check()
            try:
                return self._queue.get(timeout=_POLL)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise Cancelled("layer producer stopped") from None

    def _release(self, piece: bytes) -> None:
        if self._skip:
            cut = min(self._skip, len(piece))
            self._skip -= cut
            piece = piece[cut:]
        self._ready, self._ready_at = piece, 0

    def _advance(self) -> None:
        item = self._next_item()
        if isinstance(item, _Failed):
            raise item.exc
        if isinstance(item, _End):
            got = "sha256:" + self._hash.hexdigest()
            if got != self._digest or self._received != self._size:
                raise FileChangedWhilePacking(
                    f"{self._label} changed between hashing and uploading "
                    f"({self._received} bytes, {got[:19]}… instead of {self._size} bytes, "
                    f"{self._digest[:19]}…); nothing was stored, pack again",
                    details={"layer": self._label},
                )
            self._finished = True
            held, self._held = self._held, None
            if held is not None:
                self._release(held)
            return
        self._hash.update(item)
        self._received += len(item)
        if self._received > self._size:
            raise FileChangedWhilePacking(
                f"{self._label} grew between hashing and uploading; nothing was stored, pack again",
                details={"layer": self._label},
            )
        held, self._held = self._held, item
        if held is not None:
            self._release(held)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise ValueError("LayerStream is read in bounded pieces only")
        while self._ready_at >= len(self._ready):
            if self._finished:
                return b""
            self._advance()
        start = self._ready_at
        self._ready_at = min(start + size, len(self._ready))
        if start == 0 and self._ready_at == len(self._ready):
            return self._ready  # the whole piece: no copy
        return self._ready[start : self._ready_at]

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._stop.set()
            while True:  # unblock a producer waiting on a full queue
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            self._thread.join()
        super().close()
