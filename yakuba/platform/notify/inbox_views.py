"""The resident's side of notify: the inbox (受信箱), answering questions, the conversation with
the town (やりとり), the one-click answer link from mails, attachments and the settings page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yakuba.core.permissions import passed_second_factor
from yakuba.platform.accounts import services as accounts
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.notify import preferences, rendering, replies
from yakuba.platform.notify.channels import line, webpush
from yakuba.platform.notify.inbox_forms import (
    AnswerForm,
    ConversationForm,
    SettingsForm,
    in_language,
)
from yakuba.platform.notify.models import (
    Channel,
    LineLink,
    MessageAttachment,
    PushSubscription,
    Question,
    Recipient,
    Reply,
)

NOTICES_PER_PAGE = 20
# Our language variants as HTML lang values: やさしい日本語 is Japanese to a screen reader.
HTML_LANG = {"ja-easy": "ja", "zh-hans": "zh-Hans"}


def _apply_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, next to the field it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _own_recipient(user: User, pk: int) -> Recipient:
    """The resident's own inbox entry; anyone else's is a 404, as if it did not exist."""
    return get_object_or_404(
        Recipient.objects.select_related("message").prefetch_related(
            "message__questions", "message__attachments"
        ),
        pk=pk,
        user=user,
    )


def _rendered(recipient: Recipient, values: dict[str, str]) -> rendering.Rendered:
    message = recipient.message
    return rendering.render(
        message.contents, message.context, language=recipient.language, recipient_values=values
    )


def _recipient_values(user: User) -> dict[str, str]:
    return rendering.recipient_values(getattr(user, "resident_profile", None))


def _unread_count(user: User) -> int:
    return Recipient.objects.filter(user=user, read_at__isnull=True).count()


def _inbox_crumb() -> tuple[str, str]:
    return (_("町からのお知らせ"), reverse("notify:inbox"))


def _is_safe_link(url: str) -> bool:
    # The link comes from staff or another system through the API: only web addresses become
    # links, never javascript: or data: URLs.
    return url.startswith(("https://", "http://", "/")) and not url.startswith("//")


@dataclass
class Notice:
    """One row of the inbox list."""

    recipient: Recipient
    subject: str
    lang: str


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The resident's inbox (受信箱): newest first, unread and emergency notices marked."""
    user = signed_in_user(request)
    entries = (
        Recipient.objects.filter(user=user).select_related("message").order_by("-created_at", "-pk")
    )
    page = Paginator(entries, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    values = _recipient_values(user)
    notices = [
        Notice(
            recipient=r,
            subject=_rendered(r, values).subject,
            lang=HTML_LANG.get(r.language, r.language),
        )
        for r in page
    ]
    return render(
        request,
        "notify/inbox/list.html",
        {
            "notices": notices,
            "page": page,
            "page_obj": page,
            "unread_count": _unread_count(user),
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                (_("町からのお知らせ"), None),
            ],
        },
    )


@dataclass
class QuestionBlock:
    """A question on the detail page: its form and the resident's current answer."""

    question: Question
    form: AnswerForm
    reply: Reply | None
    answer_label: str


def _answer_label(question: Question, reply: Reply | None, language: str) -> str:
    if reply is None:
        return ""
    if reply.choice:
        for choice in question.choices:
            if choice["code"] == reply.choice:
                return in_language(choice["label"], language)
        return reply.choice
    return reply.text


def _detail_response(
    request: HttpRequest,
    recipient: Recipient,
    *,
    failed_form: BaseForm | None = None,
    preselect: str = "",
) -> HttpResponse:
    user = signed_in_user(request)
    message = recipient.message
    language = recipient.language
    rendered = _rendered(recipient, _recipient_values(user))
    current = {reply.question_id: reply for reply in recipient.replies.all()}
    blocks = []
    for number, question in enumerate(message.questions.all()):
        reply = current.get(question.pk)
        if isinstance(failed_form, AnswerForm) and failed_form.question.pk == question.pk:
            form = failed_form
        else:
            initial = _current_answer(reply)
            # A Web Push action button opens the page with ?answer=<code>: the choice is
            # pre-selected for the first question, and the resident still confirms it.
            offered = {c["code"] for c in question.choices}
            if number == 0 and preselect in offered:
                initial = preselect
            form = AnswerForm(question=question, language=language, initial={"answer": initial})
        blocks.append(
            QuestionBlock(
                question=question,
                form=form,
                reply=reply,
                answer_label=_answer_label(question, reply, language),
            )
        )
    conversation_form = (
        failed_form if isinstance(failed_form, ConversationForm) else ConversationForm()
    )
    return render(
        request,
        "notify/inbox/detail.html",
        {
            "recipient": recipient,
            "message": message,
            "subject": rendered.subject,
            "body": rendered.body,
            "lang": HTML_LANG.get(language, language),
            "link_url": message.link_url if _is_safe_link(message.link_url) else "",
            "attachments": list(message.attachments.all()),
            "questions": blocks,
            "conversation": list(recipient.conversation.all()),
            "conversation_form": conversation_form,
            "failed_form": failed_form,
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                _inbox_crumb(),
                (rendered.subject, None),
            ],
        },
    )


def _current_answer(reply: Reply | None) -> str:
    if reply is None:
        return ""
    return reply.choice or reply.text


@login_required
def inbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One notice: opening it marks it read."""
    recipient = _own_recipient(signed_in_user(request), pk)
    replies.mark_read(recipient)
    replies.mark_conversation_read(recipient)
    return _detail_response(request, recipient, preselect=request.GET.get("answer", ""))


@login_required
@require_POST
def answer_question(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    """Answer (or change the answer to) one question of the resident's own notice."""
    recipient = _own_recipient(signed_in_user(request), pk)
    question = get_object_or_404(Question, pk=question_pk, message_id=recipient.message_id)
    form = AnswerForm(request.POST, question=question, language=recipient.language)
    if form.is_valid():
        answer = form.cleaned_data["answer"]
        is_choice = form.is_choice
        try:
            replies.record_reply(
                recipient,
                question,
                choice=answer if is_choice else "",
                text="" if is_choice else answer,
                channel=Channel.IN_APP,
            )
        except ValidationError as error:
            form.add_error("answer", error)
        else:
            messages.success(request, _("回答を送りました。"))
            return redirect(
                reverse("notify:inbox_detail", args=[recipient.pk]) + f"#question-{question.pk}"
            )
    return _detail_response(request, recipient, failed_form=form)


@login_required
@require_POST
def write_to_town(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the resident's message to the conversation with the town about a notice."""
    user = signed_in_user(request)
    recipient = _own_recipient(user, pk)
    form = ConversationForm(request.POST)
    if form.is_valid():
        try:
            replies.add_to_conversation(
                recipient,
                by=user,
                body=form.cleaned_data["body"],
                from_staff=False,
                channel=Channel.IN_APP,
            )
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages.success(request, _("町にメッセージを送りました。"))
            return redirect(reverse("notify:inbox_detail", args=[recipient.pk]) + "#conversation")
    return _detail_response(request, recipient, failed_form=form)


@require_http_methods(["GET", "POST"])
def answer_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click answer link in a mail. The token is the credential, so this works signed out.

    GET only shows what will be recorded, with a button: mail scanners open links, and an answer
    such as 「無事です」 must come from the resident. POST records it, then redirects (PRG).
    """
    try:
        recipient, question, choice = replies.read_answer_token(token)
    except ValidationError:
        return render(request, "notify/inbox/answer_invalid.html", status=400)
    offered = {c["code"]: c["label"] for c in question.choices}
    if choice not in offered:
        return render(request, "notify/inbox/answer_invalid.html", status=400)
    if request.method == "POST":
        try:
            replies.record_reply(recipient, question, choice=choice, channel=Channel.EMAIL)
        except ValidationError:
            return render(request, "notify/inbox/answer_invalid.html", status=400)
        messages.success(request, _("回答を受け付けました。"))
        return redirect("notify:answer", token=token)
    language = recipient.language
    reply = Reply.objects.filter(recipient=recipient, question=question).first()
    profile = getattr(recipient.user, "resident_profile", None)
    rendered = rendering.render(
        recipient.message.contents,
        recipient.message.context,
        language=language,
        recipient_values=rendering.recipient_values(profile),
    )
    return render(
        request,
        "notify/inbox/answer_confirm.html",
        {
            "recipient": recipient,
            "subject": rendered.subject,
            "question_text": in_language(question.text, language),
            "choice_label": in_language(offered[choice], language),
            "is_recorded": reply is not None and reply.choice == choice,
            "current_label": _answer_label(question, reply, language),
            "is_owner": request.user.is_authenticated and request.user.pk == recipient.user_id,
            "lang": HTML_LANG.get(language, language),
        },
    )


def _may_download(user: Any, attachment: MessageAttachment, request: HttpRequest) -> bool:
    if Recipient.objects.filter(message_id=attachment.message_id, user=user).exists():
        return True
    # Staff who may see messages open attachments from the console (with its second factor).
    if user.is_staff and user.has_perm("notify.view_message"):
        return not settings.STAFF_REQUIRE_MFA or passed_second_factor(request)
    return False


@login_required
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Download a message's attachment: only its recipients (and staff who may see messages)."""
    item = get_object_or_404(MessageAttachment, pk=pk)
    if not _may_download(request.user, item, request):
        # The same answer as a missing file: ids must not tell a resident what exists.
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(
        handle, as_attachment=True, filename=item.name, content_type=item.content_type
    )


def _channel_hints(user: User) -> dict[str, str]:
    """Per channel: whether the resident can be reached on it, shown next to its select."""
    from allauth.account.models import EmailAddress

    profile = accounts.ensure_resident_profile(user)
    email_verified = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    line = LineLink.objects.filter(user=user).first()
    pushes = PushSubscription.objects.filter(user=user, expired_at__isnull=True).count()
    hints = {
        Channel.EMAIL: (
            _("%(email)s（確認済み）") % {"email": user.email}
            if email_verified
            else _("%(email)s（まだ確認されていません。確認されるまでメールは届きません）")
            % {"email": user.email}
        ),
        Channel.LINE: (
            _("LINEと連携済みです。")
            if line is not None and line.blocked_at is None
            else _("LINEで町の公式アカウントがブロックされています。")
            if line is not None
            else _("LINEとまだ連携していません。")
        ),
        Channel.WEB_PUSH: (
            _("%(count)d台のブラウザが登録されています。") % {"count": pushes}
            if pushes
            else _("登録されたブラウザはありません。")
        ),
        Channel.SMS: (
            _("登録情報の電話番号（%(phone)s）に送ります。") % {"phone": profile.phone}
            if profile.phone
            else _("登録情報に電話番号がありません。")
        ),
    }
    return {str(channel): str(hint) for channel, hint in hints.items()}


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """The resident's notification settings (通知の設定)."""
    user = signed_in_user(request)
    hints = _channel_hints(user)
    if request.method == "POST":
        form = SettingsForm(request.POST, channel_hints=hints)
        if form.is_valid():
            data = form.cleaned_data
            try:
                preferences.save_settings(
                    user,
                    by=user,
                    channels=form.ordered_channels(),
                    topics=data["topics"],
                    quiet_from=data["quiet_from"],
                    quiet_until=data["quiet_until"],
                    daily_digest=data["daily_digest"],
                    digest_time=data["digest_time"],
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("通知の設定を保存しました。"))
                return redirect("notify:settings")
    else:
        current = preferences.settings_of(user)
        form = SettingsForm(initial=SettingsForm.initial_for(current), channel_hints=hints)
    return render(
        request,
        "notify/inbox/settings.html",
        {
            "form": form,
            # Empty when Web Push is off: the push button then renders nothing.
            "vapid_public_key": webpush.vapid_public_key(),
            # The link to LINE's account link only when the town has a LINE official account.
            "line_enabled": line.build().is_configured,
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                _inbox_crumb(),
                (_("通知の設定"), None),
            ],
        },
    )
