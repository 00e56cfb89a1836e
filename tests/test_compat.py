"""The libraries whose internals the project uses are checked at import against the versions pinned."""

import pytest

from indexer.compat import PINNED, IncompatibleLibrary, check_versions
from tests.conftest import ROOT


def test_the_versions_checked_are_those_requirements_txt_pins():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split() if "==" in line)
    assert {name: pins[name] for name in PINNED} == PINNED


@pytest.mark.parametrize(
    "pinned, said",
    [
        (
            {"Whoosh-Reloaded": "2.7.4"},
            "Whoosh-Reloaded 2.7.5 is installed: this project uses its internals as of 2.7.4",
        ),
        ({"rjieba": "9.9.9"}, "rjieba 0.2.2 is installed: this project uses its internals as of 9.9.9"),
        ({"no-such-dist": "1.0"}, "no-such-dist is not installed: this project uses its internals as of 1.0"),
    ],
)
def test_another_version_stops_with_a_line_naming_it(pinned, said):
    with pytest.raises(IncompatibleLibrary) as caught:
        check_versions(pinned)
    assert str(caught.value).startswith(said) and "make setup" in str(caught.value)


def test_the_installed_versions_pass():
    check_versions()
