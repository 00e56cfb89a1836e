"""requirements.txt, requirements-bench.txt and requirements-dev.txt install on a fresh machine: every line pins a package from the index."""

import re

import pytest

from tests.conftest import ROOT

#: name==version, an optional [extra], an optional ; marker. Nothing else.
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!*-]+(\s*;\s*\S.*)?$")


REQUIREMENT_FILES = ("requirements.txt", "requirements-bench.txt", "requirements-dev.txt")


def requirement_problems(text: str, name: str = "requirements.txt") -> list[str]:
    """One message per line that is not a plain name==version pin, naming the file and line."""
    problems = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not PINNED.match(line):
            problems.append(f"{name} line {number}: {line!r} is not name==version")
    return problems


def pins(text: str) -> dict[str, str]:
    """Package name (lower case, - for _) → pinned version, for the lines that are pins."""
    out = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].split(";", 1)[0].strip()
        if PINNED.match(line):
            name, version = line.split("==", 1)
            out[name.split("[", 1)[0].lower().replace("_", "-")] = version.strip()
    return out


@pytest.mark.parametrize("name", REQUIREMENT_FILES)
def test_every_requirement_is_pinned_by_name_and_version(name):
    assert requirement_problems((ROOT / name).read_text(encoding="utf-8"), name) == []


@pytest.mark.parametrize("extra", REQUIREMENT_FILES[1:])
def test_the_benchmark_and_dev_pins_agree_with_the_product_pins(extra):
    """A package in two files has one version, so installing them all never changes the product's."""
    product, other = (pins((ROOT / name).read_text(encoding="utf-8")) for name in (REQUIREMENT_FILES[0], extra))
    assert other, f"{extra} pins nothing"
    assert {n: (product[n], v) for n, v in other.items() if n in product and product[n] != v} == {}


def test_a_problem_names_its_file():
    assert requirement_problems("tantivy>=0.27\n", "requirements-bench.txt") == [
        "requirements-bench.txt line 1: 'tantivy>=0.27' is not name==version"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "rjieba @ file:///tmp/rj/rjieba-0.2.2-cp39-abi3-manylinux_2_17_x86_64.whl",
        "/tmp/rj/rjieba-0.2.2-cp39-abi3-manylinux_2_17_x86_64.whl",
        "https://example.org/pkg-1.0.tar.gz",
        "-e .",
        "-e git+https://example.org/repo.git#egg=pkg",
        "rjieba>=0.2",
        "rjieba",
        "--find-links /tmp/wheels",
    ],
)
def test_a_path_url_or_loose_line_is_named(line):
    assert requirement_problems(f"Flask==3.1.3\n{line}\n") == [
        f"requirements.txt line 2: {line!r} is not name==version"
    ]


@pytest.mark.parametrize(
    "line",
    [
        "rjieba==0.2.2",
        "uvicorn[standard]==0.30.0",
        "tomli==2.0.1; python_version < '3.11'",
        "Whoosh-Reloaded==2.7.5  # the maintained fork",
    ],
)
def test_pins_with_extras_markers_and_comments_pass(line):
    assert requirement_problems(line) == []
