"""Read a Word 97–2003 .doc with Debian's antiword (catdoc when only it is installed).

antiword parses the document's own structure (FIB and piece table) and, with its
UTF-8 mapping, prints Chinese as written; catdoc only scans the text stream. Files
named .doc are often something else: a .docx is read as one, RTF and others are
named in the reason they are skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from indexer.documents.decoding import IngestError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NO_TOOL = "Word 97–2003 .doc needs antiword (apt-get install antiword); or save it as .docx"
TIMEOUT_S = 60


def read_doc(path: Path, data: bytes) -> str:
    """The text of a .doc file, one paragraph per line."""
    if data.startswith(b"PK\x03\x04") and zipfile.is_zipfile(path):
        from indexer.documents.formats.docx import read_docx

        return read_docx(path)  # a .docx saved under a .doc name
    if data.lstrip().startswith(b"{\\rtf"):
        raise IngestError("an RTF file named .doc; save it as .docx")
    if not data.startswith(OLE_MAGIC):
        raise IngestError("not a Word 97–2003 file (no OLE header)")
    return run_converter(path)


def converter() -> list[str] | None:
    """The command that prints a .doc as UTF-8 text without wrapping lines, if one is installed."""
    if shutil.which("antiword"):
        return ["antiword", "-m", "UTF-8.txt", "-w", "0"]
    if shutil.which("catdoc"):
        return ["catdoc", "-d", "utf-8", "-w"]
    return None


def run_converter(path: Path) -> str:
    command = converter()
    if command is None:
        raise IngestError(NO_TOOL)
    try:
        done = subprocess.run(command + [str(path)], capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise IngestError(f"{command[0]} took over {TIMEOUT_S} s on this file") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[-1] if message else f"exit status {done.returncode}"
        raise IngestError(f"{command[0]} cannot read it: {reason.replace(str(path), path.name)}")
    text = done.stdout.decode("utf-8", "replace")
    # antiword marks pictures as [pic] and puts a blank line between paragraphs.
    return "\n".join(line.replace("[pic]", "").strip() for line in text.splitlines())
