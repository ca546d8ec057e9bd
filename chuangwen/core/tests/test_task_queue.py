"""The configured task queue (SQLite file by default, Redis in CI) really stores and hands out tasks."""

from huey.contrib.djhuey import HUEY, task


@task()
def add(a: int, b: int) -> int:
    return a + b


def test_it_round_trips_a_task_through_the_configured_storage(settings):
    was_immediate = HUEY.immediate
    HUEY.immediate = False
    try:
        HUEY.flush()
        add(2, 3)
        assert HUEY.pending_count() == 1
        queued = HUEY.dequeue()
        assert queued is not None
        assert HUEY.execute(queued) == 5
        assert HUEY.pending_count() == 0
        expected = "RedisStorage" if settings.TASK_QUEUE_URL.startswith("redis://") else "SqliteStorage"
        assert type(HUEY.storage).__name__ == expected
    finally:
        HUEY.immediate = was_immediate
