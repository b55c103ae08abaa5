from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "yakuba.platform.notify"
    label = "notify"
    verbose_name = _("町からの通知")

    def ready(self) -> None:
        from yakuba.core.registry import ModuleEntry, register

        # Only segments exist so far; menus come with the staff pages (issue 5).
        register(ModuleEntry(app_label=self.label, title=self.verbose_name, order=40))
