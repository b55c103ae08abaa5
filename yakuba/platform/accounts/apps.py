from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yakuba.platform.accounts"
    label = "accounts"
    verbose_name = _("アカウント")

    def ready(self) -> None:
        from yakuba.core.registry import (
            MenuEntry,
            ModuleEntry,
            OpenDataset,
            PersonalData,
            register,
        )
        from yakuba.platform.accounts import demo, opendata, services, signals  # noqa: F401

        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                staff_menu=(
                    MenuEntry(
                        label=_("町民情報の照会"),
                        url_name="accounts:staff_resident_search",
                        description=_(
                            "町民の登録情報と世帯を検索・閲覧します（閲覧は記録されます）。"
                        ),
                        permission="accounts.view_residentprofile",
                    ),
                ),
                # The resident pages live under /my/ and the staff lookup under /staff/residents/.
                urls="yakuba.platform.accounts.urls",
                url_prefix="",
                api_router="yakuba.platform.accounts.api.router",
                api_prefix="accounts",
                open_datasets=(
                    OpenDataset(
                        code="accounts.population_by_area_age",
                        title=_("地域・年齢別人口"),
                        build_rows=opendata.population_rows,
                        standard=opendata.STANDARD,
                        # The residents who signed up, not the 住民基本台帳: staff publish it.
                        publish_automatically=False,
                    ),
                ),
                load_demo=demo.load_demo,
                personal_data=PersonalData(
                    export=services.export_own_data, erase=services.erase_own_data
                ),
                order=20,
            )
        )
