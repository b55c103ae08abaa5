"""`manage.py flush` that can empty the append-only audit table on SQLite.

Django's own flush (also what transactional tests run between tests) deletes every row of every
table. On SQLite that is a DELETE, which the audit triggers refuse, so this command lifts them for
the length of the flush and puts them back. On PostgreSQL flush uses TRUNCATE, which the row
triggers do not see, so nothing changes there. Flushing is a development and test operation.
"""

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from yakuba.platform.audit.append_only import TABLE, install_triggers, remove_triggers


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite" or TABLE not in connection.introspection.table_names():
            return super().handle(**options)
        remove_triggers(connection)
        try:
            return super().handle(**options)
        finally:
            install_triggers(connection)
