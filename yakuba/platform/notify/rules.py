"""Segment rules (対象者の絞り込み条件): a JSON rule tree, parsed and turned into one database query.

Grammar (every rule is a JSON object with exactly one key)::

    {"all": [rule, ...]}                                  every sub-rule holds (AND)
    {"any": [rule, ...]}                                  at least one sub-rule holds (OR)
    {"not": rule}                                         the sub-rule does not hold
    {"district": ["<District.code>", ...]}                lives in one of these 行政区
    {"age": {"min": 65, "max": null}}                     age on the send date within the band
    {"household_child_age": {"min": 0, "max": 5}}         has a child or grandchild in the household
                                                          whose age on the send date is in the band
    {"elderly_living_alone": {"min_age": 65}}             at least min_age and no household member
    {"language": ["en", "vi", ...]}                       preferred language is one of these
    {"topic": ["disaster", ...]}                          declared interest in any of these topics
    {"needs_evacuation_assistance": true}                 flagged by staff as 避難行動要支援者

Age (満年齢) is counted in the everyday way: a person gains a year ON their birthday, and someone born
on 29 February gains it on 1 March in a common year. (年齢計算ニ関スル法律 with 民法143条 makes the
legal age change at the end of the day BEFORE the birthday; statutes that depend on it, such as school
entry, say so themselves. For "who should receive this notice" the everyday count is what residents
expect, and it is the one `ResidentProfile.age_on` uses.) Someone with no birth date, or not yet born on
the date, has no age: no age band matches them.

Every leaf becomes a `Q` over `ResidentProfile`; the age bands become birth-date ranges computed in
Python for the send date, so the database compares plain dates (and can use an index).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Exists, F, OuterRef, Q
from django.db.models.expressions import Expression
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import HouseholdMember, Language, Relationship, Topic
from yakuba.platform.places.models import District

# Nesting beyond this is almost certainly a mistake, and would make the SQL needlessly large.
MAX_DEPTH = 8
# A sanity bound on the whole tree (leaves and combinators) for the same reason.
MAX_NODES = 200
MAX_AGE = 150

# 子育て世帯: a grandchild living in the household (三世代同居, common in the town) is raised there
# too, so both count as "a child of the household".
CHILD_RELATIONSHIPS = (Relationship.CHILD.value, Relationship.GRANDCHILD.value)
DEFAULT_ELDERLY_AGE = 65


def born_on_or_before(on: date, years: int) -> date:
    """The latest birth date of someone who is at least `years` old on `on`.

    With birthdays counted on the day itself, that is the same month and day `years` earlier; when
    `on` is 29 February and that year is a common year, it is 28 February (someone born on
    1 March that year turns `years` only the next day)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return date(on.year - years, 2, 28)


def birth_date_range(on: date, minimum: int | None, maximum: int | None) -> Q:
    """Birth dates of people whose age on `on` is within [minimum, maximum] (both inclusive)."""
    condition = Q(birth_date__lte=born_on_or_before(on, minimum or 0))
    if maximum is not None:
        condition &= Q(birth_date__gt=born_on_or_before(on, maximum + 1))
    return condition


class JSONListOverlaps(Expression):
    """True when a JSON list column shares at least one string with `values`.

    PostgreSQL: jsonb `?|` (a string "exists" in an array when it is one of its elements; a GIN index
    can serve it). SQLite: `json_each` over the list. Django's own `__contains` does not exist on
    SQLite and `has_any_keys` means object keys there, so neither works on both."""

    output_field = BooleanField()

    def __init__(self, expression: Any, values: Iterable[str]) -> None:
        super().__init__(output_field=BooleanField())
        self.expression = expression
        self.values = list(values)

    def get_source_expressions(self) -> list[Any]:
        return [self.expression]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.expression,) = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.expression)
        if connection.vendor == "postgresql":
            return f"({column} ?| %s::text[])", (*params, self.values)
        if connection.vendor == "sqlite":
            placeholders = ", ".join(["%s"] * len(self.values))
            # Only placeholders and the compiled column are interpolated; the values are parameters.
            sql = f"EXISTS (SELECT 1 FROM json_each({column}) AS topic WHERE topic.value IN ({placeholders}))"  # noqa: S608
            return sql, (*params, *self.values)
        raise NotSupportedError(f"JSON list overlap is not implemented for {connection.vendor}.")


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]

    def to_q(self, on: date) -> Q:
        condition = Q()
        for rule in self.rules:
            condition &= rule.to_q(on)
        return condition


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]

    def to_q(self, on: date) -> Q:
        condition = self.rules[0].to_q(on)
        for rule in self.rules[1:]:
            condition |= rule.to_q(on)
        return condition


@dataclass(frozen=True)
class Not:
    rule: Rule

    def to_q(self, on: date) -> Q:
        return ~self.rule.to_q(on)


@dataclass(frozen=True)
class InDistrict:
    codes: tuple[str, ...]

    def to_q(self, on: date) -> Q:
        return Q(district__code__in=self.codes)


@dataclass(frozen=True)
class AgeBetween:
    minimum: int | None
    maximum: int | None

    def to_q(self, on: date) -> Q:
        return birth_date_range(on, self.minimum, self.maximum)


@dataclass(frozen=True)
class HasChildAged:
    minimum: int | None
    maximum: int | None

    def to_q(self, on: date) -> Q:
        children = HouseholdMember.objects.filter(
            birth_date_range(on, self.minimum, self.maximum),
            profile=OuterRef("pk"),
            relationship__in=CHILD_RELATIONSHIPS,
        )
        return Q(Exists(children))


@dataclass(frozen=True)
class ElderlyLivingAlone:
    minimum_age: int

    def to_q(self, on: date) -> Q:
        anyone = HouseholdMember.objects.filter(profile=OuterRef("pk"))
        return birth_date_range(on, self.minimum_age, None) & ~Q(Exists(anyone))


@dataclass(frozen=True)
class PrefersLanguage:
    codes: tuple[str, ...]

    def to_q(self, on: date) -> Q:
        return Q(preferred_language__in=self.codes)


@dataclass(frozen=True)
class InterestedInTopic:
    codes: tuple[str, ...]

    def to_q(self, on: date) -> Q:
        return Q(JSONListOverlaps(F("topics"), self.codes))


@dataclass(frozen=True)
class NeedsEvacuationAssistance:
    value: bool

    def to_q(self, on: date) -> Q:
        return Q(needs_evacuation_assistance=self.value)


@dataclass(frozen=True)
class Everyone:
    """Every resident: a town-wide bulletin (全町民)."""

    def to_q(self, on: date) -> Q:
        # Not Q(): an empty Q negates to nothing at all, and {"not": {"everyone": true}} must
        # choose nobody.
        return Q(pk__isnull=False)


Rule = (
    Everyone
    | AllOf
    | AnyOf
    | Not
    | InDistrict
    | AgeBetween
    | HasChildAged
    | ElderlyLivingAlone
    | PrefersLanguage
    | InterestedInTopic
    | NeedsEvacuationAssistance
)

LEAF_KEYS = (
    "everyone",
    "district",
    "age",
    "household_child_age",
    "elderly_living_alone",
    "language",
    "topic",
    "needs_evacuation_assistance",
)


def parse_rule(data: Any, *, check_districts: bool = True) -> Rule:
    """Check a rule tree and turn it into `Rule` objects; raise ValidationError (in Japanese) if bad.

    `check_districts=False` skips the one query that checks district codes exist (used when
    evaluating a saved segment, which was checked when saved)."""
    parser = _Parser()
    rule = parser.parse(data, depth=1)
    if check_districts and parser.district_codes:
        known = set(
            District.objects.filter(code__in=parser.district_codes).values_list("code", flat=True)
        )
        unknown = sorted(parser.district_codes - known)
        if unknown:
            raise ValidationError(
                _("存在しない行政区が指定されています: %(codes)s"),
                code="unknown_district",
                params={"codes": "、".join(unknown)},
            )
    return rule


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0
        self.district_codes: set[str] = set()

    def parse(self, data: Any, *, depth: int) -> Rule:
        if depth > MAX_DEPTH:
            raise ValidationError(
                _("条件の入れ子が深すぎます（%(limit)s段まで）。"),
                code="too_deep",
                params={"limit": MAX_DEPTH},
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ValidationError(
                _("条件の数が多すぎます（%(limit)s個まで）。"),
                code="too_many",
                params={"limit": MAX_NODES},
            )
        if not isinstance(data, Mapping) or len(data) != 1:
            raise ValidationError(
                _("条件は、キーを一つだけ持つオブジェクトで書いてください。"), code="not_a_rule"
            )
        ((key, value),) = data.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ValidationError(
                    _("「%(key)s」には一つ以上の条件を並べてください。"),
                    code="empty_group",
                    params={"key": key},
                )
            rules = tuple(self.parse(item, depth=depth + 1) for item in value)
            return AllOf(rules) if key == "all" else AnyOf(rules)
        if key == "not":
            return Not(self.parse(value, depth=depth + 1))
        if key == "everyone":
            if value is not True:
                raise ValidationError(
                    _("「%(key)s」には true を指定してください。"),
                    code="not_boolean",
                    params={"key": key},
                )
            return Everyone()
        if key == "district":
            codes = _codes(key, value)
            self.district_codes.update(codes)
            return InDistrict(codes)
        if key == "age":
            return AgeBetween(*_age_band(key, value))
        if key == "household_child_age":
            return HasChildAged(*_age_band(key, value))
        if key == "elderly_living_alone":
            return ElderlyLivingAlone(_elderly_age(key, value))
        if key == "language":
            return PrefersLanguage(_codes(key, value, allowed=Language.values))
        if key == "topic":
            return InterestedInTopic(_codes(key, value, allowed=Topic.values))
        if key == "needs_evacuation_assistance":
            if not isinstance(value, bool):
                raise ValidationError(
                    _("「%(key)s」には true か false を指定してください。"),
                    code="not_boolean",
                    params={"key": key},
                )
            return NeedsEvacuationAssistance(value)
        raise ValidationError(
            _("不明な条件です: %(key)s（使える条件: %(known)s）"),
            code="unknown_key",
            params={"key": key, "known": ", ".join(("all", "any", "not", *LEAF_KEYS))},
        )


def _codes(key: str, value: Any, *, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(
            _("「%(key)s」には一つ以上のコードを文字列の一覧で指定してください。"),
            code="bad_codes",
            params={"key": key},
        )
    if allowed is not None:
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(
                _("「%(key)s」に不明なコードがあります: %(codes)s"),
                code="unknown_code",
                params={"key": key, "codes": "、".join(unknown)},
            )
    return tuple(dict.fromkeys(value))


def _age(key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            _("「%(key)s」の年齢は整数で指定してください。"), code="bad_age", params={"key": key}
        )
    if value < 0 or value > MAX_AGE:
        raise ValidationError(
            _("「%(key)s」の年齢は0から%(limit)sまでで指定してください。"),
            code="age_out_of_range",
            params={"key": key, "limit": MAX_AGE},
        )
    return value


def _age_band(key: str, value: Any) -> tuple[int | None, int | None]:
    if not isinstance(value, Mapping) or not set(value) <= {"min", "max"}:
        raise ValidationError(
            _('「%(key)s」は {"min": 年齢, "max": 年齢} の形で指定してください。'),
            code="bad_band",
            params={"key": key},
        )
    minimum, maximum = _age(key, value.get("min")), _age(key, value.get("max"))
    if minimum is None and maximum is None:
        raise ValidationError(
            _("「%(key)s」には min と max の少なくとも一方を指定してください。"),
            code="empty_band",
            params={"key": key},
        )
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValidationError(
            _("「%(key)s」の min（%(min)s）が max（%(max)s）より大きくなっています。"),
            code="min_above_max",
            params={"key": key, "min": minimum, "max": maximum},
        )
    return minimum, maximum


def _elderly_age(key: str, value: Any) -> int:
    if not isinstance(value, Mapping) or not set(value) <= {"min_age"}:
        raise ValidationError(
            _('「%(key)s」は {"min_age": 年齢} の形で指定してください。'),
            code="bad_band",
            params={"key": key},
        )
    minimum = _age(key, value.get("min_age", DEFAULT_ELDERLY_AGE))
    return DEFAULT_ELDERLY_AGE if minimum is None else minimum
