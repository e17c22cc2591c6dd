"""Worker processes: how searchkit starts, feeds, stops and pickles to the child interpreters
that parse seeds (loader.py) and share full builds (build/)."""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import functools
import os
import pickle
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .documents import RelatedEntry, Seed
from .values import Image, Provider

# Rebuilding the seed dataclasses through their constructors unpickles about twice as fast as
# their generated __setstate__, and equal providers come back as one shared object.


@functools.lru_cache(maxsize=4096)
def _provider(name: str | None, domain: str | None) -> Provider:
    return Provider(name, domain)


def _by_constructor(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    names = [f.name for f in dataclasses.fields(cls)]
    return lambda obj: (cls, tuple(getattr(obj, n) for n in names))


_DISPATCH: dict[type, Callable[[Any], Any]] = {
    **copyreg.dispatch_table,
    Seed: _by_constructor(Seed),
    RelatedEntry: _by_constructor(RelatedEntry),
    Image: _by_constructor(Image),
    Provider: lambda p: (_provider, (p.name, p.domain)),
}


def dump(obj: Any, out: Any) -> None:
    """Pickle `obj` (seeds, outcomes) to a worker's pipe, the fast way (see above)."""
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(obj)


def start_child(argv: Sequence[str], *, pass_fds: Sequence[int] = ()) -> subprocess.Popen[bytes]:
    """A `python -m searchkit...` worker with pipes on stdin and stdout, able to import this
    package (also when it is not installed)."""
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        pass_fds=tuple(pass_fds),
    )


def stop_child(proc: subprocess.Popen[bytes]) -> None:
    """Kill a worker if it still runs, reap it and close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
