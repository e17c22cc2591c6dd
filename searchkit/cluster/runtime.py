"""Joining the Ray cluster a sharded index lives on."""

from __future__ import annotations

import logging
import re
import socket

import ray

from .errors import ClusterError

START_HINT = (
    "start one with `ray start --head` (and `ray start --address HEAD:6379` on the other "
    "machines), then give its address, e.g. --cluster HEAD:6379; a head with token "
    'authentication also needs RAY_AUTH_MODE=token and its token (README, "Cluster")'
)


def connect(address: str | None) -> None:
    """Join the cluster at `address` ("HOST:PORT", "auto" for the one this machine belongs
    to, or a ray:// address of Ray Client), unless this process already has."""
    if ray.is_initialized():
        return
    _reachable(address)
    try:
        ray.init(
            address=address or "auto",
            log_to_driver=False,
            logging_level=logging.WARNING,
            include_dashboard=False,
        )
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise ClusterError(address, f"cannot be reached ({exc})", START_HINT) from None


_HOST_PORT = re.compile(r"^\[?([\w.:-]+?)\]?:(\d+)$")
REACH_TIMEOUT = 5.0  # seconds to reach a cluster's head before saying it cannot be reached


def _reachable(address: str | None) -> None:
    """Fail at once when a HOST:PORT head does not accept connections (Ray itself keeps
    trying for minutes)."""
    found = _HOST_PORT.match(address or "")
    if found is None:
        return
    host, port = found.group(1), int(found.group(2))
    try:
        socket.create_connection((host, port), timeout=REACH_TIMEOUT).close()
    except OSError as exc:
        raise ClusterError(address, f"cannot be reached ({exc})", START_HINT) from None
