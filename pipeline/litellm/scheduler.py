"""Runs tasks on a shared thread pool with a bound on the work in flight, from inside a generator."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any


class Task:
    """A unit of work plus the caller's context (``tag``) for handling its result."""

    __slots__ = ("args", "fn", "tag")

    def __init__(self, fn: Callable[..., Any], *args: Any, tag: Any = None) -> None:
        self.fn = fn
        self.args = args
        self.tag = tag


class BoundedRunner:
    """Keeps at most ``limit`` tasks submitted; the caller adds follow-up tasks while handling results.

    Results that finished but were not yet handled also count against ``limit``, so memory stays bounded.
    When the consuming generator is closed or fails, every task not yet started is cancelled.
    """

    def __init__(self, pool: ThreadPoolExecutor, limit: int) -> None:
        self._pool = pool
        self._limit = max(1, limit)
        self._queue: deque[Task] = deque()
        self._pending: dict[Future[Any], Task] = {}

    def add(self, task: Task, *, urgent: bool = False) -> None:
        """Queue a task; ``urgent`` tasks run before those queued earlier."""
        if urgent:
            self._queue.appendleft(task)
        else:
            self._queue.append(task)

    def add_urgent(self, tasks: list[Task]) -> None:
        """Queue tasks ahead of everything else, keeping their order."""
        self._queue.extendleft(reversed(tasks))

    def results(self, refill: Callable[[], Task | None] | None = None) -> Iterator[tuple[Task, Any]]:
        """Yield ``(task, result)`` as tasks complete; ``refill`` supplies more tasks lazily when idle."""
        try:
            while True:
                while len(self._pending) < self._limit:
                    task = self._queue.popleft() if self._queue else (refill() if refill else None)
                    if task is None:
                        break
                    self._pending[self._pool.submit(task.fn, *task.args)] = task
                if not self._pending:
                    return
                done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=_submission_order(self._pending)):
                    task = self._pending.pop(fut)
                    yield task, fut.result()
        finally:
            for fut in self._pending:
                fut.cancel()
            self._pending.clear()
            self._queue.clear()


def _submission_order(pending: dict[Future[Any], Task]) -> Callable[[Future[Any]], int]:
    order = {fut: i for i, fut in enumerate(pending)}
    return lambda fut: order[fut]
