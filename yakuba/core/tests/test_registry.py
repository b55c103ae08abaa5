import pytest
from django.contrib.auth.models import AnonymousUser

from yakuba.core.registry import MenuEntry, ModuleEntry, Registry, registry


def test_entries_come_out_in_declared_order() -> None:
    reg = Registry()
    reg.register(ModuleEntry(app_label="reports", title="通報", order=100))
    reg.register(ModuleEntry(app_label="places", title="場所", order=10))
    assert [e.app_label for e in reg] == ["places", "reports"]


def test_registering_a_different_entry_under_the_same_label_is_refused() -> None:
    reg = Registry()
    reg.register(ModuleEntry(app_label="reports", title="通報"))
    with pytest.raises(ValueError, match="already registered"):
        reg.register(ModuleEntry(app_label="reports", title="別物"))


def test_menu_entries_with_a_permission_are_hidden_from_those_without_it() -> None:
    reg = Registry()
    reg.register(
        ModuleEntry(
            app_label="reports",
            title="通報",
            staff_menu=(
                MenuEntry(label="一覧", url_name="x"),
                MenuEntry(label="統計", url_name="y", permission="reports.view_statistics"),
            ),
        )
    )
    assert [m.url_name for m in reg.staff_menu(AnonymousUser())] == ["x"]


def test_platform_apps_are_registered() -> None:
    labels = {entry.app_label for entry in registry}
    assert {"accounts"} <= labels
