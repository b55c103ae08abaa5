"""Message templates (ひな形): reusable texts with ((placeholders)) in several language variants.

Staff save a text once (a water outage, a vaccination reminder) and start new messages from it.
The text is checked with the same rules as a message (`rendering.check_contents`), so a template
can always be sent as it is, apart from the values of its own placeholders.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yakuba.platform.accounts.models import Topic
from yakuba.platform.audit import services as audit
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.notify import rendering
from yakuba.platform.notify.models import Template

MAX_NAME_LENGTH = Template._meta.get_field("name").max_length or 100


def check_template(
    *, name: str, contents: dict[str, Any], topic: str = ""
) -> tuple[str, dict[str, dict[str, str]]]:
    """Validate a template's name, topic and text; returns the cleaned name and contents.

    Raises one ValidationError listing every problem, so that a form can show them all at once."""
    errors: list[str] = []
    name = (name or "").strip()
    if not name:
        errors.append(_("ひな形の名前を入力してください。"))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            _("ひな形の名前は%(limit)d文字以内にしてください。") % {"limit": MAX_NAME_LENGTH}
        )
    if topic and topic not in Topic.values:
        errors.append(_("分野が正しくありません。"))
    cleaned: dict[str, dict[str, str]] = {}
    try:
        cleaned = rendering.check_contents(contents)
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return name, cleaned


def _audited_fields(template: Template) -> dict[str, Any]:
    return {"name": template.name, "topic": template.topic, "contents": template.contents}


@transaction.atomic
def create_template(*, by: Any, name: str, contents: dict[str, Any], topic: str = "") -> Template:
    """Save a new template; nothing is saved if the name, topic or any variant is bad."""
    name, cleaned = check_template(name=name, contents=contents, topic=topic)
    template = Template.objects.create(name=name, topic=topic, contents=cleaned, created_by=by)
    audit.record(AuditAction.CREATE, by=by, obj=template, changes=_audited_fields(template))
    return template


@transaction.atomic
def update_template(
    template: Template,
    *,
    by: Any,
    name: str | None = None,
    contents: dict[str, Any] | None = None,
    topic: str | None = None,
) -> Template:
    """Change a template's name, topic or text (the parts given); nothing changes if any is bad.

    Messages already sent from it keep their own copy of the text."""
    name, cleaned = check_template(
        name=template.name if name is None else name,
        contents=template.contents if contents is None else contents,
        topic=template.topic if topic is None else topic,
    )
    template.name = name
    template.contents = cleaned
    if topic is not None:
        template.topic = topic
    template.save()
    audit.record(AuditAction.UPDATE, by=by, obj=template, changes=_audited_fields(template))
    return template


@transaction.atomic
def delete_template(template: Template, *, by: Any) -> None:
    """Remove a template. Messages made from it stay as they were (their link is cleared)."""
    # Recorded first, while the row still has its id; the text is kept so it can be restored.
    audit.record(AuditAction.DELETE, by=by, obj=template, changes=_audited_fields(template))
    template.delete()
