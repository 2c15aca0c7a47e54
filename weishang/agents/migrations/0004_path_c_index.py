"""PostgreSQL only: an index on agents_agent.path in the "C" collation (byte order), so that
"whole team of X" is one index range scan that is also in tree order (a team page of the
largest team is LIMIT 21 over that range, not a sort of 200,000 rows). The default
collation's index cannot serve a prefix range, and the varchar_pattern_ops index Django
adds for LIKE cannot serve ORDER BY. SQLite compares text bytewise already."""

from django.db import migrations

INDEX = "agents_agent_path_c_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {INDEX} ON agents_agent ((path COLLATE "C"))')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("agents", "0003_level_rules_upgrade_requests")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
