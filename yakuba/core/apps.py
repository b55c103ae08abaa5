from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yakuba.core"
    label = "core"
    verbose_name = _("基盤")

    def ready(self) -> None:
        from yakuba.core import jobs

        jobs.connect_retry()
