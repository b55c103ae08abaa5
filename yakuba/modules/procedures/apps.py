from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "yakuba.modules.procedures"
    label = "procedures"
    verbose_name = _("オンライン申請")

    def ready(self) -> None:
        from yakuba.core.registry import (
            MenuEntry,
            ModuleEntry,
            NotificationKind,
            Permission,
            register,
        )
        from yakuba.modules.procedures import demo

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                resident_menu=(
                    MenuEntry(
                        label=_("手続きをオンラインで申請する"),
                        url_name="procedures:catalogue",
                        description=_(
                            "児童手当、保育園、介護保険、証明書など。役場に行かずに申請できます"
                        ),
                        icon="document",
                    ),
                    MenuEntry(
                        label=_("あなたの申請"),
                        url_name="procedures:mine",
                        description=_("申請した手続きの状況、町からの連絡、控えのPDF"),
                        icon="document",
                    ),
                ),
                staff_menu=(
                    MenuEntry(
                        label=_("申請の処理"),
                        url_name="procedures:staff_queue",
                        permission="procedures.view_submission",
                        description=_(
                            "担当課に届いた申請の一覧、審査、補正依頼、申請者への連絡、CSV・Excel"
                        ),
                        icon="document",
                    ),
                    MenuEntry(
                        label=_("手続きと様式"),
                        url_name="procedures:builder_list",
                        permission="procedures.change_procedure",
                        description=_(
                            "手続きの様式をコードなしで作る・直す、プレビュー、公開、他の町との共有"
                        ),
                        icon="document",
                    ),
                ),
                permissions=(
                    Permission("view_submission", _("担当課の申請を見る")),
                    Permission("change_submission", _("申請を処理する")),
                    Permission("change_procedure", _("手続きと様式を編集する")),
                ),
                notification_kinds=(
                    NotificationKind(
                        "procedures.received",
                        _("申請の受付"),
                        subject=_("「((procedure))」の申請を受け付けました（((receipt))）"),
                        body=_(
                            "((氏名))様\n「((procedure))」の申請を受け付けました。受付番号は"
                            "((receipt))です。\n状況と申請の控え（PDF）は、下のリンクから"
                            "見られます。"
                        ),
                    ),
                    NotificationKind(
                        "procedures.updated",
                        _("申請の状況の変化"),
                        subject=_("申請（((receipt))）の状況: ((status))"),
                        body=_(
                            "((氏名))様\n「((procedure))」の申請（((receipt))）の状況が"
                            "「((status))」になりました。\n\n((message))"
                        ),
                    ),
                ),
                urls="yakuba.modules.procedures.urls",
                url_prefix="procedures/",
                api_router="yakuba.modules.procedures.api.router",
                api_prefix="procedures",
                load_demo=demo.load_demo,
                order=100,
            )
        )
