"""Errors of the cluster: a node that is down, a value that cannot cross nodes, Ray problems."""

from __future__ import annotations

from wippy.actors.errors import ActorsError, HostUnavailableError
from wippy.actors.events import ProcessError

NOCONNECTION_KIND = "noconnection"
"""Error kind of the EXIT and LINK_DOWN events a lost node leaves behind (Erlang's)."""


def noconnection(node: str) -> ProcessError:
    """The error of an EXIT or LINK_DOWN for a process of the lost node ``node``."""
    return ProcessError(NOCONNECTION_KIND, f"node {node} is down")


class ClusterError(ActorsError):
    """The cluster could not be started or joined, or a node did not answer."""


class NodeDownError(HostUnavailableError):
    """The host's node is down (lost, or not started yet): nothing can be spawned there until
    it is back."""


class NotTransferableError(ActorsError, TypeError):
    """A value cannot cross nodes: it cannot be pickled (with pickle, nor with Ray's
    cloudpickle). Raised by ``send`` and ``spawn`` before anything is queued."""
