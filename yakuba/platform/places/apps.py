from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "yakuba.platform.places"
    label = "places"
    verbose_name = _("場所")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from yakuba.core.registry import (
            MapLayer,
            MenuEntry,
            ModuleEntry,
            OpenDataset,
            Permission,
            register,
        )
        from yakuba.platform.places import demo, opendata
        from yakuba.platform.places.models import District, PlaceKind
        from yakuba.platform.places.services import forget_district_boundaries

        # This process forgets cached boundaries at once; other processes notice via the
        # fingerprint check in services.district_locator().
        post_save.connect(forget_district_boundaries, sender=District, dispatch_uid="places-bnd-s")
        post_delete.connect(
            forget_district_boundaries, sender=District, dispatch_uid="places-bnd-d"
        )

        standard = opendata.STANDARD
        register(
            ModuleEntry(
                app_label=self.label,
                title=self.verbose_name,
                resident_menu=(
                    MenuEntry(
                        label=_("施設・避難所を探す"),
                        url_name="places:list",
                        description=_("公共施設、避難所、AED、バス停などの場所と利用案内"),
                        icon="map",
                    ),
                ),
                staff_menu=(
                    MenuEntry(
                        label=_("場所の管理"),
                        url_name="places:staff_list",
                        description=_("施設・避難所・AEDなどの登録、CSVの取り込みと書き出し"),
                        permission="places.view_place",
                        icon="map",
                    ),
                ),
                permissions=(
                    Permission("view_place", _("場所を見る（非公開を含む）")),
                    Permission("add_place", _("場所を登録する")),
                    Permission("change_place", _("場所を変更する")),
                    Permission("delete_place", _("場所を削除する")),
                    Permission("view_district", _("行政区を見る")),
                    Permission("add_district", _("行政区を登録する")),
                    Permission("change_district", _("行政区を変更する")),
                ),
                map_layers=tuple(
                    MapLayer(
                        code=f"places.{kind.value}",
                        title=kind.label,
                        url_name="places:kind_geojson",
                        url_kwargs={"kind": kind.value},
                    )
                    for kind in PlaceKind
                ),
                open_datasets=(
                    OpenDataset(
                        code="places.public_facilities",
                        title=_("公共施設一覧"),
                        build_rows=opendata.builder("public_facilities"),
                        standard=f"{standard} 公共施設一覧",
                    ),
                    OpenDataset(
                        code="places.aed_locations",
                        title=_("AED設置箇所一覧"),
                        build_rows=opendata.builder("aed_locations"),
                        standard=f"{standard} AED設置箇所一覧",
                    ),
                    OpenDataset(
                        code="places.evacuation_sites",
                        title=_("指定緊急避難場所一覧"),
                        build_rows=opendata.builder("evacuation_sites"),
                        standard=f"{standard} 指定緊急避難場所一覧",
                    ),
                    OpenDataset(
                        code="places.shelters",
                        title=_("指定避難所一覧"),
                        build_rows=opendata.builder("shelters"),
                        standard=f"{standard} 指定避難所一覧",
                    ),
                    OpenDataset(
                        code="places.childcare_facilities",
                        title=_("子育て施設一覧"),
                        build_rows=opendata.builder("childcare_facilities"),
                        standard=f"{standard} 子育て施設一覧",
                    ),
                    OpenDataset(
                        code="places.medical_institutions",
                        title=_("医療機関一覧"),
                        build_rows=opendata.builder("medical_institutions"),
                        standard=f"{standard} 医療機関一覧",
                    ),
                ),
                urls="yakuba.platform.places.urls",
                url_prefix="places/",
                api_router="yakuba.platform.places.api.router",
                api_prefix="places",
                load_demo=demo.load_demo,
                order=10,
            )
        )
