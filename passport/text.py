"""Clean text at the boundary, before it is stored or written into a document.

Characters that XML 1.0 forbids make python-docx fail deep inside lxml, and a
young person can paste anything, so they are removed as the text comes in.
"""

from __future__ import annotations

import re
import unicodedata

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
# Device names Windows reserves whatever the extension: a file called ``con`` cannot exist.
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))})


def clean(value: str) -> str:
    """Return the text normalised (NFC, ``\\n`` line ends) with XML-invalid characters removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _XML_INVALID.sub("", value)
    return unicodedata.normalize("NFC", value).strip()


def slug(value: str, fallback: str) -> str:
    """Return an ASCII file-name part: lower-case letters, digits and dashes only.

    No dot, slash or backslash can come through, so no path can be climbed, and a
    reserved Windows name (``con``, ``nul``, ``com1``…) gets ``fallback`` added.
    """
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_text)
    result = "-".join(words)[:40].strip("-").lower() or fallback
    return f"{result}-{fallback}" if result in _RESERVED else result


def has_invalid(value: str) -> bool:
    """Whether ``value`` holds a character a Word document cannot contain."""
    return bool(_XML_INVALID.search(value))
