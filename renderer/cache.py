"""The one answer cache: a thread-safe LRU bounded by total weight.

Request keys are unbounded and memory must not be: the legacy site weighs its rendered
files in bytes, the API its answers and their keys in bytes too. Caches live on a Snapshot,
so they are dropped with the build they belong to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class LRU:
    """A thread-safe LRU bounded by total weight (bytes, or 1 per entry)."""

    def __init__(
        self,
        limit: int,
        weigh: Callable[[Any], int] = lambda _: 1,
        weigh_key: Callable[[Any], int] = lambda _: 0,
    ):
        self.limit, self.weigh, self.weigh_key = limit, weigh, weigh_key
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> Any:
        """Keep `value` (unless it alone outweighs the limit); returns the value kept."""
        w = self.weigh(value) + self.weigh_key(key)
        if w > self.limit:
            return value
        with self._lock:
            if key in self._data:
                return self._data[key]
            self._data[key] = value
            self._weight += w
            while self._weight > self.limit:
                old_key, old = self._data.popitem(last=False)
                self._weight -= self.weigh(old) + self.weigh_key(old_key)
        return value

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        value = self.get(key)
        return value if value is not None else self.put(key, compute())
