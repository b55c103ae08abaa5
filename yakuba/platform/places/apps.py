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
        from yakuba.platform.places import demo, opendata, queries
        from yakuba.platform.places.models import District, PlaceKind
        from yakuba.platform.places.services import forget_district_boundaries

        # This process forgets cached boundaries at once; other processes notice via the
        # fingerprint check in services.district_locator().
        post_save.connect(forget_district_boundaries, sender=District, dispatch_uid="places-bnd-s")
        post_delete.connect(
            forget_district_boundaries, sender=District, dispatch_uid="places-bnd-d"
        )

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
                        features=queries.kind_layer(kind.value),
                        url_kwargs={"kind": kind.value},
                    )
                    for kind in PlaceKind
                ),
                open_datasets=tuple(
                    OpenDataset(
                        code=f"places.{standard}",
                        title=title,
                        build_rows=opendata.builder(standard),
                        standard=standard,
                    )
                    for standard, title in (
                        ("public_facilities", _("公共施設一覧")),
                        ("aed_locations", _("AED設置箇所一覧")),
                        ("evacuation_sites", _("指定緊急避難場所一覧")),
                        ("shelters", _("指定避難所一覧")),
                        ("childcare_facilities", _("子育て施設一覧")),
                        ("medical_institutions", _("医療機関一覧")),
                        ("public_toilets", _("公衆トイレ一覧")),
                    )
                ),
                urls="yakuba.platform.places.urls",
                url_prefix="places/",
                api_router="yakuba.platform.places.api.router",
                api_prefix="places",
                load_demo=demo.load_demo,
                order=10,
            )
        )
