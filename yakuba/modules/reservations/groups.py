"""Registered groups (団体登録): a resident registers a group and becomes its representative
(代表者), lists its members, and staff approve it; only an approved group books as a group and
enters lotteries (`services._check_booker`, `lottery.enter`).

Members are residents with an account, added by the representative by their e-mail address:
they can then book and enter lotteries for the group. They are added at once, told by a
notification, and may leave the group whenever they like; the representative sees them by the
address they typed, never by name, so the form tells nobody more than they already knew. The
group's `member_count` is its whole membership, most of whom never book online.

Staff of any department that runs facilities decide: approve (承認: also lifts a suspension),
refuse (登録できません) or suspend (停止) with a reason, which goes to the representative and to
the audit log. A representative who changes the group's name or whether it is in town (which
sets its rate) sends an approved group back to review (審査中); so does editing a refused one.
A suspension is lifted by staff only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jaconv
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.reservations.models import Facility, Group
from yakuba.platform import notify
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record

MAX_REASON = 200
MAX_MEMBER_COUNT = 10_000
# Hiragana, katakana, the long-vowel mark, 「・」 and spaces: how a group's name is read.
KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb\u3000 ]+$")


@dataclass(frozen=True)
class GroupDetails:
    """What the representative writes about the group."""

    name: str
    name_kana: str
    activity: str
    member_count: int
    in_town: bool


def group_url(group: Group) -> str:
    return reverse("reservations:group", args=[group.pk])


def groups_of(user: Any) -> QuerySet[Group]:
    """The groups `user` represents or belongs to, whatever their status."""
    return (
        Group.objects.filter(Q(representative=user) | Q(members=user))
        .distinct()
        .order_by("name_kana", "pk")
    )


def is_member(group: Group, user: Any) -> bool:
    return group.representative_id == user.pk or group.members.filter(pk=user.pk).exists()


def _clean(details: GroupDetails, *, exclude: Group | None = None) -> GroupDetails:
    name = " ".join(details.name.split())
    kana = jaconv.kata2hira(" ".join(details.name_kana.split()))
    activity = " ".join(details.activity.split())
    errors = []
    if not name:
        errors.append(ValidationError(_("団体名を書いてください。"), code="name"))
    elif len(name) > 100:
        errors.append(ValidationError(_("団体名は100文字以内で書いてください。"), code="name"))
    if not kana or not KANA.match(kana):
        errors.append(
            ValidationError(
                _("団体名の読みを、ひらがなかカタカナで書いてください。"), code="name_kana"
            )
        )
    elif len(kana) > 200:
        errors.append(ValidationError(_("読みは200文字以内で書いてください。"), code="name_kana"))
    if not activity:
        errors.append(ValidationError(_("活動の内容を書いてください。"), code="activity"))
    elif len(activity) > 300:
        errors.append(
            ValidationError(_("活動の内容は300文字以内で書いてください。"), code="activity")
        )
    if not 1 <= details.member_count <= MAX_MEMBER_COUNT:
        errors.append(
            ValidationError(
                _("会員数は1人から%(max)s人までで書いてください。") % {"max": MAX_MEMBER_COUNT},
                code="member_count",
            )
        )
    same_name = Group.objects.filter(name=name).exclude(status=Group.Status.REFUSED)
    if exclude is not None:
        same_name = same_name.exclude(pk=exclude.pk)
    if name and same_name.exists():
        errors.append(
            ValidationError(
                _("同じ名前の団体がすでに登録されています。別の名前にしてください。"), code="name"
            )
        )
    if errors:
        raise ValidationError(errors)
    return GroupDetails(name, kana, activity, details.member_count, details.in_town)


def register_group(details: GroupDetails, *, by: Any) -> Group:
    """Register a group with `by` as its representative (団体登録の申請); it waits for staff."""
    with transaction.atomic():
        cleaned = _clean(details)
        return Group.objects.create(
            name=cleaned.name,
            name_kana=cleaned.name_kana,
            activity=cleaned.activity,
            member_count=cleaned.member_count,
            in_town=cleaned.in_town,
            representative=by,
        )


def _ensure_representative(group: Group, by: Any) -> None:
    if group.representative_id != by.pk:
        raise PermissionDenied


def update_group(group: Group, details: GroupDetails, *, by: Any) -> Group:
    """The representative changes what the group says about itself. A new name or a change of
    in town / out of town sends an approved group back to review; editing a refused group asks
    again. A suspended group stays suspended."""
    _ensure_representative(group, by)
    with transaction.atomic():
        locked = Group.objects.select_for_update().get(pk=group.pk)
        cleaned = _clean(details, exclude=locked)
        needs_review = (
            locked.status == Group.Status.APPROVED
            and (cleaned.name != locked.name or cleaned.in_town != locked.in_town)
        ) or locked.status == Group.Status.REFUSED
        locked.name = cleaned.name
        locked.name_kana = cleaned.name_kana
        locked.activity = cleaned.activity
        locked.member_count = cleaned.member_count
        locked.in_town = cleaned.in_town
        if needs_review:
            locked.status = Group.Status.PENDING
            locked.decided_by = None
            locked.decided_at = None
        locked.save()
    return locked


def add_member(group: Group, *, email: str, by: Any) -> User:
    """The representative adds a resident who has an account, by their e-mail address; they are
    told, and may leave."""
    _ensure_representative(group, by)
    email = email.strip()
    member = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if member is None:
        raise ValidationError(
            _(
                "このメールアドレスで登録している方は見つかりませんでした。"
                "会員の方に、先に町のサービスに登録してもらってください。"
            ),
            code="email",
        )
    if member.pk == group.representative_id or group.members.filter(pk=member.pk).exists():
        raise ValidationError(_("この方は、すでに団体の会員です。"), code="email")
    with transaction.atomic():
        group.members.add(member)
        notify.send(
            "reservations.group_member_added",
            to=member,
            context={"group": group.name},
            link_url=group_url(group),
        )
    return member


def remove_member(group: Group, member: User, *, by: Any) -> None:
    """The representative removes a member, or a member leaves (会員をやめる)."""
    if by.pk not in (group.representative_id, member.pk):
        raise PermissionDenied
    if not group.members.filter(pk=member.pk).exists():
        raise ValidationError(_("この方は団体の会員ではありません。"), code="member")
    group.members.remove(member)


def may_decide(user: Any) -> bool:
    """Who decides on groups: staff who manage bookings in a department that runs at least one
    facility (any of them: a group books across departments), or a superuser."""
    if user.is_superuser:
        return True
    if not (user.is_staff and user.has_perm("reservations.change_booking")):
        return False
    departments = StaffMember.objects.filter(user=user).values("department_id")
    return Facility.objects.filter(department_id__in=departments).exists()


def pending_count(user: Any) -> int:
    """Groups waiting for a decision (審査中), for the staff menu."""
    if not may_decide(user):
        return 0
    return Group.objects.filter(status=Group.Status.PENDING).count()


# The decisions staff take, the statuses each may start from, and what the representative is told.
DECISIONS = {
    Group.Status.APPROVED: (
        (Group.Status.PENDING, Group.Status.SUSPENDED),
        "reservations.group_approved",
    ),
    Group.Status.REFUSED: ((Group.Status.PENDING,), "reservations.group_refused"),
    Group.Status.SUSPENDED: ((Group.Status.APPROVED,), "reservations.group_suspended"),
}


def decide(group: Group, *, status: str, reason: str, by: Any) -> Group:
    """Approve, refuse or suspend a group (承認・不承認・停止). A refusal or a suspension needs
    a reason; an approval may carry a note. The representative is told either way."""
    if not may_decide(by):
        raise PermissionDenied
    if status not in DECISIONS:
        raise ValidationError(_("決定の内容を選んでください。"), code="status")
    allowed_from, kind = DECISIONS[Group.Status(status)]
    reason = " ".join(reason.split())
    if status != Group.Status.APPROVED and not reason:
        raise ValidationError(_("理由を書いてください。代表者にお知らせします。"), code="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(
            _("理由は%(count)s文字以内で書いてください。") % {"count": MAX_REASON}, code="reason"
        )
    with transaction.atomic():
        locked = Group.objects.select_for_update().select_related("representative").get(pk=group.pk)
        if locked.status not in allowed_from:
            raise ValidationError(
                _("「%(status)s」の団体には、この決定はできません。")
                % {"status": locked.get_status_display()},
                code="status",
            )
        before = locked.status
        locked.status = status
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        record(
            AuditAction.UPDATE,
            by=by,
            obj=locked,
            subject_user_id=locked.representative_id,
            reason=reason,
            changes={"status": [before, status]},
        )
        notify.send(
            kind,
            to=locked.representative,
            context={"group": locked.name, "reason": reason or "—"},
            link_url=group_url(locked),
        )
    return locked
