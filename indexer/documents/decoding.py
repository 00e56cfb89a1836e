"""Below every reader: the error a report file that cannot be used raises, and the decoding of text bytes."""

from __future__ import annotations

import codecs
import re


class IngestError(ValueError):
    """A report file that cannot be read; the message says why, in one line."""


def decode_bytes(data: bytes) -> str:
    """Decode report bytes: UTF-8 (BOM optional), UTF-16/32 with BOM, or GB18030/GBK.

    Anything else is refused rather than decoded into mojibake.
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _check_plain_text(data.decode(encoding))
            except UnicodeDecodeError:
                raise IngestError(f"invalid {encoding.upper()} text after its byte-order mark") from None
    if b"\x00" in data:
        utf16 = _guess_bomless_utf16(data)
        if utf16 is not None:
            return utf16
        raise IngestError("binary file, not text")
    try:
        return _check_plain_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise IngestError("undecodable: not UTF-8, UTF-16 or GB18030 text") from None
    if not _looks_like_chinese(text):
        raise IngestError("undecodable: not UTF-8, UTF-16 or GB18030 text")
    return _check_plain_text(text)


def _guess_bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL in every other byte; accept only clean text."""
    if len(data) % 2:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and _looks_like_chinese(text):
            try:
                return _check_plain_text(text)
            except IngestError:
                continue
    return None


#: Control characters that plain text does not hold (everything below space but \t \n \v \f \r).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _check_plain_text(text: str) -> str:
    controls = len(_CONTROLS.findall(text))
    if controls > max(2, len(text) // 1000):
        raise IngestError("binary file, not text")
    return text


def _looks_like_chinese(text: str) -> bool:
    """True when the non-ASCII characters are overwhelmingly common Chinese ones."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return True
    common = 0
    for c in wide:
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.9
