"""The staff console's notify pages (通知の送信): segments, compose → preview → send, the message
list, the delivery report, answers by district and conversations with residents.

Views stay thin: rules live in `services`, `sending` and `replies`; reads in `queries`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.csv_export import csv_response
from yakuba.core.permissions import staff_required
from yakuba.platform import notify
from yakuba.platform.accounts.models import User
from yakuba.platform.audit import services as audit
from yakuba.platform.notify import (
    queries,
    rendering,
    replies,
    sending,
    services,
    templates_service,
)
from yakuba.platform.notify.channels import Choice, Outgoing
from yakuba.platform.notify.channels import email as email_channel
from yakuba.platform.notify.channels import line as line_channel
from yakuba.platform.notify.channels import sms as sms_channel
from yakuba.platform.notify.channels import webpush as webpush_channel
from yakuba.platform.notify.models import (
    Channel,
    DeliveryStatus,
    Message,
    MessageStatus,
    Priority,
    Question,
    QuestionKind,
    Recipient,
    Segment,
    Template,
)
from yakuba.platform.notify.staff_forms import (
    EMERGENCY,
    LANGUAGES,
    ComposeForm,
    ReplyForm,
    SegmentBuilderForm,
    SegmentNameForm,
    builder_initial,
)
from yakuba.platform.notify.template_forms import TemplateChoiceForm, contents_initial
from yakuba.platform.places.models import District

VIEW = "notify.view_message"
ADD = "notify.add_message"
EMERGENCY_PERMISSION = "notify.send_emergency"
ADD_SEGMENT = "notify.add_segment"
VIEW_REPLY = "notify.view_reply"
REPLY = "notify.add_conversationmessage"
PAGE_SIZE = 50
DRAFTS = "notify_drafts"
DRAFT_FOLDER = "notify/drafts"
BUILDER_PREFIX = "seg"


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("通知の送信"), reverse("notify:staff_messages")),
        *rest,
    ]


def _message_crumbs(
    message: Message, *rest: tuple[str, str | None]
) -> list[tuple[str, str | None]]:
    return _crumbs((str(message), reverse("notify:staff_message", args=[message.pk])), *rest)


def _today() -> Any:
    return timezone.localdate()


# --- Segments (配信対象) ---------------------------------------------------------------------------


@staff_required(permission=VIEW)
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    """Saved segments with today's number of residents each."""
    page = Paginator(Segment.objects.select_related("created_by"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    today = _today()
    rows = [(segment, services.count_residents(segment, on=today)) for segment in page]
    return render(
        request,
        "notify/staff/segment_list.html",
        {"page": page, "rows": rows, "breadcrumbs": _crumbs((_("配信対象"), None))},
    )


def _count_context(form: SegmentBuilderForm) -> dict[str, Any]:
    if form.is_valid() and form.rule is not None:
        return {"count": services.count_residents(form.rule, on=_today()), "count_errors": []}
    errors = [error for errors in form.errors.values() for error in errors]
    return {"count": None, "count_errors": errors}


@staff_required(permission=VIEW)
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Build a segment with ticks, count its residents today, and save it under a name.

    Buttons: "count" (works without JavaScript; htmx updates the count as fields change) and
    "save" (needs notify.add_segment)."""
    segment = get_object_or_404(Segment, pk=pk) if pk is not None else None
    if request.method == "POST":
        builder = SegmentBuilderForm(request.POST)
        naming = SegmentNameForm(request.POST)
    else:
        initial = builder_initial(segment.rule) if segment else {}
        builder = SegmentBuilderForm(initial=initial) if segment else SegmentBuilderForm()
        naming = SegmentNameForm(
            initial={"name": segment.name, "description": segment.description} if segment else {}
        )
    context: dict[str, Any] = {"count": None, "count_errors": []}
    if request.method == "POST":
        context = _count_context(builder)
        if request.POST.get("action") == "save":
            if not request.user.has_perm(ADD_SEGMENT):
                raise PermissionDenied
            if naming.is_valid() and builder.rule is not None:
                try:
                    if segment is None:
                        segment = services.create_segment(
                            by=request.user,
                            name=naming.cleaned_data["name"],
                            description=naming.cleaned_data["description"],
                            rule=builder.rule,
                        )
                    else:
                        services.update_segment(
                            segment,
                            by=request.user,
                            name=naming.cleaned_data["name"],
                            description=naming.cleaned_data["description"],
                            rule=builder.rule,
                        )
                except ValidationError as error:
                    naming.add_error(None, error.messages)
                else:
                    messages.success(
                        request, _("配信対象「%(name)s」を保存しました。") % {"name": segment.name}
                    )
                    return redirect("notify:staff_segments")
    elif segment is not None:
        context["count"] = services.count_residents(segment, on=_today())
    title = _("配信対象「%(name)s」") % {"name": segment.name} if segment else _("配信対象を作る")
    return render(
        request,
        "notify/staff/segment_form.html",
        {
            **context,
            "builder": builder,
            "naming": naming,
            "segment": segment,
            "title": title,
            "can_save": request.user.has_perm(ADD_SEGMENT),
            "breadcrumbs": _crumbs(
                (_("配信対象"), reverse("notify:staff_segments")), (title, None)
            ),
        },
    )


@staff_required(permission=VIEW)
@require_GET
def segment_count(request: HttpRequest) -> HttpResponse:
    """Today's number of residents for the builder's fields (the htmx live count)."""
    prefix = BUILDER_PREFIX if request.GET.get("prefix") == BUILDER_PREFIX else None
    form = SegmentBuilderForm(request.GET, prefix=prefix)
    return render(request, "notify/staff/_recipient_count.html", _count_context(form))


# --- Compose → preview → send --------------------------------------------------------------------


def _compose_form(request: HttpRequest, data: Any = None, files: Any = None) -> ComposeForm:
    return ComposeForm(data, files, can_send_emergency=request.user.has_perm(EMERGENCY_PERMISSION))


def _render_compose(
    request: HttpRequest,
    form: ComposeForm,
    builder: SegmentBuilderForm,
    *,
    count: dict[str, Any] | None = None,
    status: int = 200,
    template: Template | None = None,
) -> HttpResponse:
    picker = (
        TemplateChoiceForm(initial={"template": template.pk if template else None})
        if Template.objects.exists()
        else None
    )
    return render(
        request,
        "notify/staff/compose.html",
        {
            **(count or {"count": None, "count_errors": []}),
            "form": form,
            "builder": builder,
            "builder_prefix": BUILDER_PREFIX,
            "template_picker": picker,
            "breadcrumbs": _crumbs((_("通知を作る"), None)),
        },
        status=status,
    )


@staff_required(permission=ADD)
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    """Write a message; a valid form is kept as a draft in the session and previewed."""
    if request.method == "GET":
        form = _compose_form(request)
        builder = SegmentBuilderForm(prefix=BUILDER_PREFIX)
        segment_id = request.GET.get("segment")
        if segment_id and segment_id.isdigit():
            form.initial["segment"] = int(segment_id)
        template = _start_from_template(request, form)
        builder = _start_from_draft(request, form) or builder
        return _render_compose(request, form, builder, template=template)
    form = _compose_form(request, request.POST, request.FILES)
    builder = SegmentBuilderForm(request.POST, prefix=BUILDER_PREFIX)
    form_ok = form.is_valid()
    segment: Segment | None = form.cleaned_data.get("segment") if form_ok else None
    if request.POST.get("action") == "count":
        return _render_compose(request, form, builder, count=_count_context(builder))
    builder_ok = segment is not None or builder.is_valid()
    rule = segment.rule if segment is not None else builder.rule
    if not (form_ok and builder_ok) or rule is None:
        return _render_compose(request, form, builder, status=400)
    token = secrets.token_urlsafe(16)
    draft = {
        "kind": form.cleaned_data["kind"],
        "priority": form.priority,
        "topic": form.cleaned_data.get("topic") or "",
        "contents": form.contents,
        "link_url": form.cleaned_data.get("link_url") or "",
        "questions": form.questions,
        "scheduled_at": scheduled.isoformat() if (scheduled := form.scheduled()) else None,
        "segment_id": segment.pk if segment is not None else None,
        "rule": rule,
        "attachments": _keep_attachments(token, form.cleaned_data.get("attachments") or []),
        "template_id": template.pk
        if (template := form.cleaned_data.get("from_template"))
        else None,
        # What was typed, so that "作り直す" on the preview opens the form as it was left.
        "fields": {
            name: request.POST.getlist(name)
            for name in form.fields
            if name in request.POST and name != "attachments"
        },
        "save_template": form.cleaned_data["save_template_name"]
        if form.cleaned_data.get("save_as_template")
        else "",
    }
    drafts = request.session.get(DRAFTS, {})
    drafts[token] = draft
    request.session[DRAFTS] = drafts
    return redirect("notify:staff_preview", token=token)


def _start_from_template(request: HttpRequest, form: ComposeForm) -> Template | None:
    """Pre-fill the topic and every language's subject and body from a saved template
    (?template=<id>, from the picker or the template list)."""
    template_id = request.GET.get("template", "")
    if not template_id:
        return None
    template = Template.objects.filter(pk=template_id).first() if template_id.isdigit() else None
    if template is None:
        messages.warning(request, _("選んだひな形が見つかりません。削除された可能性があります。"))
        return None
    form.initial.update(
        {"topic": template.topic, "from_template": template.pk, **contents_initial(template)}
    )
    return template


def _start_from_draft(request: HttpRequest, form: ComposeForm) -> SegmentBuilderForm | None:
    """Open the compose form as it was left (?draft=<token>, the preview's "作り直す"); the
    builder gets the conditions back from the rule. Attachments must be chosen again."""
    token = request.GET.get("draft", "")
    draft = _draft(request, token) if token else None
    if draft is None:
        return None
    for name, values in draft.get("fields", {}).items():
        form.initial[name] = values if len(values) > 1 else values[0]
    if draft["segment_id"] is not None:
        return None
    return SegmentBuilderForm(initial=builder_initial(draft["rule"]), prefix=BUILDER_PREFIX)


def _save_as_template(request: HttpRequest, draft: dict[str, Any]) -> None:
    """Keep the sent text as a template (ひな形), when asked on the compose page. Called inside the
    send's transaction after the one-time token check, so a second click never saves it twice; its
    own savepoint means a refused template does not undo the message."""
    try:
        template = templates_service.create_template(
            by=request.user,
            name=draft["save_template"],
            topic=draft["topic"],
            contents=draft["contents"],
        )
    except ValidationError as error:
        messages.warning(
            request,
            _("ひな形は保存できませんでした: %(reason)s") % {"reason": " ".join(error.messages)},
        )
    else:
        messages.success(request, _("ひな形「%(name)s」として保存しました。") % {"name": template})


def _forget_stale_drafts() -> None:
    """Remove attachments of drafts never sent (older than a day): the session that held the draft
    is gone or the clerk gave up, and nobody else can reach them."""
    if not default_storage.exists(DRAFT_FOLDER):
        return
    cutoff = timezone.now() - timedelta(days=1)
    folders, _files = default_storage.listdir(DRAFT_FOLDER)
    for folder in folders:
        path = f"{DRAFT_FOLDER}/{folder}"
        _sub, names = default_storage.listdir(path)
        if all(default_storage.get_modified_time(f"{path}/{n}") < cutoff for n in names):
            for name in names:
                default_storage.delete(f"{path}/{name}")


def _keep_attachments(token: str, uploads: Iterable[UploadedFile]) -> list[dict[str, str]]:
    """Store uploads until the message is sent (the preview is a second request)."""
    _forget_stale_drafts()
    kept = []
    for upload in uploads:
        content_type = sending.check_attachment(upload)
        name = upload.name or "attachment"
        path = default_storage.save(f"{DRAFT_FOLDER}/{token}/{name}", upload)
        kept.append({"path": path, "name": name, "content_type": content_type})
    return kept


def _draft_attachments(draft: dict[str, Any]) -> list[UploadedFile]:
    files: list[UploadedFile] = []
    for item in draft["attachments"]:
        with default_storage.open(item["path"], "rb") as stored:
            files.append(SimpleUploadedFile(item["name"], stored.read(), item["content_type"]))
    return files


def _discard_attachments(draft: dict[str, Any]) -> None:
    for item in draft["attachments"]:
        default_storage.delete(item["path"])


def _url(name: str) -> str:
    """An absolute URL of a resident page for the preview (a placeholder if it is not mounted)."""
    try:
        path = reverse(name)
    except NoReverseMatch:
        path = "/notify/"
    return settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/") + path


@dataclass
class ChannelPreview:
    channel: str
    label: str
    title: str
    text: str
    buttons: list[str]
    note: str = ""


@dataclass
class LanguagePreview:
    code: str
    name: str
    channels: list[ChannelPreview]


def _sample_values() -> dict[str, str]:
    district = District.objects.order_by("order", "code").first()
    return {"氏名": _("亘理 花子（見本）"), "行政区": district.name if district else ""}


def _previews(draft: dict[str, Any]) -> list[LanguagePreview]:
    """How the message looks on each channel in each language, for a sample resident: built with the
    channels' own functions, so the preview is what residents receive."""
    contents: dict[str, dict[str, str]] = draft["contents"]
    emergency = draft["priority"] == Priority.EMERGENCY
    sample = _sample_values()
    inbox_url = _url("notify:inbox")
    previews = []
    for code, name in LANGUAGES:
        if code not in contents:
            continue
        rendered = rendering.render(contents, {}, language=code, recipient_values=sample)
        first = draft["questions"][0] if draft["questions"] else None
        choices = tuple(
            Choice(c["code"], c["label"].get(code) or c["label"]["ja"])
            for c in (first["choices"] if first else [])
        )
        outgoing = Outgoing(
            delivery_id=0,
            recipient_id=0,
            user=None,
            language=code,
            subject=rendered.subject,
            body=rendered.body,
            inbox_url=inbox_url,
            link_url=draft["link_url"],
            is_emergency=emergency,
            choices=choices,
        )
        email_body = render_to_string(
            "notify/email/message.txt",
            {
                "outgoing": outgoing,
                "town_name": email_channel.town_name(code),
                "answer_links": [(c.label, inbox_url + "…") for c in choices],
                "settings_url": _url("notify:settings"),
            },
        )
        push = webpush_channel.payload_for(outgoing)
        line_messages = line_channel.build_messages(outgoing)
        line_buttons = [
            action["label"]
            for message in line_messages
            for action in message.get("template", {}).get("actions", [])
        ] + [
            item["action"]["label"]
            for message in line_messages
            for item in message.get("quickReply", {}).get("items", [])
        ]
        sms_text = sms_channel.sms_text(outgoing)
        sms_count = sms_channel.segment_count(sms_text)
        previews.append(
            LanguagePreview(
                code,
                str(name),
                [
                    ChannelPreview(
                        Channel.IN_APP,
                        str(Channel.IN_APP.label),
                        rendered.subject,
                        rendered.body,
                        [c.label for c in choices],
                    ),
                    ChannelPreview(
                        Channel.EMAIL,
                        str(Channel.EMAIL.label),
                        f"[{email_channel.town_name(code)}] {rendered.subject}",
                        email_body,
                        [],
                    ),
                    ChannelPreview(
                        Channel.WEB_PUSH,
                        str(Channel.WEB_PUSH.label),
                        push["title"],
                        push["body"],
                        [action["title"] for action in push["actions"]],
                    ),
                    ChannelPreview(
                        Channel.LINE,
                        str(Channel.LINE.label),
                        "",
                        line_messages[0]["text"],
                        line_buttons,
                    ),
                    ChannelPreview(
                        Channel.SMS,
                        str(Channel.SMS.label),
                        "",
                        sms_text,
                        [],
                        note=_("%(length)d文字・SMS %(count)d通分（70文字で1通）")
                        % {"length": sms_channel.ucs2_length(sms_text), "count": sms_count},
                    ),
                ],
            )
        )
    return previews


def _draft(request: HttpRequest, token: str) -> dict[str, Any] | None:
    draft: dict[str, Any] | None = request.session.get(DRAFTS, {}).get(token)
    return draft


def _sent_message(request: HttpRequest, token: str) -> Message | None:
    return Message.objects.filter(
        reference=_reference(token), created_by_id=request.user.pk
    ).first()


def _reference(token: str) -> str:
    return f"console-{token}"


@staff_required(permission=ADD)
@require_GET
def preview(request: HttpRequest, token: str) -> HttpResponse:
    """Check before sending: each channel in each language, and how many residents receive it."""
    draft = _draft(request, token)
    if draft is None:
        sent = _sent_message(request, token)
        if sent is not None:
            return redirect("notify:staff_message", pk=sent.pk)
        raise Http404
    segment = (
        Segment.objects.filter(pk=draft["segment_id"]).first() if draft["segment_id"] else None
    )
    count = queries.expected_recipients(
        draft["rule"], topic=draft["topic"], priority=draft["priority"], on=_today()
    )
    scheduled = parse_datetime(draft["scheduled_at"]) if draft["scheduled_at"] else None
    return render(
        request,
        "notify/staff/preview.html",
        {
            "draft": draft,
            "token": token,
            "segment": segment,
            "count": count,
            "scheduled_at": scheduled,
            "is_emergency": draft["kind"] == EMERGENCY,
            "previews": _previews(draft),
            "breadcrumbs": _crumbs(
                (_("通知を作る"), reverse("notify:staff_compose")), (_("確認"), None)
            ),
        },
    )


@staff_required(permission=ADD)
@require_POST
def send(request: HttpRequest) -> HttpResponse:
    """Send the previewed draft once. The one-time token is the message's reference: a second
    click (or a resubmitted form) finds the message the first one created instead of sending again.
    The staff member's row is locked while checking, so two simultaneous clicks queue up."""
    token = request.POST.get("token", "")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=request.user.pk or 0).first()
        sent = _sent_message(request, token) if token else None
        if sent is not None:
            messages.info(request, _("この通知はすでに送信しています。"))
            return redirect("notify:staff_message", pk=sent.pk)
        draft = _draft(request, token) if token else None
        if draft is None:
            messages.error(request, _("送信する通知が見つかりません。もう一度作成してください。"))
            return redirect("notify:staff_compose")
        if draft["kind"] == EMERGENCY and not request.user.has_perm(EMERGENCY_PERMISSION):
            raise PermissionDenied
        segment = (
            Segment.objects.filter(pk=draft["segment_id"]).first() if draft["segment_id"] else None
        )
        scheduled = parse_datetime(draft["scheduled_at"]) if draft["scheduled_at"] else None
        try:
            message = notify.send(
                draft["kind"],
                segment=segment if segment is not None else draft["rule"],
                contents=draft["contents"],
                topic=draft["topic"],
                link_url=draft["link_url"],
                questions=draft["questions"],
                attachments=_draft_attachments(draft),
                scheduled_at=scheduled,
                by=request.user,
                reference=_reference(token),
                template=Template.objects.filter(pk=draft.get("template_id") or 0).first(),
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("notify:staff_preview", token=token)
        if draft.get("save_template"):
            _save_as_template(request, draft)
    drafts = request.session.get(DRAFTS, {})
    drafts.pop(token, None)
    request.session[DRAFTS] = drafts
    _discard_attachments(draft)
    if scheduled is not None:
        messages.success(
            request,
            _("%(at)sに送信するよう予約しました。")
            % {"at": timezone.localtime(scheduled).strftime("%Y-%m-%d %H:%M")},
        )
    else:
        messages.success(request, _("送信を始めました。"))
    return redirect("notify:staff_message", pk=message.pk)


# --- Messages and their reports --------------------------------------------------------------------


@staff_required(permission=VIEW)
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    """Every message, newest first, with what came of it."""
    page = Paginator(queries.message_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/staff/message_list.html",
        {
            "page": page,
            "can_add": request.user.has_perm(ADD),
            "breadcrumbs": [
                (_("職員メニュー"), reverse("core:staff_home")),
                (_("通知の送信"), None),
            ],
        },
    )


@staff_required(permission=ADD)
@require_POST
def message_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a scheduled message (送信の取消し)."""
    message = get_object_or_404(Message, pk=pk)
    try:
        sending.cancel(message, by=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("「%(name)s」の送信を取り消しました。") % {"name": message})
    return redirect("notify:staff_messages")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 640, 220, 40, 30


def _timeline_bars(timeline: queries.Timeline) -> list[Bar]:
    """Bar geometry for the server-rendered SVG chart (no inline styles: CSP style-src 'self')."""
    if not timeline.points:
        return []
    top = max(point.count for point in timeline.points) or 1
    area_width = CHART_WIDTH - CHART_LEFT - 10
    area_height = CHART_HEIGHT - CHART_BOTTOM - 10
    step = area_width / len(timeline.points)
    pattern = {"minute": "%H:%M", "hour": "%m/%d %H時", "day": "%m/%d"}[timeline.unit]
    bars = []
    for index, point in enumerate(timeline.points):
        height = area_height * point.count / top
        bars.append(
            Bar(
                x=round(CHART_LEFT + index * step + step * 0.1, 1),
                y=round(10 + area_height - height, 1),
                width=round(max(step * 0.8, 1), 1),
                height=round(height, 1),
                label=timezone.localtime(point.start).strftime(pattern),
                count=point.count,
            )
        )
    return bars


@staff_required(permission=VIEW)
@require_GET
def message_report(request: HttpRequest, pk: int) -> HttpResponse:
    """What came of a message: counts by channel × state, a chart over time, failures."""
    message = get_object_or_404(Message.objects.select_related("segment", "created_by"), pk=pk)
    report = queries.delivery_report(message)
    timeline = queries.delivery_timeline(message)
    bars = _timeline_bars(timeline)
    unit_names = {"minute": _("1分ごと"), "hour": _("1時間ごと"), "day": _("1日ごと")}
    return render(
        request,
        "notify/staff/message_report.html",
        {
            "message": message,
            "report": report,
            "states": [DeliveryStatus(state).label for state in queries.REPORT_STATES],
            "timeline": timeline,
            "bars": bars,
            "bar_labels": bars[:: max(len(bars) // 8, 1)],
            "unit_name": unit_names[timeline.unit],
            "chart": {
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
                "left": CHART_LEFT,
                "base": CHART_HEIGHT - CHART_BOTTOM,
            },
            "failures": queries.failure_groups(message),
            "attachments": message.attachments.all(),
            "questions": message.questions.all(),
            "can_view_replies": request.user.has_perm(VIEW_REPLY),
            "can_cancel": request.user.has_perm(ADD) and message.status == MessageStatus.SCHEDULED,
            "breadcrumbs": _crumbs((str(message), None)),
        },
    )


def _time(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat() if value else ""


@staff_required(permission=VIEW)
@require_GET
def delivery_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Per-recipient deliveries as CSV. Personal data: the download is audited (出力)."""
    message = get_object_or_404(Message, pk=pk)
    audit.record_export(
        by=request.user,
        object_type="notify.delivery",
        filters={"message": message.pk},
        row_count=Recipient.objects.filter(message=message).count(),
        request=request,
    )

    def rows() -> Iterator[list[Any]]:
        yield [
            _("受信者ID"),
            _("行政区"),
            _("経路"),
            _("状態"),
            _("作成日時"),
            _("送信日時"),
            _("完了日時"),
            _("既読日時"),
            _("試行回数"),
            _("エラー"),
        ]
        for row in queries.delivery_rows(message):
            yield [
                row.recipient_id,
                row.district,
                row.channel,
                row.status,
                _time(row.created_at),
                _time(row.sent_at),
                _time(row.completed_at),
                _time(row.read_at),
                row.attempts,
                row.error,
            ]

    return csv_response(rows(), f"notify-{message.pk}-deliveries.csv")


# --- Answers (回答) -------------------------------------------------------------------------------

PALETTE = ("#0050b3", "#d4380d", "#389e0d", "#722ed1", "#d48806", "#08979c", "#c41d7f", "#595959")


@dataclass(frozen=True)
class ChartPart:
    x: float
    width: float
    color: str
    label: str
    count: int


@dataclass(frozen=True)
class DistrictBar:
    name: str
    y: float
    parts: list[ChartPart]
    total: int


def _answer_chart(answers: queries.QuestionAnswers) -> dict[str, Any]:
    """A stacked horizontal bar per district, one colour per choice (drawn with SVG attributes)."""
    left, width, row = 140, 460, 28
    largest = max((d.answered for d in answers.districts), default=0) or 1
    colors = {code: PALETTE[i % len(PALETTE)] for i, (code, _label) in enumerate(answers.choices)}
    labels = dict(answers.choices)
    rows = []
    for index, district in enumerate(answers.districts):
        x = float(left)
        parts = []
        for code, _label in answers.choices:
            count = district.counts.get(code, 0)
            part = width * count / largest
            if count:
                parts.append(
                    ChartPart(round(x, 1), round(part, 1), colors[code], labels[code], count)
                )
            x += part
        rows.append(
            DistrictBar(
                district.name or _("行政区なし"), 10 + index * row, parts, district.answered
            )
        )
    return {
        "rows": rows,
        "legend": [(colors[code], label) for code, label in answers.choices],
        "height": 20 + len(rows) * row,
        "left": left,
        "width": left + width + 60,
        "legend_y": 20 + len(rows) * row,
    }


def _message_with_questions(pk: int) -> Message:
    message = get_object_or_404(Message, pk=pk)
    if not message.questions.exists():
        raise Http404
    return message


@staff_required(permission=VIEW_REPLY)
@require_GET
def answers(request: HttpRequest, pk: int) -> HttpResponse:
    """Answers per question: counts per choice, overall and by district (table and chart)."""
    message = _message_with_questions(pk)
    results = [(a, _answer_chart(a)) for a in queries.answers_by_district(message)]
    free_text = [
        (question, queries.free_text_answers(question).count())
        for question in message.questions.filter(kind=QuestionKind.TEXT)
    ]
    help_count = queries.residents_asking_for_help(message).count()
    return render(
        request,
        "notify/staff/answers.html",
        {
            "message": message,
            "results": results,
            "free_text": free_text,
            "help_count": help_count,
            "breadcrumbs": _message_crumbs(message, (_("回答の集計"), None)),
        },
    )


@staff_required(permission=VIEW_REPLY)
@require_GET
def free_text(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """A free-text question's answers, page by page."""
    message = _message_with_questions(pk)
    question = get_object_or_404(Question, pk=question_pk, message=message, kind=QuestionKind.TEXT)
    page = Paginator(queries.free_text_answers(question), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notify/staff/free_text.html",
        {
            "message": message,
            "question": question,
            "page": page,
            "breadcrumbs": _message_crumbs(
                message,
                (_("回答の集計"), reverse("notify:staff_answers", args=[message.pk])),
                (_("自由記述の回答"), None),
            ),
        },
    )


@staff_required(permission=VIEW_REPLY)
@require_GET
def help_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Residents who answered 「助けが必要です」, with name, district and phone to follow up. Each
    resident shown is an audited read of their personal data."""
    message = _message_with_questions(pk)
    page = Paginator(queries.residents_asking_for_help(message), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for reply in page:
        audit.record_read(
            by=request.user,
            obj=reply.recipient,
            subject_user_id=reply.recipient.user_id,
            reason=_("安否確認への対応"),
            request=request,
        )
    return render(
        request,
        "notify/staff/help_list.html",
        {
            "message": message,
            "page": page,
            "breadcrumbs": _message_crumbs(
                message,
                (_("回答の集計"), reverse("notify:staff_answers", args=[message.pk])),
                (_("助けが必要な方"), None),
            ),
        },
    )


@staff_required(permission=VIEW_REPLY)
@require_GET
def answers_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every answer as CSV (recipient id and district, no names). Audited (出力)."""
    message = _message_with_questions(pk)
    replies_of = queries.answer_rows(message)
    audit.record_export(
        by=request.user,
        object_type="notify.reply",
        filters={"message": message.pk},
        row_count=replies_of.count(),
        request=request,
    )

    def rows() -> Iterator[list[Any]]:
        yield [
            _("受信者ID"),
            _("行政区"),
            _("質問"),
            _("選んだ答え"),
            _("答えの文"),
            _("回答"),
            _("経路"),
            _("回答日時"),
        ]
        for reply in replies_of.iterator(chunk_size=2000):
            profile = getattr(reply.recipient.user, "resident_profile", None)
            district = profile.district.code if profile is not None and profile.district else ""
            label = next(
                (
                    c["label"].get("ja", "")
                    for c in reply.question.choices
                    if c["code"] == reply.choice
                ),
                "",
            )
            yield [
                reply.recipient_id,
                district,
                reply.question.order,
                reply.choice,
                label,
                reply.text,
                reply.channel,
                _time(reply.answered_at),
            ]

    return csv_response(rows(), f"notify-{message.pk}-answers.csv")


# --- Conversations (やりとり) ---------------------------------------------------------------------


@staff_required(permission=VIEW_REPLY)
@require_GET
def conversation_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Recipients of a message who wrote to the town, those waiting for an answer first."""
    message = get_object_or_404(Message, pk=pk)
    page = Paginator(queries.conversations(message), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/staff/conversation_list.html",
        {
            "message": message,
            "page": page,
            "breadcrumbs": _message_crumbs(message, (_("町民とのやりとり"), None)),
        },
    )


@staff_required(permission=VIEW_REPLY)
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int, recipient_pk: int) -> HttpResponse:
    """The thread with one resident about a notice, and the town's reply form."""
    message = get_object_or_404(Message, pk=pk)
    recipient = get_object_or_404(
        Recipient.objects.select_related("user__resident_profile__district"),
        pk=recipient_pk,
        message=message,
    )
    can_reply = request.user.has_perm(REPLY)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if not can_reply:
            raise PermissionDenied
        if form.is_valid():
            try:
                replies.add_to_conversation(
                    recipient,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    from_staff=True,
                    channel=Channel.IN_APP,
                )
            except ValidationError as error:
                form.add_error("body", error.messages)
            else:
                messages.success(request, _("返信しました。"))
                return redirect(
                    "notify:staff_conversation", pk=message.pk, recipient_pk=recipient.pk
                )
    else:
        audit.record_read(
            by=request.user,
            obj=recipient,
            subject_user_id=recipient.user_id,
            reason=_("町民とのやりとり"),
            request=request,
        )
    profile = getattr(recipient.user, "resident_profile", None)
    return render(
        request,
        "notify/staff/conversation.html",
        {
            "message": message,
            "recipient": recipient,
            "profile": profile,
            "notice": rendering.render(
                message.contents,
                message.context,
                language=rendering.JAPANESE,
                recipient_values=rendering.recipient_values(profile),
            ),
            "thread": queries.thread(recipient),
            "form": form,
            "can_reply": can_reply,
            "breadcrumbs": _message_crumbs(
                message,
                (_("町民とのやりとり"), reverse("notify:staff_conversations", args=[message.pk])),
                (
                    profile.full_name
                    if profile is not None and profile.full_name
                    else _("受信者 %(id)s") % {"id": recipient.pk},
                    None,
                ),
            ),
        },
    )
