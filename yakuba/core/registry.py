"""The module registry: how each feature module declares itself to the platform.

In the spirit of Decidim's component manifests, a module describes once, in its `AppConfig.ready()`,
what it adds to the shared surfaces: menu entries for residents and staff, permissions, notification
kinds, open datasets, map layers, a demo-data loader and its share of a resident's personal data.
The portal, the staff console, the open-data catalogue and the map read this registry, so adding a
module never touches a central list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

Label = str | Promise


@dataclass(frozen=True)
class MenuEntry:
    """A link on the resident portal or in the staff console."""

    label: Label
    url_name: str
    description: Label = ""
    # A Django permission ("app_label.codename") the user needs to see the entry; "" for everyone.
    permission: str = ""
    icon: str = ""
    # How many things wait for the user there (unread notices…), shown on the card; None for none.
    count_waiting: Callable[[Any], int] | None = None

    def is_visible_to(self, user: Any) -> bool:
        return not self.permission or user.has_perm(self.permission)


@dataclass(frozen=True)
class Permission:
    """A permission a module defines; roles (Django groups) are given these."""

    codename: str
    label: Label


@dataclass(frozen=True)
class NotificationKind:
    """A kind of message a module sends through the `notify` platform service."""

    code: str
    label: Label
    description: Label = ""
    # Emergency kinds ignore quiet hours and topic opt-outs.
    is_emergency: bool = False
    # The message text, with ((placeholders)) filled from the sender's context; translated through
    # the catalogues, and optionally in やさしい日本語 (easy_subject / easy_body).
    subject: Label = ""
    body: Label = ""
    easy_subject: Label = ""
    easy_body: Label = ""
    # An accounts.Topic code: residents who chose other topics skip ordinary messages of this kind.
    topic: str = ""


@dataclass(frozen=True)
class OpenDataset:
    """An open dataset the module can generate from live data (自治体標準オープンデータセット)."""

    code: str
    title: Label
    # Returns the rows of the dataset, each a dict in the standard's column order.
    build_rows: Callable[[], list[dict[str, Any]]]
    standard: str = ""
    # False when the data needs a person's judgement before it goes out (e.g. counts of the
    # residents who signed up, which are not the town's official population): the generated
    # dataset then starts as a draft that staff publish by hand.
    publish_automatically: bool = True


@dataclass(frozen=True)
class MapLayer:
    """A layer on the town map: a GeoJSON FeatureCollection served at `url_name` (what the map's
    script fetches) and built by `features` (what the page lists for readers without it)."""

    code: str
    title: Label
    url_name: str
    features: Callable[[], dict[str, Any]]
    url_kwargs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonalData:
    """A module's share of a resident's personal data.

    `export` returns JSON-ready data for "download my data"; `erase` deletes or anonymises it when
    the resident deletes the account. Both run inside the account service's transaction.
    """

    export: Callable[[Any], dict[str, Any] | list[Any]]
    erase: Callable[[Any], None]


@dataclass(frozen=True)
class ModuleEntry:
    """Everything one module declares to the platform."""

    app_label: str
    title: Label
    resident_menu: tuple[MenuEntry, ...] = ()
    staff_menu: tuple[MenuEntry, ...] = ()
    permissions: tuple[Permission, ...] = ()
    notification_kinds: tuple[NotificationKind, ...] = ()
    open_datasets: tuple[OpenDataset, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()
    # Web pages: the module's URLconf (dotted path) mounted at `url_prefix` ("reports/").
    urls: str = ""
    url_prefix: str = ""
    # Further URLconfs mounted elsewhere, as (prefix, dotted path): ("open311/v2/", "pkg.open311_urls")
    # for an endpoint a standard places outside the module's own prefix.
    extra_urls: tuple[tuple[str, str], ...] = ()
    # HTTP API: a Django Ninja Router (dotted path "pkg.api.router") mounted at /api/<api_prefix>/.
    api_router: str = ""
    api_prefix: str = ""
    # Loads the module's demo data; must be idempotent (the demo command may run many times).
    load_demo: Callable[[], None] | None = None
    personal_data: PersonalData | None = None
    # The order demo loaders and menus run in; platform services come before feature modules.
    order: int = 100


class Registry:
    """The modules that declared themselves, in a stable order."""

    def __init__(self) -> None:
        self._entries: dict[str, ModuleEntry] = {}

    def register(self, entry: ModuleEntry) -> None:
        if entry.app_label in self._entries and self._entries[entry.app_label] != entry:
            raise ValueError(f"Module {entry.app_label!r} is already registered.")
        self._entries[entry.app_label] = entry

    def __iter__(self) -> Iterator[ModuleEntry]:
        return iter(sorted(self._entries.values(), key=lambda e: (e.order, e.app_label)))

    def __getitem__(self, app_label: str) -> ModuleEntry:
        return self._entries[app_label]

    def resident_menu(self, user: Any) -> list[MenuEntry]:
        return [m for entry in self for m in entry.resident_menu if m.is_visible_to(user)]

    def staff_menu(self, user: Any) -> list[MenuEntry]:
        return [m for entry in self for m in entry.staff_menu if m.is_visible_to(user)]

    def notification_kinds(self) -> list[NotificationKind]:
        return [kind for entry in self for kind in entry.notification_kinds]

    def open_datasets(self) -> list[OpenDataset]:
        return [dataset for entry in self for dataset in entry.open_datasets]

    def map_layers(self) -> list[MapLayer]:
        return [layer for entry in self for layer in entry.map_layers]

    def personal_data(self) -> list[tuple[str, PersonalData]]:
        return [(e.app_label, e.personal_data) for e in self if e.personal_data is not None]


registry = Registry()
register = registry.register
