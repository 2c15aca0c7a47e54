"""Race tests: run one function in several threads released at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, connections


def shared_database() -> bool:
    """Threads need a database they all see: PostgreSQL, or SQLite on a file (the test
    settings give each process one); Django's in-memory SQLite is per connection."""
    return connection.vendor != "sqlite" or bool(connection.settings_dict["TEST"].get("NAME"))


needs_shared_database = pytest.mark.skipif(not shared_database(),
                                           reason="threads need a real (file or server) database")


def run_together(n: int, fn: Callable[[int], Any], *, expected: tuple[type[BaseException], ...] = ()) -> list:
    """Call fn(0) … fn(n-1) in n threads that start together (a barrier), each on its own
    connection, closed afterwards. Returns what the calls returned, and the `expected`
    exceptions they raised, in the order they finished. Any other exception fails the test."""
    barrier = threading.Barrier(n, timeout=30)
    results: list = []
    unexpected: list[BaseException] = []

    def worker(i: int) -> None:
        close_old_connections()
        try:
            barrier.wait()
            results.append(fn(i))
        except expected as exc:
            results.append(exc)
        except BaseException as exc:  # reported in the test's thread below
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert unexpected == [], unexpected
    return results
