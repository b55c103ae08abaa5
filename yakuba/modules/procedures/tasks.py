"""Background jobs of the procedures module (thin: they call services)."""

from __future__ import annotations

from django_tasks import task

from yakuba.modules.procedures import services
from yakuba.modules.procedures.models import Submission


@task()
def make_submission_pdf(submission_id: int) -> bool:
    """Render and sign the PDF copy of a filed application (申請の控え). Idempotent: a copy made
    already is kept; a submission deleted since is skipped. Returns whether a copy was made."""
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return False
    return services.store_pdf(submission)
