"""Staff pages for message templates (ひな形): list, write (with a preview), delete.

Mounted at /notify/staff/templates/. The same permission as composing a message: whoever may send
may keep the texts they send.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yakuba.core.permissions import staff_required
from yakuba.platform.accounts.models import Topic
from yakuba.platform.notify import rendering, templates_service
from yakuba.platform.notify.models import Template
from yakuba.platform.notify.staff_forms import LANGUAGES
from yakuba.platform.notify.template_forms import TemplateForm, contents_initial
from yakuba.platform.places.models import District

PERMISSION = "notify.add_message"
PAGE_SIZE = 50


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("通知の送信"), reverse("notify:staff_messages")),
        (_("ひな形"), reverse("notify:template_list") if rest else None),
        *rest,
    ]


@dataclass(frozen=True)
class PlaceholderInfo:
    name: str
    sample: str
    per_recipient: bool


@dataclass(frozen=True)
class VariantPreview:
    code: str
    name: str
    subject: str
    body: str


def _sample_values(names: set[str]) -> dict[str, str]:
    """A value for every placeholder, so the preview reads like a real notice."""
    district = District.objects.order_by("order", "code").first()
    values = {
        "氏名": _("亘理 花子（見本）"),
        "行政区": district.name if district else _("行政区（見本）"),
    }
    for name in names:
        values.setdefault(name, _("（%(name)sの見本）") % {"name": name})
    return values


def _placeholders_and_previews(
    contents: dict[str, dict[str, str]],
) -> tuple[list[PlaceholderInfo], list[VariantPreview]]:
    names = rendering.placeholders_in(contents)
    values = _sample_values(names)
    # The per-recipient ones first, in their usual order, then the others by name.
    ordered = [n for n in rendering.RECIPIENT_PLACEHOLDERS if n in names] + sorted(
        names - set(rendering.RECIPIENT_PLACEHOLDERS)
    )
    placeholders = [
        PlaceholderInfo(name, values[name], name in rendering.RECIPIENT_PLACEHOLDERS)
        for name in ordered
    ]
    previews = []
    if rendering.JAPANESE in contents:
        for code, language_name in LANGUAGES:
            if code not in contents:
                continue
            text = rendering.render(contents, values, language=code)
            previews.append(VariantPreview(code, str(language_name), text.subject, text.body))
    return placeholders, previews


@staff_required(permission=PERMISSION)
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    """Saved templates by name, with their languages and a link to start a message from each."""
    page = Paginator(Template.objects.select_related("created_by"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    names = dict(LANGUAGES)
    topics = dict(Topic.choices)
    rows = [
        (
            template,
            topics.get(template.topic, ""),
            [str(names[code]) for code, _name in LANGUAGES if code in template.contents],
        )
        for template in page
    ]
    return render(
        request,
        "notify/staff/template_list.html",
        {"page": page, "rows": rows, "breadcrumbs": _crumbs()},
    )


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Write a template. "Preview" shows each language with sample values and saves nothing;
    "save" stores it through the service."""
    template = get_object_or_404(Template, pk=pk) if pk is not None else None
    status = 200
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if request.POST.get("action") == "save":
            if form.is_valid():
                try:
                    if template is None:
                        template = templates_service.create_template(
                            by=request.user,
                            name=form.cleaned_data["name"],
                            topic=form.cleaned_data["topic"],
                            contents=form.contents,
                        )
                    else:
                        templates_service.update_template(
                            template,
                            by=request.user,
                            name=form.cleaned_data["name"],
                            topic=form.cleaned_data["topic"],
                            contents=form.contents,
                        )
                except ValidationError as error:
                    form.add_error(None, error.messages)
                else:
                    messages.success(
                        request, _("ひな形「%(name)s」を保存しました。") % {"name": template.name}
                    )
                    return redirect("notify:template_list")
            status = 400
        else:
            form.is_valid()  # show problems next to the preview, save nothing
    elif template is not None:
        form = TemplateForm(
            initial={"name": template.name, "topic": template.topic, **contents_initial(template)}
        )
    else:
        form = TemplateForm()
    placeholders, previews = _placeholders_and_previews(form.raw_contents())
    title = _("ひな形「%(name)s」") % {"name": template.name} if template else _("ひな形を作る")
    return render(
        request,
        "notify/staff/template_form.html",
        {
            "form": form,
            "template": template,
            "title": title,
            "placeholders": placeholders,
            "previews": previews,
            "breadcrumbs": _crumbs((title, None)),
        },
        status=status,
    )


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then delete a template. Messages already sent from it are not touched."""
    template = get_object_or_404(Template, pk=pk)
    if request.method == "POST":
        name = template.name
        templates_service.delete_template(template, by=request.user)
        messages.success(request, _("ひな形「%(name)s」を削除しました。") % {"name": name})
        return redirect("notify:template_list")
    return render(
        request,
        "notify/staff/template_confirm_delete.html",
        {"template": template, "breadcrumbs": _crumbs((_("ひな形を削除"), None))},
    )
