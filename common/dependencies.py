"""Helpers for nameko DependencyProviders that work together inside one service."""
from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def sibling(container, kind: type[T]) -> T:
    """The one dependency of type `kind` declared on the same service as the caller.

    A provider that needs another one (the outbox relay and the mail loop need the service's
    Database) finds it here instead of being handed it, so a service declares each once.
    """
    found = [dependency for dependency in container.dependencies if isinstance(dependency, kind)]
    if len(found) != 1:
        raise LookupError(f"{container.service_name} declares {len(found)} {kind.__name__} "
                          "dependencies; exactly one is needed here")
    return found[0]
