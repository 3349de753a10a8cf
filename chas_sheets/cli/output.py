"""The output boundary: everything the command line prints passes one masking step, and a
reader that goes away never stops a run.

Reports mask the columns they know, but a phone number in a column nobody planned for, an
address in an error, a skip line or `--json` reaches the person all the same. So while a
command runs, stdout and stderr are wrapped, and every write is masked by
`privacy.mask_output` (phone numbers in any spelling, e-mail addresses, LinkedIn profiles).
Click writes a line, a JSON document or a progress update in one write, so a value is never
split between two writes.

`chas-sheets nightly REG --apply | head -1`: `head` closes the pipe after one line, and the
next write fails (EPIPE). Raised, that error would stop a run between two writes (Click then
exits 1 without a word). Instead the stream drops what is written after the reader left, and
the run goes on to its end and its log; the command line says so on stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Iterator, TextIO

from chas_sheets.privacy import mask_output


class MaskingStream:
    """A text stream that masks what is written, drops writes once its reader is gone, and
    passes everything else on."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                self._stream.write(mask_output(text) if text else text)
            except BrokenPipeError:
                self._lost_reader()
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._lost_reader()

    def _lost_reader(self) -> None:
        self.reader_gone = True
        # What is still buffered would fail again when Python flushes at exit ("Exception
        # ignored ... BrokenPipeError"): from now on the descriptor writes to nowhere.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)

    def __getattr__(self, name: str):  # isatty, encoding, buffer, fileno, ...
        return getattr(self._stream, name)


@dataclass
class Streams:
    stdout: MaskingStream
    stderr: MaskingStream

    @property
    def stdout_closed(self) -> bool:
        return self.stdout.reader_gone


@contextlib.contextmanager
def masked_output() -> Iterator[Streams]:
    saved = sys.stdout, sys.stderr
    streams = Streams(MaskingStream(sys.stdout), MaskingStream(sys.stderr))
    sys.stdout, sys.stderr = streams.stdout, streams.stderr
    try:
        yield streams
    finally:
        sys.stdout, sys.stderr = saved
