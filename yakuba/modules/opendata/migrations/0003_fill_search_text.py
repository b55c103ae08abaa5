"""Fill Dataset.search_text for the datasets that existed before it.

The text is derived, so the current rule (services.search_text_of, which reads only attributes
the historical model has) writes it; a later change to the rule refreshes it with a migration
of its own."""

from django.db import migrations

from yakuba.modules.opendata.services import search_text_of


def fill(apps, schema_editor):
    Dataset = apps.get_model("opendata", "Dataset")
    datasets = list(Dataset.objects.select_related("department").prefetch_related("tags", "groups"))
    for dataset in datasets:
        dataset.search_text = search_text_of(dataset)
    Dataset.objects.bulk_update(datasets, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("opendata", "0002_dataset_search_text"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
