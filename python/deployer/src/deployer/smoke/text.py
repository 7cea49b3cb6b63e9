"""Text a model sent, made safe to print and to put in XML: no terminal escapes, no lone surrogates."""

from __future__ import annotations

import re

# Outside XML 1.0's Char production: C0 controls but tab/LF/CR, surrogates, U+FFFE and U+FFFF.
_NOT_XML_CHAR = re.compile(r"[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """`text` with each character XML 1.0 forbids spelled as a visible escape (`\\x1b`, `\\ud800`)."""
    return _NOT_XML_CHAR.sub(_escaped, text)
