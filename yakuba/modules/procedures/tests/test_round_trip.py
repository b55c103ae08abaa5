"""Random valid answers to random forms survive the whole way: saved as a draft, filed
(services.submit), printed on the PDF copy and exported for the department's system — each
answer as the paper form writes it, nothing lost, nothing moved to another column.

The forms and answers are test_engine's strategies. Few examples: each renders a PDF."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yakuba.modules.procedures import backoffice_queries, services
from yakuba.modules.procedures.engine import canonical_json, digest
from yakuba.modules.procedures.pdf import answer_text, render_pdf
from yakuba.modules.procedures.tests.resident_helpers import make_procedure, make_resident
from yakuba.modules.procedures.tests.test_engine import answers_for, definitions
from yakuba.modules.procedures.tests.test_pdf import pdf_text
from yakuba.platform.accounts.models import User

pytestmark = pytest.mark.django_db


def printed(spec: dict[str, Any], value: Any) -> str:
    """An answer as the copy and the export write it, without the spaces and line breaks that
    the PDF's layout turns into positions rather than characters."""
    return "".join(answer_text(spec, value, "ja").split())


def leaf_answers(definition: dict[str, Any], answers: dict[str, Any]) -> list[tuple[Any, Any]]:
    """Every answered field with its value, a group's fields once per row."""
    found: list[tuple[Any, Any]] = []
    for section in definition["sections"]:
        values = answers.get(section["key"], {})
        for spec in section["fields"]:
            if spec["key"] not in values:
                continue
            if spec["type"] == "group":
                for row in values[spec["key"]]:
                    found.extend(
                        (child, row[child["key"]])
                        for child in spec["fields"]
                        if child["key"] in row
                    )
            else:
                found.append((spec, values[spec["key"]]))
    return found


def export_columns(definition: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """The answer columns of one submission's export (title, cell): one per field in the form's
    order, a group's fields once per row as 「子ども1_氏名」; "" where there is no answer."""
    columns = []
    for section in definition["sections"]:
        values = answers.get(section["key"], {})
        for spec in section["fields"]:
            if spec["type"] != "group":
                value = values.get(spec["key"])
                columns.append((spec["label"], answer_text(spec, value, "ja")))
                continue
            for number, row in enumerate(values.get(spec["key"], []), start=1):
                columns.extend(
                    (
                        f"{spec['label']}{number}_{child['label']}",
                        answer_text(child, row.get(child["key"]), "ja"),
                    )
                    for child in spec["fields"]
                )
    return columns


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_valid_answers_round_trip_through_filing_the_pdf_and_the_export(
    data: st.DataObject,
) -> None:
    definition = data.draw(definitions())
    answers = answers_for(data.draw, definition)
    with transaction.atomic():
        resident = make_resident()
        procedure = make_procedure(definition=definition)
        draft = services.save_draft(resident, procedure, answers)
        submission = services.submit(draft, applicant=resident)

        assert submission.answers == answers
        assert submission.digest == digest(answers)
        assert canonical_json(submission.answers) == canonical_json(answers)

        text = "".join(pdf_text(render_pdf(submission)).split())
        assert submission.receipt_number in text
        for spec, value in leaf_answers(definition, answers):
            assert printed(spec, value) in text, (spec, value)

        clerk = User.objects.create_superuser("clerk@example.jp", "pw")
        today = timezone.localdate()
        exported = backoffice_queries.export_submissions(clerk, procedure, today, today)
        assert exported == [submission]
        header, row = backoffice_queries.export_rows(exported)
        expected = export_columns(definition, answers)
        first = len(header) - len(expected)
        assert row[0] == submission.receipt_number
        assert list(zip(header[first:], row[first:], strict=True)) == expected
        transaction.set_rollback(True)
