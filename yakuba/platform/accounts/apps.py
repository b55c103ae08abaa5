from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yakuba.platform.accounts"
    label = "accounts"
    verbose_name = _("アカウント")

    def ready(self) -> None:
        from yakuba.core.registry import ModuleEntry, register

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                urls="yakuba.platform.accounts.urls",
                url_prefix="my/",
                order=10,
            )
        )
