"""Paths with fixed-width (ten-digit) ids, so byte order is tree order with siblings in
joining order: "/12/57/" becomes "/0000000012/0000000057/". Rewrites existing rows."""

from django.db import migrations, models


def _width(path: str) -> str:
    return "/" + "".join(f"{int(p):010d}/" for p in path.strip("/").split("/") if p)


def forwards(apps, schema_editor):
    Agent = apps.get_model("agents", "Agent")
    batch = []
    for agent in Agent.objects.only("pk", "path").iterator(chunk_size=2000):
        fixed = _width(agent.path) if agent.path else agent.path
        if fixed != agent.path:
            agent.path = fixed
            batch.append(agent)
        if len(batch) >= 2000:
            Agent.objects.bulk_update(batch, ["path"])
            batch.clear()
    if batch:
        Agent.objects.bulk_update(batch, ["path"])


class Migration(migrations.Migration):

    dependencies = [
        ("agents", "0004_path_c_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agent",
            name="path",
            field=models.CharField(db_index=True, editable=False, help_text="Ancestor ids from the top, then own id, ten digits each: /0000000012/0000000057/0000000311/", max_length=255),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
