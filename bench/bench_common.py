"""Helpers shared by the benchmarks: the machine description and RESULTS.md sections."""

from __future__ import annotations

import os
import platform
import re
import time
from pathlib import Path

# Words too common to make a query of (the benchmarks pick query words from titles).
STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "by",
        "with",
        "at",
        "from",
        "as",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "after",
        "before",
        "over",
        "into",
        "about",
        "up",
        "out",
        "not",
        "no",
        "new",
        "says",
        "say",
        "said",
        "how",
        "why",
        "what",
        "who",
        "when",
        "will",
        "just",
    ]
)


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({cpu}){mem}, "
        f"Python {platform.python_version()}; a shared machine, so compare ratios within "
        "one run."
    )


def replace_section(path: Path, title: str, body: str) -> None:
    """Replace (or append) the `## title` section of a Markdown file, keeping the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = f"## {title}\n\n{body.rstrip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def compile_package() -> None:
    """Byte-compile searchkit, and let the processes a benchmark starts write bytecode: an
    installed package runs from .pyc files, while PYTHONDONTWRITEBYTECODE (set in some
    shells and CI images) would make every fresh process compile the sources it imports."""
    import compileall

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    package = Path(__file__).resolve().parent.parent / "searchkit"
    compileall.compile_dir(str(package), quiet=1)
