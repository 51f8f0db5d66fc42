"""Real concurrency for PostgreSQL tests: threads released at the same instant, each with
its own database connection (SQLite serialises writers, so it proves nothing there)."""

import threading
from contextlib import contextmanager

from django.db import connections, transaction


def run_together(count: int, work) -> list:
    """Run `work(index)` in `count` threads released at the same instant; each thread has its
    own database connection, closed when it ends. Returns results or raised exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def thread_main(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # returned to the test, which reports it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung (deadlock?)"
    return results


@contextmanager
def row_held_elsewhere(model, pk: int):
    """Another connection holds `model` row `pk` locked (SELECT … FOR UPDATE) until the block
    ends, as a slow transaction in another process would."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            model.objects.select_for_update().get(pk=pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()
