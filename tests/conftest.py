"""Shared fixtures: the five real reports, an index built from them, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.build import build
from indexer.normalize import normalize
from indexer.search import ReportIndex

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "data" / "reports"
SEED_FILES = sorted(p.name for p in REPORTS.glob("*.txt") if p.name != "userdict.txt")
USERDICT = REPORTS / "userdict.txt"


def report_path(prefix: str) -> Path:
    """The seed report whose file name starts with prefix ('000' … '004')."""
    return next(REPORTS / name for name in SEED_FILES if name.startswith(prefix))


def brute_force(texts: list[str], query_text: str) -> list[int]:
    """The reference: indexes of texts that contain the whole query text, both normalised."""
    needle = normalize(query_text)
    return [i for i, t in enumerate(texts) if needle in normalize(t)]


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    """An index of the five real reports, built once per test session."""
    target = tmp_path_factory.mktemp("index")
    summary = build(REPORTS, target)
    assert not summary.skipped
    return target


@pytest.fixture(scope="session")
def index(index_dir) -> ReportIndex:
    return ReportIndex.open(index_dir)


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    """A fresh copy of the seed reports and user dictionary that a test may add bad files to."""
    target = tmp_path / "reports"
    target.mkdir()
    for name in SEED_FILES + [USERDICT.name]:
        shutil.copy(REPORTS / name, target / name)
    return target


@pytest.fixture(scope="session")
def app(index_dir):
    from search_app import create_app
    return create_app({"INDEX_DIR": index_dir, "TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


PUBLISHED = ROOT / "tests" / "fixtures" / "published"


@pytest.fixture(scope="session")
def pdf_index_dir(tmp_path_factory) -> Path:
    """An index of the PDF versions of the five reports (tests/fixtures/published/pdf), built once."""
    target = tmp_path_factory.mktemp("pdf-index")
    summary = build(PUBLISHED / "pdf", target)
    assert not summary.skipped
    return target


OPENINGS = ROOT / "tests" / "fixtures" / "openings"


@pytest.fixture(scope="session")
def openings_index_dir(tmp_path_factory) -> Path:
    """An index of the 32 invented report openings from 22 provinces (tests/fixtures/openings)."""
    target = tmp_path_factory.mktemp("openings-index")
    data = tmp_path_factory.mktemp("openings-data")
    for path in OPENINGS.glob("*.txt"):
        shutil.copy(path, data / path.name)
    build(data, target)
    return target


@pytest.fixture(scope="session")
def openings_index(openings_index_dir) -> ReportIndex:
    return ReportIndex.open(openings_index_dir)


@pytest.fixture()
def open_dir():
    """A folder that an unprivileged user may enter, for tests that take rights away."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="rights-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o777 if path.is_dir() else 0o666)
    shutil.rmtree(folder)


@contextmanager
def without_rights():
    """Run the block as a user whom chmod binds: root passes every permission check, so it
    becomes `nobody` for the block (tests run as root on CI)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
