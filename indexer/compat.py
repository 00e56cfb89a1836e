"""The pinned libraries whose private parts the project uses, checked once at import.

`engine/whoosh_index.py` writes Whoosh segments through Whoosh-Reloaded's codec and writer
internals (its per-document writer, block writer and table of contents), and
`text/words.py` shares rjieba's default tokenizer. Neither is promised to stay as it is, so
the versions they were written against are pinned here (as in requirements.txt) and checked
when either module is imported: another version stops at once with a line saying which,
rather than writing an index that Whoosh reads wrongly.
"""

from __future__ import annotations

from importlib import metadata

#: distribution → the version whose internals the code uses (requirements.txt pins the same).
PINNED = {"Whoosh-Reloaded": "2.7.5", "rjieba": "0.2.2"}


class IncompatibleLibrary(ImportError):
    """A library whose internals the project uses is not the version it was written for."""


def check_versions(pinned: dict[str, str] = PINNED) -> None:
    """Raise IncompatibleLibrary naming the first library installed at another version than pinned."""
    for name, wanted in pinned.items():
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = None
        if found != wanted:
            raise IncompatibleLibrary(
                f"{name} {found or 'is not installed'}{'' if found is None else ' is installed'}: this project uses "
                f"its internals as of {wanted}; install requirements.txt (make setup)"
            )


check_versions()


def default_jieba():
    """rjieba's shared tokenizer with its own dictionary (loaded once per process)."""
    import rjieba

    return rjieba._DEFAULT_JIEBA


def whoosh_segments(ix) -> list:
    """The segments listed in a Whoosh index's table of contents."""
    return ix._segments()
