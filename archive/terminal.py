"""Text and JSON made harmless for the terminal that shows them: a portal writes our titles."""
from __future__ import annotations

import json
import unicodedata

# What a terminal may act on instead of showing: C0 controls but tab and newline (ESC
# starts the sequences that clear the screen, set the window title or write the
# clipboard), DEL, C1 controls (U+009B is a one-character CSI on some terminals), the
# bidi embeddings, overrides and isolates that make text read other than it is stored,
# and lone surrogates (undecodable bytes of a file name or an argument), which cannot be
# written as UTF-8 at all.
UNSAFE = [c for c in range(0x20) if c not in (0x09, 0x0A)] + [0x7F] + list(range(0x80, 0xA0))
UNSAFE += list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A)) + list(range(0xD800, 0xE000))
_ESCAPED = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in UNSAFE}
_JSON_ESCAPED = {c: f"\\u{c:04x}" for c in UNSAFE}


def printable(text: str) -> str:
    """``text`` with every character a terminal could act on written as a visible escape
    (ESC as ``\\x1b``, RIGHT-TO-LEFT OVERRIDE as ``\\u202e``); newline and tab are kept."""
    return text.translate(_ESCAPED)


def dumps(data, **kwargs) -> str:
    """``json.dumps`` with Chinese as it is and the characters of ``UNSAFE`` as ``\\uXXXX``:
    the same data to any JSON reader, nothing a terminal acts on when the text is shown."""
    # Outside strings JSON is ASCII punctuation, so these characters only occur inside
    # strings, where an escape is exact; json.dumps escapes those below U+0020 itself.
    return json.dumps(data, ensure_ascii=False, **kwargs).translate(_JSON_ESCAPED)


def width(text: str) -> int:
    """How many terminal cells ``text`` takes: a Chinese character (East Asian wide or
    fullwidth) takes two, a combining mark none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, cells: int) -> str:
    """``text`` followed by spaces up to ``cells`` terminal cells: str.ljust counts
    characters, and a column of Chinese names of different lengths came out ragged."""
    return text + " " * max(cells - width(text), 0)
