"""The output boundary: everything the command line prints passes one masking step.

Reports mask the columns they know, but a phone number in a column nobody planned for, an
address in an error, a skip line or `--json` reaches the person all the same. So while a
command runs, stdout and stderr are wrapped, and every write is masked by
`privacy.mask_output` (phone numbers in any spelling, e-mail addresses, LinkedIn profiles).
Click writes a line, a JSON document or a progress update in one write, so a value is never
split between two writes.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, TextIO

from chas_sheets.privacy import mask_output


class MaskingStream:
    """A text stream that masks what is written and passes everything else on."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_output(text) if text else text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # isatty, flush, encoding, buffer, fileno, ...
        return getattr(self._stream, name)


@contextlib.contextmanager
def masked_output() -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = MaskingStream(sys.stdout), MaskingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
