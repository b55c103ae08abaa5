"""Rules the place services keep that the other test files do not cover."""

import pytest
from django.core.exceptions import ValidationError

from yakuba.platform.places import services
from yakuba.platform.places.models import PlaceKind


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["staff", "GeoJSON"])
def test_an_id_that_would_hide_a_page_is_refused(code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_place(
            by=None,
            kind=PlaceKind.FACILITY,
            code=code,
            name="倉庫",
            latitude=38.03,
            longitude=140.85,
        )
    assert "code" in refused.value.message_dict
