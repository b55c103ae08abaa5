"""The procedures of the demo town: the shipped catalogue (catalogue/*.json), and two requests for
住民票の写し from the model resident — one just received, one under review — so that the clerk's
queue (町民生活課) has work in it."""

from typing import Any

from yakuba.modules.procedures import backoffice, services
from yakuba.modules.procedures.catalogue import load_catalogue
from yakuba.modules.procedures.models import Procedure, Status, Submission
from yakuba.platform.accounts.models import User

RESIDENT = "resident@example.jp"
CLERK = "staff@example.jp"
# The 住民票の写し answers the profile cannot give (the rest is pre-filled).
CERTIFICATE_REQUEST: dict[str, Any] = {
    "certificate": {"kind": "copy", "scope": "all"},
    "agent": {"is_agent": "no"},
    "receive": {"purpose": "work", "copies": 2, "delivery": "pickup"},
    "declaration": {"agree": True},
}


def load_demo() -> None:
    load_catalogue()
    resident = User.objects.filter(email=RESIDENT).first()
    clerk = User.objects.filter(email=CLERK).first()
    if resident is None or clerk is None or Submission.objects.filter(applicant=resident).exists():
        return
    procedure = Procedure.objects.get(code="juminhyo")
    _file(resident, procedure)
    under_review = _file(resident, procedure)
    backoffice.change_status(
        under_review,
        status=Status.REVIEWING,
        by=clerk,
        message="内容を確認しています。交付の準備ができましたらお知らせします。",
    )


def _file(resident: User, procedure: Procedure) -> Submission:
    draft = services.start_draft(resident, procedure)
    answers = {**draft.answers}
    for section, values in CERTIFICATE_REQUEST.items():
        answers[section] = {**answers.get(section, {}), **values}
    draft = services.save_draft(resident, procedure, answers)
    return services.submit(draft, applicant=resident)
