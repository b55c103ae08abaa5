"""No two occupancies of the same unit may overlap: the database itself refuses them.

PostgreSQL: an exclusion constraint over (unit, time range), with btree_gist for the equality on
the unit. SQLite has no exclusion constraints: triggers refuse an overlapping insert or update.
SQLite runs one writer at a time, so the trigger's check and the insert cannot be separated by
another writer. (A later migration that rebuilds the table on SQLite drops triggers: the test
`test_the_database_refuses_overlaps` fails if that ever happens.)"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

NAME = "reservations_occupancy_no_overlap"

POSTGRESQL = f"""
ALTER TABLE reservations_occupancy ADD CONSTRAINT {NAME}
EXCLUDE USING gist (unit_id WITH =, tstzrange(start, "end", '[)') WITH &&)
"""

SQLITE_OVERLAP = """
SELECT 1 FROM reservations_occupancy AS other
WHERE other.unit_id = NEW.unit_id AND other.start < NEW."end" AND other."end" > NEW.start
"""

SQLITE = [
    f"""CREATE TRIGGER {NAME}_insert BEFORE INSERT ON reservations_occupancy
    WHEN EXISTS ({SQLITE_OVERLAP})
    BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {NAME}'); END""",
    f"""CREATE TRIGGER {NAME}_update BEFORE UPDATE ON reservations_occupancy
    WHEN EXISTS ({SQLITE_OVERLAP} AND other.id <> OLD.id)
    BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {NAME}'); END""",
]


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    else:
        for statement in SQLITE:
            schema_editor.execute(statement)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE reservations_occupancy DROP CONSTRAINT {NAME}")
    else:
        for suffix in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER {NAME}_{suffix}")


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_guard, remove_guard),
    ]
