from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "yakuba.modules.reports"
    label = "reports"
    verbose_name = _("町民からの通報")

    def ready(self) -> None:
        from yakuba.core.registry import (
            MenuEntry,
            ModuleEntry,
            NotificationKind,
            Permission,
            register,
        )
        from yakuba.modules.reports import demo

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                resident_menu=(
                    MenuEntry(
                        label=_("道路や街灯の不具合を知らせる"),
                        url_name="reports:new",
                        description=_(
                            "道路の穴、街灯の球切れ、不法投棄、倒木などを、写真と地図で町に知らせる"
                        ),
                        icon="alert",
                    ),
                    MenuEntry(
                        label=_("みんなの通報と対応の状況"),
                        url_name="reports:list",
                        description=_("町に寄せられた通報の地図と一覧、あなたの通報の経過"),
                        icon="map",
                    ),
                ),
                staff_menu=(
                    MenuEntry(
                        label=_("通報の統計"),
                        url_name="reports:stats",
                        permission="reports.view_report",
                        description=_(
                            "種類・行政区・月ごとの件数と、完了までの日数（グラフとCSV）"
                        ),
                        icon="map",
                    ),
                    MenuEntry(
                        label=_("通報の対応"),
                        url_name="reports:triage",
                        permission="reports.view_report",
                        description=_(
                            "担当課の通報の一覧と地図、担当者、状態、写真の確認、重複の統合"
                        ),
                        icon="alert",
                    ),
                    MenuEntry(
                        label=_("Open311のアプリ"),
                        url_name="reports:open311_key_list",
                        permission="reports.add_open311client",
                        description=_("Open311で通報を送るアプリのAPIキーを発行・失効する"),
                        icon="key",
                    ),
                ),
                permissions=(
                    Permission("view_report", _("通報を見る")),
                    Permission("change_report", _("通報の状態を変える")),
                    Permission("add_open311client", _("Open311のアプリを登録する")),
                ),
                notification_kinds=(
                    NotificationKind(
                        "reports.received",
                        _("通報の受付"),
                        subject=_("通報 #((report.pk)) を受け付けました"),
                        body=_(
                            "((氏名))様\nご連絡ありがとうございます。「((category))」の通報を"
                            "受け付けました（受付番号 #((report.pk))）。\n対応の状況は、下の"
                            "リンクから見られます。"
                        ),
                    ),
                    NotificationKind(
                        "reports.updated",
                        _("通報の状況の変化"),
                        subject=_("通報 #((report.pk)) の状況: ((status))"),
                        body=_(
                            "((氏名))様\nご連絡いただいた通報 #((report.pk)) の状況が"
                            "「((status))」になりました。\n\n((note))"
                        ),
                    ),
                ),
                urls="yakuba.modules.reports.urls",
                extra_urls=(("open311/v2/", "yakuba.modules.reports.open311_urls"),),
                url_prefix="reports/",
                load_demo=demo.load_demo,
                order=200,
            )
        )
