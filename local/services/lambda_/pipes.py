"""The runtime process's output, read into its log stream as the process writes it.

Two pipes per process: stdout and stderr share one, split into lines; the other is awslambdaric's
telemetry pipe (``_LAMBDA_TELEMETRY_LOG_FD``), whose frames carry one log record each (multi-line
records kept whole) with its own timestamp. Both are read from the event loop when readable, and
drained synchronously before END, so that what a function wrote before answering lands before it.
"""

from __future__ import annotations

import asyncio
import os
import select
import struct

from local.services.logs.sink import LogStream

# awslambdaric's telemetry frame header: type (4), length (4), timestamp in microseconds (8).
_FRAME_HEADER = struct.Struct(">IIQ")
_CHUNK = 65536


class ProcessOutput:
    def __init__(self, log: LogStream) -> None:
        self.log = log
        self._fds: list[int] = []  # read ends being watched: output, telemetry
        self._write_ends: tuple[int, int] | None = None
        self._read_ends: tuple[int, int] | None = None
        self._poller: select.poll | None = None
        self._partial = b""
        self._frames = b""

    def open(self) -> tuple[int, int]:
        """New pipes; the write ends for the process: (stdout and stderr, telemetry)."""
        out_read, out_write = os.pipe()
        telemetry_read, telemetry_write = os.pipe()
        self._read_ends = (out_read, telemetry_read)
        self._write_ends = (out_write, telemetry_write)
        return self._write_ends

    def close_write_ends(self) -> None:
        """The process holds its own copies (or was never spawned): ours go, so its exit ends the pipes."""
        if self._write_ends is not None:
            for fd in self._write_ends:
                os.close(fd)
            self._write_ends = None

    def watch(self) -> None:
        """Read the pipes whenever the process writes (from the running event loop)."""
        assert self._read_ends is not None
        loop = asyncio.get_running_loop()
        self._poller = select.poll()
        out_read, telemetry_read = self._read_ends
        for fd, reader in ((out_read, self._read_output), (telemetry_read, self._read_telemetry)):
            os.set_blocking(fd, False)
            loop.add_reader(fd, reader, fd)
            self._fds.append(fd)
            self._poller.register(fd, select.POLLIN)

    def drain(self, process_ended: bool) -> None:
        """Read whatever the process has written so far (it wrote it before it answered); once it
        ended, its last line too, even without a newline."""
        if self._poller is not None and len(self._fds) == 2:
            ready = {fd for fd, _ in self._poller.poll(0)}  # one syscall when there is nothing
            if self._fds[0] in ready:
                self._read_output(self._fds[0])
            if self._fds[1] in ready:
                self._read_telemetry(self._fds[1])
        if process_ended and self._partial:
            self.log.write(self._partial.decode(errors="replace"))
            self._partial = b""

    def close(self) -> None:
        """Stop reading and close every end still open: once the process exited and its output was
        drained, or when it never started."""
        for fd in self._fds:
            asyncio.get_running_loop().remove_reader(fd)
        self._fds = []
        self._poller = None
        self.close_write_ends()
        if self._read_ends is not None:
            for fd in self._read_ends:
                os.close(fd)
            self._read_ends = None

    def _read_output(self, fd: int) -> None:
        data = self._read(fd)
        if not data:
            return
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            self.log.write(line.decode(errors="replace"))

    def _read_telemetry(self, fd: int) -> None:
        self._frames += self._read(fd)
        while len(self._frames) >= _FRAME_HEADER.size:
            _, length, micros = _FRAME_HEADER.unpack_from(self._frames)
            end = _FRAME_HEADER.size + length
            if len(self._frames) < end:
                break
            message = self._frames[_FRAME_HEADER.size : end].decode(errors="replace")
            self._frames = self._frames[end:]
            self.log.write(message.rstrip("\n"), micros // 1000)

    def _read(self, fd: int) -> bytes:
        data, eof = _read_available(fd)
        if eof and fd in self._fds:  # stop watching: a closed pipe is readable forever
            asyncio.get_running_loop().remove_reader(fd)
        return data


def _read_available(fd: int) -> tuple[bytes, bool]:
    """What a non-blocking pipe holds now, and whether it reached its end."""
    chunks = []
    eof = False
    while True:
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            break
        except OSError:
            eof = True
            break
        if not chunk:
            eof = True
            break
        chunks.append(chunk)
        if len(chunk) < _CHUNK:
            break
    return b"".join(chunks), eof
