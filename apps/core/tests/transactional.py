"""A pytest plugin for transactional tests (PostgreSQL concurrency tests with real threads,
browser tests against a live server): they empty the database when they end, so the rows
migrations created (Wagtail's root page, the default locale and site, the staff groups) are
put back for the tests that follow. Registered by the root conftest; ordinary tests, which
roll back, never touch it."""

import json

import pytest


def pytest_collection_modifyitems(session, config, items):
    # Every transactional test (PostgreSQL concurrency, live server) restores the rows
    # migrations created, not only those marked serialized_rollback: mixing the two kinds
    # leaves post_migrate rows behind that the next serialized test cannot load over.
    for item in items:
        if _is_transactional(item) and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")


# Rows migrations created (Wagtail's root page, the default locale and site…), as serialized by
# pytest-django for tests with serialized_rollback=True.
_MIGRATED_DATA: dict[str, str] = {}


def _is_transactional(node) -> bool:
    """`node`: a test item, or a fixture request (its `node` is the item)."""
    node = getattr(node, "node", node)
    marker = node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    return bool({"transactional_db", "live_server"} & set(node.fixturenames))


@pytest.fixture(autouse=True)
def _migrated_data_for_transactional_tests(request):
    """A transactional test empties the database when it ends. Django puts the migration
    rows back for the next test only if that test runs where the first connection lives (not
    inside Playwright's event loop, for instance); so do it here, for every such test."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from django.core.management import call_command
    from django.db import connection
    from wagtail.models import Page

    serialized = getattr(connection, "_test_serialized_contents", None)
    if serialized and "default" not in _MIGRATED_DATA:
        # Content types first: saving other rows may look one up, and a miss would insert it
        # under a new id, clashing with the serialized row saved later.
        rows = json.loads(serialized)
        rows.sort(key=lambda row: row["model"] != "contenttypes.contenttype")
        _MIGRATED_DATA["default"] = json.dumps(rows)
    if "default" in _MIGRATED_DATA and not Page.objects.filter(depth=1).exists():
        from django.contrib.contenttypes.models import ContentType

        call_command("flush", interactive=False, verbosity=0, reset_sequences=False,
                     inhibit_post_migrate=True)
        ContentType.objects.clear_cache()
        connection.creation.deserialize_db_from_string(_MIGRATED_DATA["default"])
