"""Background jobs of the open-data module (thin: they call generate)."""

from __future__ import annotations

from django_tasks import task

from yakuba.modules.opendata import generate


class RefreshFailed(Exception):
    """Some generated datasets could not be refreshed; the others were."""


@task()
def refresh_generated_datasets() -> dict[str, int]:
    """Refresh every generated open dataset (自動作成データセットの更新). Idempotent: unchanged
    data adds no file version. Raises when a dataset failed, so the job is retried and shows on
    the jobs page."""
    result = generate.refresh_generated_datasets()
    if result.failed:
        raise RefreshFailed("; ".join(f"{code}: {error}" for code, error in result.failed.items()))
    return {"created": len(result.created), "published_versions": result.published_versions}
