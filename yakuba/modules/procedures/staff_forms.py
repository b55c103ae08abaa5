"""Forms of the back office pages (申請の処理): the queue's filters, the bulk status change, the
actions on a submission, the export, finding the resident at the counter and the upload of a
マイナポータル package. A procedure's own fields (for a clerk's correction, or a counter filing)
are built by the form engine."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.modules.procedures import backoffice, backoffice_queries, mynaportal
from yakuba.modules.procedures.models import Procedure, Status, Submission
from yakuba.modules.procedures.views import in_language
from yakuba.platform.accounts.models import User

MAX_EXPORT_DAYS = 366


def procedure_label(procedure: Procedure) -> str:
    return in_language(procedure.title, procedure.title_en)


class ProcedureChoiceField(forms.ModelChoiceField[Procedure]):
    def label_from_instance(self, obj: Procedure) -> str:
        return procedure_label(obj)


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). The first visit shows the open submissions; a value that does
    not validate falls back to its default."""

    q = forms.CharField(
        label=_("受付番号・氏名"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    procedure = ProcedureChoiceField(
        label=_("手続き"),
        queryset=Procedure.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("すべて"),
    )
    status = forms.ChoiceField(label=_("状態"), required=False)
    older_than = forms.IntegerField(
        label=_("申請から何日以上"),
        required=False,
        min_value=0,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    assignee = forms.ChoiceField(
        label=_("担当者"),
        required=False,
        choices=[
            ("", _("だれでも")),
            (backoffice_queries.ASSIGNEE_ME, _("自分")),
            (backoffice_queries.ASSIGNEE_NONE, _("未定")),
        ],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            ProcedureChoiceField, self.fields["procedure"]
        ).queryset = backoffice_queries.procedures_of(user)
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (backoffice_queries.OPEN, _("未完了（受付・審査中・補正依頼）")),
            ("", _("すべて")),
            *Status.choices,
        ]
        self.initial.setdefault("status", backoffice_queries.OPEN)

    def filters(self, *, viewer: User) -> backoffice_queries.QueueFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        status = backoffice_queries.OPEN
        if "status" in (self.data or {}) and "status" in data:
            status = data["status"] or ""
        return backoffice_queries.QueueFilters(
            procedure=data.get("procedure"),
            status=status,
            older_than_days=data.get("older_than"),
            assignee=data.get("assignee") or "",
            search=data.get("q") or "",
            viewer_id=viewer.pk,
        )


def _status_choices(statuses: list[str]) -> list[tuple[str, str]]:
    return [(s, str(Status(s).label)) for s in statuses]


MESSAGE_HELP = _("申請者にメールで届き、申請のページにも載ります。")


class BulkStatusForm(forms.Form):
    """Change the status of the ticked submissions (一括変更)."""

    # The checkboxes are in the queue's rows; an error about them goes to the summary's top.
    submissions = forms.ModelMultipleChoiceField(
        label=_("対象の申請"), queryset=Submission.objects.none(), required=False
    )
    status = forms.ChoiceField(label=_("変更後の状態"))
    message = forms.CharField(
        label=_("申請者へのお知らせ（なくてもかまいません）"),
        required=False,
        max_length=backoffice.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=MESSAGE_HELP,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the viewer's department's submissions can be ticked; another id is refused here.
        cast(
            forms.ModelMultipleChoiceField, self.fields["submissions"]
        ).queryset = backoffice_queries.visible_to(user).select_related("procedure")
        cast(forms.ChoiceField, self.fields["status"]).choices = _status_choices(
            [s for s in Status.values if s != Status.CORRECTION]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_error("submissions"):
            # An id of another department's submission (a crafted or stale post).
            del self.errors["submissions"]
            raise forms.ValidationError(
                _("選んだ申請の中に、扱えないものがあります。一覧を開き直してください。")
            )
        if not data.get("submissions"):
            raise forms.ValidationError(_("状態を変える申請にチェックを入れてください。"))
        return data


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return backoffice_queries.staff_name(obj)


class AssignForm(forms.Form):
    assignee = StaffChoiceField(
        label=_("担当者"), queryset=User.objects.none(), required=False, empty_label=_("未定")
    )

    def __init__(self, *args: Any, submission: Submission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A crafted post may name anyone on the staff; the service refuses other departments
        # with its own message.
        field = cast(StaffChoiceField, self.fields["assignee"])
        field.queryset = User.objects.filter(is_staff=True).select_related("staff_member")
        field.choices = [
            ("", _("未定")),
            *(
                (str(u.pk), field.label_from_instance(u))
                for u in backoffice_queries.assignable_staff(submission)
            ),
        ]
        if submission.assignee_id is not None:
            self.initial.setdefault("assignee", submission.assignee_id)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("変更後の状態"))
    message = forms.CharField(
        label=_("申請者へのお知らせ（なくてもかまいません）"),
        required=False,
        max_length=backoffice.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MESSAGE_HELP,
    )

    def __init__(self, *args: Any, submission: Submission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A post may name any status: a move the rules refuse gets the service's own sentence.
        offered = list(Status.values) if self.is_bound else backoffice.next_statuses(submission)
        cast(forms.ChoiceField, self.fields["status"]).choices = _status_choices(offered)


class CorrectionRequestForm(forms.Form):
    """補正依頼: tick the answers to be corrected and say what is wrong."""

    prefix = "correction"

    fields_to_correct = forms.MultipleChoiceField(
        label=_("直してほしい項目"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("直してほしい項目を一つ以上選んでください。")},
    )
    message = forms.CharField(
        label=_("申請者へのお知らせ（何をどう直してほしいか）"),
        max_length=backoffice.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MESSAGE_HELP,
    )

    def __init__(self, *args: Any, submission: Submission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.MultipleChoiceField, self.fields["fields_to_correct"]
        ).choices = backoffice.correctable_fields(submission)


class NoteForm(forms.Form):
    prefix = "note"
    text = forms.CharField(
        label=_("内部メモ（申請者には見えません）"),
        max_length=backoffice.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(forms.Form):
    prefix = "message"
    text = forms.CharField(
        label=_("申請者へのお知らせ"),
        max_length=backoffice.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MESSAGE_HELP,
    )


class CorrectFieldChoiceForm(forms.Form):
    """Which answer a clerk corrects (GET): the page then shows that field as the form has it."""

    prefix = "correct"

    field = forms.ChoiceField(label=_("訂正する項目"))

    def __init__(self, *args: Any, submission: Submission, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["field"]).choices = backoffice.correctable_fields(
            submission, files=False
        )


class CorrectReasonForm(forms.Form):
    prefix = "correct"
    reason = forms.CharField(
        label=_("訂正の理由"),
        max_length=backoffice.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("申請者にも届きます。例: 電話で申請者に確認し、番地の誤りを直しました。"),
    )


class ExportForm(forms.Form):
    """A procedure's submissions filed in a date range, as CSV or Excel."""

    procedure = ProcedureChoiceField(
        label=_("手続き"), queryset=Procedure.objects.none(), to_field_name="code"
    )
    date_from = forms.DateField(
        label=_("申請日（から）"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("申請日（まで）"), widget=forms.DateInput(attrs={"type": "date"})
    )
    format = forms.ChoiceField(
        label=_("ファイルの形式"),
        choices=[("csv", _("CSV（UTF-8）")), ("xlsx", _("Excel（.xlsx）"))],
        widget=forms.RadioSelect,
        initial="csv",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            ProcedureChoiceField, self.fields["procedure"]
        ).queryset = backoffice_queries.procedures_of(user)
        today = timezone.localdate()
        self.initial.setdefault("date_from", today.replace(day=1))
        self.initial.setdefault("date_to", today)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("終わりの日は、始まりの日と同じか後にしてください。"))
            elif end - start > timedelta(days=MAX_EXPORT_DAYS):
                self.add_error(
                    "date_to",
                    _("一度に出力できるのは%(days)d日分までです。") % {"days": MAX_EXPORT_DAYS},
                )
        return data


class CounterSearchForm(forms.Form):
    """窓口受付: the procedure (of the clerk's department) and the resident who came in person,
    found by name, kana or e-mail (GET)."""

    procedure = ProcedureChoiceField(
        label=_("手続き"),
        queryset=Procedure.objects.none(),
        to_field_name="code",
        empty_label=_("選んでください"),
        error_messages={"required": _("受け付ける手続きを選んでください。")},
    )
    q = forms.CharField(
        label=_("来庁した方の氏名・ふりがな・メールアドレス・電話番号"),
        max_length=100,
        help_text=_("姓だけ、ふりがなの一部でも探せます。本人確認書類と見比べて選んでください。"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        error_messages={
            "required": _("探す方の氏名・ふりがな・メールアドレス・電話番号を入力してください。")
        },
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            ProcedureChoiceField, self.fields["procedure"]
        ).queryset = backoffice_queries.counter_procedures(user)


class MynaportalUploadForm(forms.Form):
    """マイナポータル（ぴったりサービス）からダウンロードした申請データの取込."""

    package = forms.FileField(
        label=_("申請データのファイル（ZIPまたはXML）"),
        error_messages={
            "required": _("取り込むファイルを選んでください。"),
            "empty": _("ファイルが空です。"),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.xml"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].help_text = _(
            "マイナポータルからダウンロードしたZIPファイル、または申請1件のXMLファイル。"
            "%(mb)dMBまで。"
        ) % {"mb": mynaportal.MAX_PACKAGE_BYTES // 2**20}
