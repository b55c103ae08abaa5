"""Staff triage of reports (通報の対応): assign, set a status without double posts, internal
notes, photo review, merge duplicates, hide a report, block and unblock a sender.

Every operation runs in a transaction and leaves an audit entry (`audit.record`) with the acting
staff member (`by=`). Status changes go through `services.change_status`, so the reporter hears of
them exactly as for any other change. Permissions are checked by the views (reports.change_report);
the rules here hold whoever calls them.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.reports import services
from yakuba.modules.reports.models import (
    MAX_DESCRIPTION_LENGTH,
    BlockedSender,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record

# A second identical status post by the same person within this many seconds is a double click
# (or a reload of the POST), not a second message to the reporter.
DOUBLE_POST_SECONDS = 10
MAX_REASON_LENGTH = 500


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update().get(pk=report.pk)


def _staff_name(user: User) -> str:
    member = StaffMember.objects.filter(user=user).first()
    return member.display_name if member is not None else user.email


@transaction.atomic
def assign(report: Report, *, by: User, to: User | None) -> Report:
    """Give the report to a staff member of its department (担当者を決める); `to=None` takes it
    back to nobody. Someone from another department cannot be made responsible: the category
    routed the report to this department."""
    report = _locked(report)
    if to is not None and not (
        to.is_active
        and to.is_staff
        and StaffMember.objects.filter(user=to, department_id=report.department_id).exists()
    ):
        raise ValidationError(
            _("担当者は、この通報の担当課の職員から選んでください。"), code="other_department"
        )
    before = report.assignee_id
    if before == (to.pk if to is not None else None):
        return report
    report.assignee = to
    report.save(update_fields=["assignee", "updated_at"])
    ReportUpdate.objects.create(
        report=report,
        author=by,
        by_staff=True,
        is_internal=True,
        note=(
            _("担当者を%(name)sにしました。") % {"name": _staff_name(to)}
            if to is not None
            else _("担当者を外しました。")
        ),
    )
    record(
        AuditAction.UPDATE,
        by=by,
        obj=report,
        changes={"assignee": [before, report.assignee_id]},
    )
    return report


@transaction.atomic
def set_status(
    report: Report,
    *,
    by: User,
    status: str,
    note: str = "",
    photo: UploadedFile | None = None,
) -> ReportUpdate:
    """Set a status with a public note (and an "after" photo) through `services.change_status`,
    ignoring a double post: when the same person posted the same status and note to the same
    report in the last few seconds, that update is returned and nothing new is written or sent.
    The report row is locked first, so two simultaneous clicks are taken one after the other."""
    report = _locked(report)
    if report.merged_into_id is not None:
        raise ValidationError(
            _("統合した通報の状態は変えられません。統合先の通報 #%(number)s で対応してください。")
            % {"number": report.merged_into_id},
            code="merged",
        )
    recent = (
        ReportUpdate.objects.filter(
            report=report,
            author=by,
            by_staff=True,
            is_internal=False,
            note=note.strip(),
            created_at__gte=timezone.now() - timedelta(seconds=DOUBLE_POST_SECONDS),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if recent is not None and report.status == status and recent.status in ("", status):
        return recent
    update = services.change_status(report, by=by, status=status, note=note, photo=photo)
    record(
        AuditAction.UPDATE,
        by=by,
        obj=report,
        changes={"status": status, "update_id": update.pk},
    )
    return update


@transaction.atomic
def add_internal_note(report: Report, *, by: User, note: str) -> ReportUpdate:
    """A note staff keep among themselves (内部メモ): never shown to the public or the reporter,
    and the reporter is not told."""
    note = note.strip()
    if not note:
        raise ValidationError(_("メモの内容を書いてください。"), code="empty")
    if len(note) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError(
            _("メモは%(limit)d文字以内にしてください。") % {"limit": MAX_DESCRIPTION_LENGTH},
            code="too_long",
        )
    update = ReportUpdate.objects.create(
        report=report, author=by, by_staff=True, is_internal=True, note=note
    )
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    record(AuditAction.CREATE, by=by, obj=update)
    return update


@transaction.atomic
def set_photo_public(photo: ReportPhoto, *, by: User, public: bool) -> ReportPhoto:
    """Publish a photo after a look at it (写真の確認: faces, number plates), keep it private, or
    take it down. Either way it has been looked at and leaves the review list."""
    photo = ReportPhoto.objects.select_for_update().get(pk=photo.pk)
    first_look = photo.reviewed_at is None
    if first_look:
        photo.reviewed_at = timezone.now()
    if photo.is_public != public or first_look:
        photo.is_public = public
        photo.save(update_fields=["is_public", "reviewed_at"])
        record(
            AuditAction.UPDATE,
            by=by,
            obj=photo,
            changes={"is_public": [not public, public]},
        )
    return photo


@transaction.atomic
def merge(duplicate: Report, *, into: Report, by: User) -> Report:
    """Merge a duplicate into the report it repeats (重複の統合).

    The duplicate points to the other (`merged_into`), is closed with a public note naming it, and
    its status becomes 重複, and its reporter is told; its photos and history stay where they are.
    Reports already merged into the duplicate are moved to the new one, so a chain never forms.
    Refused: into itself, from a report already merged, into a report that is merged or hidden."""
    if duplicate.pk == into.pk:
        raise ValidationError(_("同じ通報どうしは統合できません。"), code="itself")
    # Lock both rows in id order, so two merges of the same pair cannot deadlock.
    locked = {
        r.pk: r
        for r in Report.objects.select_for_update()
        .filter(pk__in=[duplicate.pk, into.pk])
        .order_by("pk")
    }
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    if duplicate.merged_into_id is not None:
        raise ValidationError(
            _("この通報はすでに #%(number)s に統合されています。")
            % {"number": duplicate.merged_into_id},
            code="already_merged",
        )
    if into.merged_into_id is not None:
        raise ValidationError(
            _("#%(number)s は別の通報 #%(target)s に統合されています。統合先を選び直してください。")
            % {"number": into.pk, "target": into.merged_into_id},
            code="target_merged",
        )
    if into.is_hidden:
        raise ValidationError(
            _("#%(number)s は非公開の通報です。非公開の通報には統合できません。")
            % {"number": into.pk},
            code="target_hidden",
        )
    moved = list(Report.objects.filter(merged_into=duplicate).values_list("pk", flat=True))
    Report.objects.filter(pk__in=moved).update(merged_into=into, updated_at=timezone.now())
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    services.change_status(
        duplicate,
        by=by,
        status=Status.DUPLICATE,
        note=_(
            "この通報は、同じ内容の通報 #%(number)s にまとめました。これからの対応の状況は "
            "#%(number)s のページでお知らせします。"
        )
        % {"number": into.pk},
    )
    record(
        AuditAction.UPDATE,
        by=by,
        obj=duplicate,
        changes={"merged_into": into.pk, "moved_duplicates": moved},
    )
    duplicate.refresh_from_db()
    return duplicate


@transaction.atomic
def hide(report: Report, *, by: User, reason: str) -> Report:
    """Take a report off the public map, list and Open311 (非公開にする: abuse, personal data in
    the text…). The reason is kept as an internal note and in the audit log."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("非公開にする理由を書いてください。"), code="no_reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            _("理由は%(limit)d文字以内にしてください。") % {"limit": MAX_REASON_LENGTH},
            code="too_long",
        )
    report = _locked(report)
    if report.is_hidden:
        raise ValidationError(_("この通報はすでに非公開です。"), code="already_hidden")
    report.is_hidden = True
    report.save(update_fields=["is_hidden", "updated_at"])
    ReportUpdate.objects.create(
        report=report,
        author=by,
        by_staff=True,
        is_internal=True,
        note=_("非公開にしました。理由: %(reason)s") % {"reason": reason},
    )
    record(AuditAction.UPDATE, by=by, obj=report, reason=reason, changes={"is_hidden": True})
    return report


@transaction.atomic
def unhide(report: Report, *, by: User) -> Report:
    """Show a hidden report to the public again (公開に戻す)."""
    report = _locked(report)
    if not report.is_hidden:
        raise ValidationError(_("この通報は非公開になっていません。"), code="not_hidden")
    report.is_hidden = False
    report.save(update_fields=["is_hidden", "updated_at"])
    ReportUpdate.objects.create(
        report=report, author=by, by_staff=True, is_internal=True, note=_("公開に戻しました。")
    )
    record(AuditAction.UPDATE, by=by, obj=report, changes={"is_hidden": False})
    return report


@transaction.atomic
def block_sender(
    *, by: User, user: User | None = None, email: str = "", reason: str
) -> BlockedSender:
    """Refuse further reports and comments from an account or an email address (受付停止).
    Staff accounts are not blocked here (their access is managed elsewhere)."""
    email = email.strip().lower()
    reason = reason.strip()
    if user is None and not email:
        raise ValidationError(
            _("連絡先のない通報は、送信者を特定できないため受付停止にできません。"),
            code="no_sender",
        )
    if not reason:
        raise ValidationError(_("受付停止にする理由を書いてください。"), code="no_reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            _("理由は%(limit)d文字以内にしてください。") % {"limit": MAX_REASON_LENGTH},
            code="too_long",
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("メールアドレスの形が正しくありません。"), code="bad_email"
            ) from None
    if user is not None and user.is_staff:
        raise ValidationError(_("職員のアカウントは受付停止にできません。"), code="staff")
    if services.is_blocked(reporter=user, email=email):
        raise ValidationError(_("この送信者はすでに受付停止にしています。"), code="already")
    blocked = BlockedSender.objects.create(user=user, email=email, reason=reason, blocked_by=by)
    record(
        AuditAction.CREATE,
        by=by,
        obj=blocked,
        subject_user_id=user.pk if user is not None else None,
        reason=reason[:200],
    )
    return blocked


@transaction.atomic
def unblock(blocked: BlockedSender, *, by: User) -> None:
    """Take reports from the sender again (受付停止の解除)."""
    record(
        AuditAction.DELETE,
        by=by,
        obj=blocked,
        subject_user_id=blocked.user_id,
        changes={"email": blocked.email, "user": blocked.user_id},
    )
    blocked.delete()
