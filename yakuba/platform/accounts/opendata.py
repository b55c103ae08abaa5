"""地域・年齢別人口 (population by district, age band and sex) from the residents Yakuba knows, as a
自治体標準オープンデータセット, with small counts suppressed so that nobody can be identified.

Who is counted: every active resident account's holder (ResidentProfile) and the members of their
household (HouseholdMember), in the holder's district (行政区). These are the people who signed up,
not the 住民基本台帳: the dataset is therefore not published by itself (its OpenDataset has
`publish_automatically=False`). It starts as a draft whose files are kept current; staff read it,
say in its description whom it counts, and publish it by hand.

People without a district are not counted; people without a birth date are counted under 年齢不詳
when the standard has that column and are otherwise left out, so that the age cells and 総人口
agree. Each resident profile is one household (世帯数). Ages are taken on the
reference date (調査年月日), the first day of the current month, as residents' statistics (住民基本
台帳人口) are usually given: a person born on 29 February turns a year older on 1 March in common
years (年齢計算ニ関スル法律: the age goes up when the day before the birthday ends).

Sex (性別) is optional and asked only for these statistics. The standard splits every age band by
sex ("0-4歳の男性" …) and has no band totals, so people whose sex is not recorded (回答しない) are
counted in 総人口 only: 総人口 = 男性 + 女性 + the unrecorded, and each of 男性 / 女性 is the sum of
its bands. The number of unrecorded people of a district is never published, but as it can be had
as 総人口 − 男性 − 女性 it is treated as a count like the others (an unpublished cell, "性別不詳").

Small-cell suppression (秘匿処理), so that no person can be picked out:

1. Primary suppression: a count of 1 to 9 people (or households) is shown as "X", the e-Stat
   symbol for 秘匿; an unpublished count of 1 to 9 (the unrecorded) is protected in the same way.
   0 is shown: it says that nobody is there, which identifies no one. The threshold of 10 is the
   one the Ministry of Health's NDB open data uses ("10未満").
2. Secondary suppression: a suppressed count must not be recoverable by subtraction from a sum
   that is known — 総人口 = 男性 + 女性 + unrecorded, 男性 (女性) = the sum of its bands, 総人口 =
   the sum of the bands where the standard does not split them by sex, and the town-wide total of
   each column, which the town publishes elsewhere (広報, 住民基本台帳人口). For each such line
   holding a suppressed cell, the suppressed cells among its parts must be at least two holding at
   least 10 people, i.e. what is hidden in a line is itself no smaller than a primary-suppressed
   count. This holds even when the line's own total is suppressed, since that total may be had
   from another line (a hidden 男性 from 総人口 − 女性, say). While a line falls short, the next
   part is suppressed: an unpublished count first, since hiding it costs nothing, then the
   smallest non-zero count (the earliest column or district on a tie, so the result is
   deterministic); a 0 only when no non-zero count is left, which hides where the few people
   are. A line that still falls short has its own total suppressed (a district's 総人口 then shows
   "X"), and that total is in turn protected in its column.

The rule repeats until every line holds, so a suppressed cell can be recovered neither from its
row nor from its column (the tests also check, by linear algebra over all the sums at once, that
no hidden count under 10 follows from what is published). The 備考 of a row with suppressed
cells says what "X" means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from yakuba.core.models import Municipality
from yakuba.core.standard_datasets import standard_dataset
from yakuba.platform.accounts.models import HouseholdMember, ResidentProfile, Sex
from yakuba.platform.places.models import District

STANDARD = "population_by_area_age"
THRESHOLD = 10
SUPPRESSED = "X"
SUPPRESSION_NOTE = (
    "X: 秘匿（個人が特定されないよう、10人未満の値とそこから逆算できる値を伏せています）"
)

TOTAL = "総人口"
HOUSEHOLDS = "世帯数"
SEX_COLUMNS = {"男性": Sex.MALE, "女性": Sex.FEMALE}
# The district's people whose sex is not recorded: a cell of the suppression, never a column.
UNRECORDED_SEX = "性別不詳"
BAND = re.compile(r"^(?P<low>\d+)-(?P<high>\d+)歳$")
OPEN_BAND = re.compile(r"^(?P<low>\d+)歳以上$")
UNKNOWN_AGE = ("年齢不詳", "不詳者")
BY_SEX = re.compile(r"^(?P<band>.+)の(?P<sex>男性|女性)$")

Key = tuple[str, str]  # (district code, column name)


@dataclass(frozen=True)
class Line:
    """Cells whose sum is known: `total` is the cell holding it, or None when the sum is
    published elsewhere (the town-wide total of a column)."""

    total: Key | None
    members: tuple[Key, ...]


def suppress(
    cells: Mapping[Key, int],
    lines: Iterable[Line],
    threshold: int = THRESHOLD,
    unpublished: Collection[Key] = (),
) -> set[Key]:
    """The published cells to show as "X": primary suppression (1 ≤ count < threshold), then
    secondary suppression until every line holding a suppressed cell hides at least two of its
    parts holding at least `threshold` in all (see the module docstring). `unpublished` cells are
    never shown but can be had by subtraction: they are protected like the others, and hidden
    first when a line needs one more hidden part."""
    lines = list(lines)
    position = {key: index for index, key in enumerate(cells)}

    def preference(key: Key) -> tuple[bool, bool, int, int]:
        return (cells[key] == 0, key not in unpublished, cells[key], position[key])

    hidden = {key for key, count in cells.items() if 0 < count < threshold}
    changed = True
    while changed:
        changed = False
        for line in lines:
            total_hidden = line.total is not None and line.total in hidden
            covered = [key for key in line.members if key in hidden]
            if not (covered or total_hidden) or (
                len(covered) >= 2 and sum(cells[key] for key in covered) >= threshold
            ):
                continue
            visible = [key for key in line.members if key not in hidden]
            nonzero = [key for key in visible if cells[key] > 0]
            if nonzero or (len(covered) < 2 and visible):
                hidden.add(min(nonzero or visible, key=preference))
            elif line.total is not None and not total_hidden:
                hidden.add(line.total)
            else:
                continue
            changed = True
    return hidden - set(unpublished)


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day` (満年齢)."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


@dataclass(frozen=True)
class AgeColumn:
    """A column of the standard counting people by age: ages `low` to `high` (None = no upper
    limit), or unknown ages when `low` is None; of one sex, or of everyone when `sex` is None."""

    name: str
    low: int | None
    high: int | None
    sex: str | None = None

    def holds_age(self, age: int | None) -> bool:
        if self.low is None or age is None:
            return self.low is None and age is None
        return self.low <= age and (self.high is None or age <= self.high)

    def holds(self, age: int | None, sex: str) -> bool:
        return self.holds_age(age) and (self.sex is None or self.sex == sex)


def _age_column(name: str, band: str, sex: str | None) -> AgeColumn | None:
    if match := BAND.match(band):
        return AgeColumn(name, int(match["low"]), int(match["high"]), sex)
    if match := OPEN_BAND.match(band):
        return AgeColumn(name, int(match["low"]), None, sex)
    if band in UNKNOWN_AGE:
        return AgeColumn(name, None, None, sex)
    return None


def _age_columns(columns: Iterable[str]) -> list[AgeColumn]:
    found = []
    for column in columns:
        split = BY_SEX.match(column)
        band, sex = (split["band"], SEX_COLUMNS[split["sex"]]) if split else (column, None)
        if age_column := _age_column(column, band, sex):
            found.append(age_column)
    return found


def reference_date(today: date | None = None) -> date:
    """The day the population is given for (調査年月日): the first of the current month."""
    today = today or timezone.localdate()
    return today.replace(day=1)


def population_rows(as_of: date | None = None) -> list[dict[str, Any]]:
    """The rows of 地域・年齢別人口, one per district in the town's order, suppressed."""
    as_of = as_of or reference_date()
    columns = standard_dataset(STANDARD).column_names()
    age_columns = _age_columns(columns)
    by_sex = set(SEX_COLUMNS) <= set(columns)
    districts = list(District.objects.order_by("order", "code"))
    holders = ResidentProfile.objects.filter(user__is_active=True, district__isnull=False)
    people: list[tuple[int, date | None, str]] = list(
        holders.values_list("district_id", "birth_date", "sex")
    )
    people += list(
        HouseholdMember.objects.filter(
            profile__user__is_active=True, profile__district__isnull=False
        ).values_list("profile__district_id", "birth_date", "sex")
    )
    households = Counter(holders.values_list("district_id", flat=True))
    by_district = {district.pk: district.code for district in districts}

    counted = _counted_columns(columns, age_columns)
    unpublished = [(district.code, UNRECORDED_SEX) for district in districts] if by_sex else []
    cells: dict[Key, int] = {(d.code, column): 0 for d in districts for column in counted}
    cells.update(dict.fromkeys(unpublished, 0))
    for district in districts:
        if HOUSEHOLDS in columns:
            cells[district.code, HOUSEHOLDS] = households[district.pk]
    for district_id, birth_date, sex in people:
        age = age_on(birth_date, as_of) if birth_date else None
        if age is not None and age < 0:
            continue  # born after the reference date
        if age_columns and not any(column.holds_age(age) for column in age_columns):
            continue  # no birth date and no 年齢不詳 column: 総人口 stays the sum of the ages
        code = by_district[district_id]
        for column in age_columns:
            if column.holds(age, sex):
                cells[code, column.name] += 1
        if TOTAL in columns:
            cells[code, TOTAL] += 1
        if by_sex:
            part = next((name for name, value in SEX_COLUMNS.items() if value == sex), None)
            cells[code, part or UNRECORDED_SEX] += 1

    lines = _lines(columns, [d.code for d in districts], age_columns, by_sex)
    hidden = suppress(cells, lines, unpublished=unpublished)
    municipality = Municipality.current()
    rows = []
    for district in districts:
        known: dict[str, Any] = {
            "全国地方公共団体コード": municipality.code if municipality else "",
            "都道府県コード又は市区町村コード": municipality.code if municipality else "",
            "地方公共団体名": (
                f"{municipality.prefecture}{municipality.name}" if municipality else ""
            ),
            "都道府県名": municipality.prefecture if municipality else "",
            "市区町村名": municipality.name if municipality else "",
            "調査年月日": as_of.isoformat(),
            "地域コード": district.code,
            "地域名": district.name,
        }
        row_hidden = False
        for name in counted:
            key = (district.code, name)
            row_hidden = row_hidden or key in hidden
            known[name] = SUPPRESSED if key in hidden else cells[key]
        known["備考"] = SUPPRESSION_NOTE if row_hidden else ""
        rows.append({column: known.get(column, "") for column in columns})
    return rows


def _counted_columns(columns: tuple[str, ...], age_columns: list[AgeColumn]) -> list[str]:
    """The standard's columns that hold counts, in its order of kinds: ages, totals, households."""
    totals = [column for column in (TOTAL, *SEX_COLUMNS, HOUSEHOLDS) if column in columns]
    return [*(column.name for column in age_columns), *totals]


def _lines(
    columns: tuple[str, ...],
    districts: list[str],
    age_columns: list[AgeColumn],
    by_sex: bool,
) -> list[Line]:
    """Every sum a reader knows: within each district, and each column over the town."""
    lines = []
    sex_columns = list(SEX_COLUMNS) if by_sex else []
    for code in districts:
        if TOTAL in columns and (bands := [c.name for c in age_columns if c.sex is None]):
            lines.append(Line((code, TOTAL), tuple((code, band) for band in bands)))
        if TOTAL in columns and by_sex:
            parts = (*sex_columns, UNRECORDED_SEX)
            lines.append(Line((code, TOTAL), tuple((code, part) for part in parts)))
        for sex_column in sex_columns:
            bands = [c.name for c in age_columns if c.sex == SEX_COLUMNS[sex_column]]
            lines.append(Line((code, sex_column), tuple((code, band) for band in bands)))
    counted = _counted_columns(columns, age_columns)
    if by_sex:
        counted.append(UNRECORDED_SEX)
    lines += [Line(None, tuple((code, column) for code in districts)) for column in counted]
    return lines
