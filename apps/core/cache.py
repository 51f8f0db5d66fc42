"""The embedded default cache: Django's database cache, shared by every process of the shop
(gunicorn workers, the task worker) through the database, so rate limits and allauth's
counters hold across them with no cache server. With REDIS_URL set, django-redis is used
instead (config/settings).

Written by hand for one reason: Django's `DatabaseCache.incr` reads then writes, so two
processes can count the same hit once (django-ratelimit refuses it for that). Here the read
and the write happen in one transaction holding the row's lock (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite transactions take the write lock up front, see the database OPTIONS)."""

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version=version)

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version=version)
