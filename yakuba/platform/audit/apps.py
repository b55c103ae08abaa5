from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "yakuba.platform.audit"
    label = "audit"
    verbose_name = _("監査ログ")

    def ready(self) -> None:
        from yakuba.core.registry import MenuEntry, ModuleEntry, Permission, register
        from yakuba.platform.audit import tracking

        tracking.connect()
        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                staff_menu=(
                    MenuEntry(
                        label=_("監査ログ"),
                        url_name="audit:search",
                        description=_("職員の操作と個人情報の閲覧の記録を検索・出力します。"),
                        permission="audit.search_auditentry",
                    ),
                ),
                permissions=(
                    Permission(codename="search_auditentry", label=_("監査ログを検索できる")),
                ),
                urls="yakuba.platform.audit.urls",
                url_prefix="staff/audit/",
                order=30,
            )
        )
