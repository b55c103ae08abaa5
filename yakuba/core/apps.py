from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yakuba.core"
    label = "core"
    verbose_name = _("基盤")

    def ready(self) -> None:
        from yakuba.core import jobs
        from yakuba.core.registry import MenuEntry, ModuleEntry, register

        jobs.connect_retry()
        # Core's own staff pages. Its URLs are mounted by config/urls.py, not through the registry;
        # order 900 lists these operator tools after the modules' menus.
        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                staff_menu=(
                    MenuEntry(
                        label=_("バックグラウンド処理"),
                        url_name="core:jobs",
                        description=_("メール送信などの処理の実行状況、失敗と再試行を確認します。"),
                        permission="django_tasks_database.view_dbtaskresult",
                    ),
                    MenuEntry(
                        label=_("自治体の設定"),
                        url_name="core:municipality_settings",
                        description=_(
                            "町の名称、連絡先、ロゴ、地図の中心など、画面に表示する情報を変更します。"
                        ),
                        permission="core.change_municipality",
                    ),
                ),
                order=900,
            )
        )


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the staff console's sign-in rules (see staff_admin.py)."""

    default = False
    default_site = "yakuba.core.staff_admin.StaffAdminSite"
