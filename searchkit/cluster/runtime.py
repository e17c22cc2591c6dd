"""Joining the Ray cluster a sharded index lives on."""

from __future__ import annotations

import logging

import ray

from .errors import ClusterError

START_HINT = (
    "start one with `ray start --head` (and `ray start --address HEAD:6379` on the other "
    "machines), then give its address, e.g. --cluster HEAD:6379"
)


def connect(address: str | None) -> None:
    """Join the cluster at `address` ("HOST:PORT", "auto" for the one this machine belongs
    to, or a ray:// address of Ray Client), unless this process already has."""
    if ray.is_initialized():
        return
    try:
        ray.init(
            address=address or "auto",
            log_to_driver=False,
            logging_level=logging.WARNING,
            include_dashboard=False,
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ClusterError(address, f"cannot be reached ({exc})", START_HINT) from None
