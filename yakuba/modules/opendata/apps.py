from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "yakuba.modules.opendata"
    label = "opendata"
    verbose_name = _("オープンデータ")

    def ready(self) -> None:
        from yakuba.core.registry import MenuEntry, ModuleEntry, Permission, register
        from yakuba.modules.opendata import demo

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                resident_menu=(
                    MenuEntry(
                        label=_("オープンデータ"),
                        url_name="opendata:catalogue",
                        description=_("町が公開しているデータ（CSV・JSON・地図）を探して使う"),
                        icon="map",
                    ),
                    MenuEntry(
                        label=_("町の地図"),
                        url_name="opendata:map",
                        description=_("施設・避難所・AEDなど、町の情報を一つの地図で見る"),
                        icon="map",
                    ),
                ),
                staff_menu=(
                    MenuEntry(
                        label=_("オープンデータの管理"),
                        url_name="opendata:staff_list",
                        permission="opendata.change_dataset",
                        description=_("データセットの登録、ファイルの取り込みと確認、公開と削除"),
                        icon="map",
                    ),
                ),
                permissions=(Permission("change_dataset", _("オープンデータを登録・公開する")),),
                urls="yakuba.modules.opendata.urls",
                url_prefix="opendata/",
                extra_urls=(
                    ("api/3/action/", "yakuba.modules.opendata.ckan_urls"),
                    ("", "yakuba.modules.opendata.dcat_urls"),
                ),
                load_demo=demo.load_demo,
                order=300,
            )
        )
