"""Fixtures for the REPL tests: one index built from the committed fixture seeds, a Repl over
it with a fixed clock, and prompt-toolkit's pipe input with a dummy output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from repl_helpers import SEEDS, fixed_clock

import searchkit
from searchkit.api import SearchIndex, open_index
from searchkit.repl import Repl


@pytest.fixture(scope="session")
def repl_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of tests/fixtures/seeds, built once. Read-only."""
    index_dir = tmp_path_factory.mktemp("repl-index") / "index"
    report = searchkit.build_index(SEEDS, index_dir)
    assert report.ok, report
    return index_dir


@pytest.fixture(scope="session")
def index(repl_index_dir: Path) -> Iterator[SearchIndex]:
    with open_index(repl_index_dir, clock=fixed_clock) as ix:
        yield ix


@pytest.fixture
def opened() -> list[str]:
    """The URLs :open asked the browser for."""
    return []


@pytest.fixture
def repl(index: SearchIndex, opened: list[str], tmp_path: Path) -> Repl:
    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    return Repl(index, clock=fixed_clock, open_url=open_url, config_file=tmp_path / "cfg")


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    """Keys typed into any prompt-toolkit app created in the test; output goes nowhere."""
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        yield inp


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private XDG folders (config, state) and HOME, so no test touches the user's files."""
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path
