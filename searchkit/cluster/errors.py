"""The errors of a sharded index, in searchkit's hierarchy."""

from __future__ import annotations

from ..errors import SearchkitError


class ClusterError(SearchkitError):
    """The cluster cannot be reached, or cannot do what was asked. `address` is the cluster's
    address (as given), `what` what went wrong, `hint` what to do."""

    def __init__(self, address: str | None, what: str, hint: str) -> None:
        self.address = address
        self.what = what
        self.hint = hint
        where = f" at {address}" if address else ""
        super().__init__(f"the Ray cluster{where}: {what}: {hint}")


class ShardCountError(SearchkitError):
    """An index of `existing` shards was asked to become one of `wanted` without a full
    build."""

    def __init__(self, index_dir: str, existing: int, wanted: int) -> None:
        self.index_dir = index_dir
        self.existing = existing
        self.wanted = wanted
        super().__init__(
            f"the index at {index_dir} has {existing} shards, not {wanted}: "
            "changing the number of shards needs a full build (--full)"
        )


class NotShardedError(SearchkitError):
    """A folder that holds a single-machine index was named as a sharded one, or the
    other way round."""

    def __init__(self, index_dir: str, what: str, hint: str) -> None:
        self.index_dir = index_dir
        self.what = what
        self.hint = hint
        super().__init__(f"the index at {index_dir} {what}: {hint}")


def require_ray(address: str | None) -> None:
    """Raise ClusterError when Ray (the `cluster` extra) is not installed."""
    from importlib.util import find_spec

    if find_spec("ray") is None:
        raise ClusterError(address, "Ray is not installed", 'pip install "searchkit[cluster]"')
