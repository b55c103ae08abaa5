import pytest
from django.core.exceptions import ValidationError

from yakuba.core.models import local_government_code_check_digit, validate_local_government_code


@pytest.mark.parametrize(
    ("code", "check_digit"),
    [("04323", 1), ("13101", 6), ("01100", 2), ("47201", 8), ("27100", 4)],
)
def test_check_digit_of_local_government_code(code: str, check_digit: int) -> None:
    assert local_government_code_check_digit(code) == check_digit


@pytest.mark.parametrize("value", ["043232", "04323", "04323a", "0432311"])
def test_invalid_local_government_codes_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_local_government_code(value)


def test_watari_code_is_valid() -> None:
    validate_local_government_code("043231")
