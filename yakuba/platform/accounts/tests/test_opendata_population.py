"""地域・年齢別人口 from the residents: counting, ages on the reference date, suppression."""

from __future__ import annotations

import random
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from yakuba.core.models import Municipality
from yakuba.core.standard_datasets import (
    ColumnType,
    StandardColumn,
    StandardDataset,
    standard_dataset,
)
from yakuba.platform.accounts import opendata
from yakuba.platform.accounts.models import HouseholdMember, Sex
from yakuba.platform.accounts.opendata import (
    SUPPRESSED,
    Key,
    Line,
    age_on,
    population_rows,
    suppress,
)
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    HouseholdMemberFactory,
    ResidentProfileFactory,
)
from yakuba.platform.places.models import District

AS_OF = date(2024, 3, 1)


# --- The suppression rule on plain tables ----------------------------------------------------


def grid(rows: dict[str, list[int]]) -> tuple[dict[tuple[str, str], int], list[Line]]:
    """A table of districts × columns a, b, c… with a published row total "t" per district and
    a town-wide total known for every column."""
    cells: dict[tuple[str, str], int] = {}
    names: list[str] = []
    for district, counts in rows.items():
        names = [chr(ord("a") + i) for i in range(len(counts))]
        for name, count in zip(names, counts, strict=True):
            cells[district, name] = count
        cells[district, "t"] = sum(counts)
    lines = [Line((d, "t"), tuple((d, n) for n in names)) for d in rows]
    lines += [Line(None, tuple((d, n) for d in rows)) for n in [*names, "t"]]
    return cells, lines


def test_counts_from_1_to_9_are_suppressed_and_0_and_10_are_not() -> None:
    cells = {("d", "a"): 0, ("d", "b"): 1, ("d", "c"): 9, ("d", "e"): 10}
    assert suppress(cells, []) == {("d", "b"), ("d", "c")}


def test_a_single_suppressed_cell_in_a_row_gets_a_companion() -> None:
    cells, lines = grid({"d1": [30, 3, 40, 20], "d2": [30, 30, 40, 20], "d3": [30, 30, 40, 20]})
    hidden = suppress(cells, lines)
    # d1·b (3) alone could be had as 93 − 30 − 40 − 20; the smallest other count (20) goes too,
    # and the columns b and d then each need a second cell, in another district.
    assert {("d1", "b"), ("d1", "d")} <= hidden
    assert ("d1", "t") not in hidden
    for line in lines:
        shown_total = line.total is None or line.total not in hidden
        covered = [key for key in line.members if key in hidden]
        if covered and shown_total:
            assert len(covered) >= 2
            assert sum(cells[key] for key in covered) >= 10


def test_suppressed_cells_of_a_row_must_hide_at_least_ten_people() -> None:
    cells = {("d", "a"): 1, ("d", "b"): 1, ("d", "c"): 12, ("d", "e"): 50, ("d", "t"): 64}
    line = Line(("d", "t"), (("d", "a"), ("d", "b"), ("d", "c"), ("d", "e")))
    # 1 + 1 hidden would be known to be 2, i.e. one person in each: c (12) is hidden as well.
    assert suppress(cells, [line]) == {("d", "a"), ("d", "b"), ("d", "c")}


def test_a_zero_is_suppressed_only_when_no_other_count_is_left() -> None:
    # One person aged 100+ in the whole town: hiding their district's cell alone would still say
    # where they live, since the town-wide count is public; a zero elsewhere hides it.
    cells = {("d1", "old"): 1, ("d2", "old"): 0, ("d3", "old"): 0}
    line = Line(None, tuple(cells))
    assert suppress(cells, [line]) == {("d1", "old"), ("d2", "old")}


def test_the_row_total_is_suppressed_when_nothing_else_can_protect_the_row() -> None:
    # The total (12) is above the threshold but one visible cell is not part of the line.
    cells = {("d", "a"): 2, ("d", "t"): 12}
    line = Line(("d", "t"), (("d", "a"),))
    assert suppress(cells, [line]) == {("d", "a"), ("d", "t")}


def test_a_hidden_total_is_not_left_to_be_added_up_from_its_parts() -> None:
    # 男性 (22) is hidden to protect 女性 (4) in 総人口; its bands, if shown, would add up to it.
    cells = {
        ("d", "total"): 26,
        ("d", "men"): 22,
        ("d", "women"): 4,
        ("d", "men 0-49"): 10,
        ("d", "men 50+"): 12,
    }
    lines = [
        Line(("d", "total"), (("d", "men"), ("d", "women"))),
        Line(("d", "men"), (("d", "men 0-49"), ("d", "men 50+"))),
    ]
    assert suppress(cells, lines) == set(cells) - {("d", "total")}


def test_an_unpublished_count_is_hidden_first_and_never_shown_as_x() -> None:
    # 3 unrecorded people next to 40 and 50: hiding the unpublished 12 elsewhere costs nothing.
    cells = {("d", "total"): 93, ("d", "a"): 40, ("d", "b"): 50, ("d", "unrecorded"): 3}
    line = Line(("d", "total"), (("d", "a"), ("d", "b"), ("d", "unrecorded")))
    assert suppress(cells, [line], unpublished=[("d", "unrecorded")]) == {("d", "a")}
    cells[("d", "b")] = 2
    cells[("d", "extra")] = 12
    line = Line(("d", "total"), (*line.members, ("d", "extra")))
    unpublished = [("d", "unrecorded"), ("d", "extra")]
    # b (2) is hidden; the unpublished 12 and 3 make up the rest, so a (40) stays shown.
    assert suppress(cells, [line], unpublished=unpublished) == {("d", "b")}


def test_suppression_is_deterministic_on_ties() -> None:
    cells, lines = grid({"d1": [5, 20, 20, 20], "d2": [20, 20, 20, 20]})
    assert suppress(cells, lines) == suppress(dict(cells), list(lines))
    assert ("d1", "b") in suppress(cells, lines)  # the earliest of the equal counts


# --- Ages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(1980, 4, 12), date(2024, 4, 11), 43),
        (date(1980, 4, 12), date(2024, 4, 12), 44),  # on the birthday
        (date(2000, 2, 29), date(2023, 2, 28), 22),  # common year: not yet on 28 February
        (date(2000, 2, 29), date(2023, 3, 1), 23),  # … but on 1 March
        (date(2000, 2, 29), date(2024, 2, 29), 24),  # leap year: on the day itself
        (date(2024, 3, 1), date(2024, 3, 1), 0),
    ],
)
def test_age_on_a_day(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


def test_the_reference_date_is_the_first_of_the_month() -> None:
    assert opendata.reference_date(date(2024, 2, 29)) == date(2024, 2, 1)


# --- Rows from the register ------------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def town() -> Municipality:
    return Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
    )


def residents(district: District, count: int, born: date = date(1980, 4, 1)) -> None:
    for _ in range(count):
        ResidentProfileFactory.create(district=district, birth_date=born)


def by_district(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["地域コード"]: row for row in rows}


def test_rows_have_the_standards_columns_one_row_per_district_in_order() -> None:
    second = DistrictFactory.create(code="02", name="逢隈")
    second.order = 2
    second.save()
    first = DistrictFactory.create(code="01", name="田沢")
    first.order = 1
    first.save()
    rows = population_rows(AS_OF)
    columns = standard_dataset("population_by_area_age").column_names()
    assert [tuple(row) for row in rows] == [columns, columns]
    assert [row["地域名"] for row in rows] == ["田沢", "逢隈"]
    assert rows[0]["全国地方公共団体コード"] == "043231"
    assert rows[0]["地方公共団体名"] == "宮城県亘理町"
    assert rows[0]["調査年月日"] == "2024-03-01"
    # Nobody lives there yet: every count is a 0, none left empty.
    assert rows[0]["総人口"] == 0 and rows[0]["男性"] == 0 and rows[0]["0-4歳の女性"] == 0


def test_households_and_their_members_are_counted_in_the_holders_district() -> None:
    big = DistrictFactory.create(code="01")
    other = DistrictFactory.create(code="02")
    residents(big, 8)
    holder = ResidentProfileFactory.create(district=big)
    for _ in range(3):
        HouseholdMemberFactory.create(profile=holder)
    residents(other, 15)
    ResidentProfileFactory.create(district=None)  # no district: not counted
    gone = ResidentProfileFactory.create(district=other)
    gone.user.is_active = False
    gone.user.save()
    rows = by_district(population_rows(AS_OF))
    assert rows["01"]["総人口"] == 12  # 9 holders + 3 members
    assert rows["02"]["総人口"] == 15
    # 9 households: a count under 10, and with it the smallest other district's households.
    assert rows["01"]["世帯数"] == "X"
    assert rows["02"]["世帯数"] == "X"
    assert rows["01"]["備考"].startswith("X: 秘匿")


def test_a_district_with_one_resident_is_hidden_and_cannot_be_subtracted_out() -> None:
    lonely = DistrictFactory.create(code="01")
    middle = DistrictFactory.create(code="02")
    big = DistrictFactory.create(code="03")
    residents(lonely, 1)
    residents(middle, 12)
    residents(big, 30)
    rows = by_district(population_rows(AS_OF))
    assert rows["01"]["総人口"] == "X"
    # The town's total is public, so a second district's total is hidden with it (the smaller).
    assert rows["02"]["総人口"] == "X"
    assert rows["03"]["総人口"] == 30


def test_a_town_without_anyone_small_shows_every_count() -> None:
    district = DistrictFactory.create(code="01")
    residents(district, 10)
    row = population_rows(AS_OF)[0]
    assert row["総人口"] == 10
    assert row["世帯数"] == 10
    assert row["備考"] == ""


# --- Age bands, with a standard that has columns not split by sex ----------------------------

BANDS = ("0-9歳", "10-19歳", "20歳以上", "年齢不詳")


@pytest.fixture
def bands_standard(monkeypatch: pytest.MonkeyPatch) -> None:
    columns = ("地域コード", "地域名", "調査年月日", "総人口", *BANDS, "備考")
    standard = StandardDataset(
        code="population_by_area_age",
        title="地域・年齢別人口",
        title_en="",
        columns=tuple(StandardColumn(name, ColumnType.TEXT, False) for name in columns),
        source="",
    )
    monkeypatch.setattr(opendata, "standard_dataset", lambda code: standard)


@pytest.mark.usefixtures("bands_standard")
def test_people_fall_into_the_band_of_their_age_on_the_reference_date() -> None:
    district = DistrictFactory.create(code="01")
    residents(district, 10, born=date(2014, 3, 1))  # 10 on 1 March 2024: birthday that day
    residents(district, 10, born=date(2014, 3, 2))  # still 9
    residents(district, 10, born=date(2004, 2, 29))  # 20 on 1 March 2024 (29 Feb exists)
    residents(district, 10, born=date(1950, 1, 1))
    HouseholdMemberFactory.create(
        profile=ResidentProfileFactory.create(district=district, birth_date=None),
        birth_date=date(2024, 3, 15),  # born after the reference date: not yet counted
    )
    row = population_rows(AS_OF)[0]
    assert row["年齢不詳"] == "X"  # the one holder without a birth date
    assert row["10-19歳"] == 10
    assert row["20歳以上"] == 20
    assert row["総人口"] == 41
    # The hidden 1 alone could be had as 41 − 10 − 10 − 20: the smallest other band (the
    # earliest of the two 10s) is hidden with it.
    assert row["0-9歳"] == "X"


@pytest.mark.usefixtures("bands_standard")
@pytest.mark.parametrize(
    ("day", "band"),
    [
        (date(2022, 2, 28), "0-9歳"),  # 2022 is a common year: still 9 on 28 February
        (date(2022, 3, 1), "10-19歳"),  # 10 from 1 March
        (date(2024, 2, 29), "10-19歳"),
    ],
)
def test_a_birthday_on_29_february_counts_from_1_march_in_a_common_year(
    day: date, band: str
) -> None:
    district = DistrictFactory.create(code="01")
    residents(district, 10, born=date(2012, 2, 29))
    row = population_rows(day)[0]
    assert row[band] == 10
    assert row["総人口"] == 10


# --- Sex, with the real standard -------------------------------------------------------------


def people(district: District, count: int, sex: str, born: date = date(1980, 4, 1)) -> None:
    holder = ResidentProfileFactory.create(district=district, birth_date=born, sex=sex)
    HouseholdMember.objects.bulk_create(
        HouseholdMember(profile=holder, name="亘理 太郎", birth_date=born, sex=sex)
        for _ in range(count - 1)
    )


def test_people_are_counted_by_sex_and_band_and_the_unrecorded_in_the_total_only() -> None:
    district = DistrictFactory.create(code="01")
    people(district, 20, Sex.MALE)  # 43 on 1 March 2024
    people(district, 15, Sex.FEMALE)
    people(district, 12, "", born=date(2010, 1, 1))
    row = population_rows(AS_OF)[0]
    assert row["総人口"] == 47
    assert (row["男性"], row["女性"]) == (20, 15)
    assert (row["40-44歳の男性"], row["40-44歳の女性"]) == (20, 15)
    # The unrecorded 12 (aged 14) are in 総人口 and in no band.
    assert (row["10-14歳の男性"], row["10-14歳の女性"]) == (0, 0)


def test_a_few_unrecorded_people_cannot_be_had_as_the_total_less_men_and_women() -> None:
    district = DistrictFactory.create(code="01")
    other = DistrictFactory.create(code="02")
    people(district, 20, Sex.MALE)
    people(district, 30, Sex.FEMALE)
    people(district, 2, "")  # 52 − 20 − 30 would say "2 people here did not answer"
    people(other, 40, Sex.MALE)
    people(other, 40, Sex.FEMALE)
    row = by_district(population_rows(AS_OF))["01"]
    assert SUPPRESSED in (row["総人口"], row["男性"], row["女性"])


def test_a_hidden_sex_total_is_not_given_away_by_the_total_when_everyone_answered() -> None:
    district = DistrictFactory.create(code="01")
    other = DistrictFactory.create(code="02")
    people(district, 4, Sex.MALE)
    people(district, 30, Sex.FEMALE)
    people(other, 40, Sex.MALE)
    people(other, 40, Sex.FEMALE)
    row = by_district(population_rows(AS_OF))["01"]
    assert row["男性"] == SUPPRESSED
    # 34 − 30 would give the 4 men back: the total or the women are hidden with them.
    assert SUPPRESSED in (row["総人口"], row["女性"])


# --- No suppressed count can be worked out from everything published -------------------------


def determined(equations: list[dict[Key, int]], unknowns: list[Key]) -> set[Key]:
    """The unknowns whose value follows from the equations (linear, over the unknowns only):
    those with a row of their own in the reduced row echelon form."""
    index = {key: i for i, key in enumerate(unknowns)}
    rows = [[Fraction(0)] * len(unknowns) for _ in equations]
    for row, equation in zip(rows, equations, strict=True):
        for key, coefficient in equation.items():
            if key in index:
                row[index[key]] += coefficient
    pivot_row = 0
    for column in range(len(unknowns)):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][column] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        pivot = rows[pivot_row][column]
        rows[pivot_row] = [value / pivot for value in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    return {
        unknowns[next(i for i, value in enumerate(row) if value != 0)]
        for row in rows
        if sum(1 for value in row if value != 0) == 1
    }


def random_town(seed: int) -> None:
    rng = random.Random(seed)
    for number in range(1, 4):
        district = DistrictFactory.create(code=f"{number:02d}")
        holder = ResidentProfileFactory.create(district=district, sex=Sex.FEMALE)
        HouseholdMember.objects.bulk_create(
            HouseholdMember(
                profile=holder,
                name="亘理 太郎",
                birth_date=date(2023 - rng.randint(0, 99), rng.randint(1, 12), 1),
                sex=rng.choices([Sex.MALE, Sex.FEMALE, ""], weights=[45, 45, 10])[0],
            )
            for _ in range(rng.randint(10, 120))
        )


@pytest.mark.parametrize("seed", range(6))
def test_no_small_hidden_count_follows_from_the_published_cells_and_totals(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    random_town(seed)
    seen: dict[str, Any] = {}

    def recording(cells: Any, lines: Any, *args: Any, **kwargs: Any) -> set[Key]:
        seen.update(cells=dict(cells), lines=list(lines), unpublished=kwargs["unpublished"])
        hidden = suppress(cells, seen["lines"], *args, **kwargs)
        seen["hidden"] = hidden
        return hidden

    monkeypatch.setattr(opendata, "suppress", recording)
    population_rows(AS_OF)
    cells, lines = seen["cells"], seen["lines"]
    assert len(seen["unpublished"]) == 3  # one 性別不詳 cell per district
    unknowns = [key for key in cells if key in seen["hidden"] or key in seen["unpublished"]]
    # Every known sum as an equation over the unknown cells: total − parts = 0; a town-wide sum
    # has no total cell, and only its unknown parts matter for what it determines.
    equations = [
        {**{key: -1 for key in line.members}, **({line.total: 1} if line.total else {})}
        for line in lines
    ]
    small = {key for key in unknowns if 0 < cells[key] < opendata.THRESHOLD}
    assert small, "the town should have something to hide"
    assert small & determined(equations, unknowns) == set()


def test_every_column_that_may_show_x_is_marked_suppressible_in_the_standard() -> None:
    standard = standard_dataset("population_by_area_age")
    district = DistrictFactory.create(code="01")
    residents(district, 3)
    row = population_rows(AS_OF)[0]
    counts = {name for name, value in row.items() if isinstance(value, int) or value == "X"}
    suppressible = {column.name for column in standard.columns if column.suppressible}
    assert counts == suppressible
    assert "男性" in suppressible and "85歳以上の女性" in suppressible
