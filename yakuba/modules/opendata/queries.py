"""Reads of the open-data catalogue shared by the public catalogue pages and the CKAN API.

Search (データセットの検索) is tolerant of how Japanese is typed: the query and the catalogue text are
both NFKC-normalised (全角/半角 letters, digits and katakana become one form), katakana is folded
to hiragana and case is folded, so 「ＡＥＤ」, "aed", 「ひなんじょ」 and 「ﾋﾅﾝｼﾞｮ」 find what they should.

Each dataset keeps that normalised text, with the kana readings of its Japanese titles, tags and
groups, in `Dataset.search_text` (written by services.refresh_search_text), so 「ぼうさい」 finds 防災
too. Words are matched there in SQL (each one a substring, all of them required) and ranked with
an annotation, so that ordering, paging and facet counts stay in the database and a search costs
the same number of queries however large the catalogue. A substring scan reads every row; a
town's catalogue holds hundreds of datasets, not millions.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import jaconv
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import StrIndex
from django.db.models.lookups import LessThan
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yakuba.core.standard_datasets import standard_dataset
from yakuba.modules.opendata.models import Dataset, Licence, Resource, ResourceVersion

# The facets the catalogue counts: CKAN's five (package_search's facet.field) and the standard.
FACET_FIELDS = ("groups", "tags", "organization", "res_format", "license_id", "standard")
# CKAN's default when no sort is asked for.
DEFAULT_SORT = "score desc, metadata_modified desc"
# Short names of the orders the catalogue page offers.
NAMED_SORTS = {"new": "metadata_modified desc", "name": "name asc"}
# CKAN sort field → model field; "title_string" is CKAN's sortable copy of the title.
SORT_FIELDS = {
    "score": "score",
    "metadata_modified": "modified_at",
    "metadata_created": "created_at",
    "name": "name",
    "title": "title",
    "title_string": "title",
    "id": "pk",
}
# The media type of each file format, as the downloads, the CKAN API and DCAT give it.
MEDIA_TYPES: dict[str, str] = {
    Resource.Format.CSV: "text/csv",
    Resource.Format.JSON: "application/json",
    Resource.Format.GEOJSON: "application/geo+json",
    Resource.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Each licence's own URI, as the CKAN API (license_url) and DCAT (dct:license) give it.
LICENCE_URLS: dict[str, str] = {
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
    Licence.PDL: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
}
# How much a word found in each kind of text counts towards a dataset's rank.
TITLE_WEIGHT, KEYWORD_WEIGHT, TEXT_WEIGHT = 3, 2, 1
# The marks closing the titles and the keywords part of `Dataset.search_text`. str.split() takes
# both for white space, so no word of a query can contain one.
TITLES_END, KEYWORDS_END = "\x1e", "\x1f"


class SearchError(ValueError):
    """A search the catalogue cannot run (an unknown sort field); `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class FacetItem:
    """One value of a facet: `name` as used in filters, `display_name` for people, and how many
    datasets of the result have it."""

    name: str
    display_name: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[FacetItem]]


def normalise_for_search(text: str) -> str:
    """The form both query and catalogue text are compared in: NFKC, hiragana, case-folded."""
    return str(jaconv.kata2hira(unicodedata.normalize("NFKC", text))).casefold()


def normalise_tag(name: str) -> str:
    """A tag as stored (models.Tag) and looked up by a filter: NFKC (全角英数 → 半角, 半角カナ →
    全角), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def compose_search_text(
    *, titles: Iterable[str], keywords: Iterable[str], others: Iterable[str]
) -> str:
    """`Dataset.search_text` from its three parts, in the order they rank (services.search_text_of
    says what goes in each): each text normalised on a line of its own, so that no word matches
    across two of them, and each part closed by its mark (TITLES_END, KEYWORDS_END), so that
    `_relevance` can tell in which part a word was found. White space is collapsed, which also
    keeps a mark typed into a text from moving a part's end."""

    def part(texts: Iterable[str]) -> str:
        lines = (" ".join(normalise_for_search(text).split()) for text in texts)
        return "\n".join(line for line in lines if line)

    return f"{part(titles)}{TITLES_END}{part(keywords)}{KEYWORDS_END}{part(others)}"


def public_datasets() -> QuerySet[Dataset]:
    """Datasets anyone may see (公開中); drafts and tombstones are not among them."""
    return Dataset.objects.filter(state=Dataset.State.PUBLISHED)


def listed_datasets(*, include_deleted: bool = False) -> QuerySet[Dataset]:
    """Public datasets, and with `include_deleted` the tombstones of deleted ones (削除済み), which
    stay visible so that harvesters learn of the deletion."""
    if include_deleted:
        return Dataset.objects.filter(state__in=[Dataset.State.PUBLISHED, Dataset.State.DELETED])
    return public_datasets()


def latest_versions() -> QuerySet[ResourceVersion]:
    """Each resource's newest version only, for prefetching with the resources."""
    newest = ResourceVersion.objects.filter(resource=OuterRef("resource")).order_by("-number")
    return ResourceVersion.objects.filter(number=Subquery(newest.values("number")[:1]))


def with_details(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    """Everything a dataset's page or API entry shows, in a fixed number of queries: department,
    groups, tags, and the resources with their newest version (see `published_version`)."""
    resources = Resource.objects.prefetch_related(
        Prefetch("versions", queryset=latest_versions(), to_attr="latest")
    )
    return datasets.select_related("department").prefetch_related(
        "groups", "tags", Prefetch("resources", queryset=resources)
    )


def published_version(resource: Resource) -> ResourceVersion | None:
    """The file a resource currently serves; None while it has none. Uses the version prefetched
    by `with_details` when there is one."""
    prefetched: list[ResourceVersion] | None = getattr(resource, "latest", None)
    if prefetched is None:
        return resource.current_version()
    return prefetched[0] if prefetched else None


# --- Filters, shared with the CKAN API's fq ---------------------------------------------------


def in_group(name: str) -> Q:
    return Q(
        Exists(Dataset.groups.through.objects.filter(dataset=OuterRef("pk"), group__name=name))
    )


def has_tag(name: str) -> Q:
    return Q(
        Exists(
            Dataset.tags.through.objects.filter(
                dataset=OuterRef("pk"), tag__name=normalise_tag(name)
            )
        )
    )


def in_department(code: str) -> Q:
    return Q(department__code=code)


def has_format(file_format: str) -> Q:
    """Has a published file (a resource with a version) in this format; CSV = csv."""
    return Q(
        Exists(
            Resource.objects.filter(
                dataset=OuterRef("pk"),
                format__iexact=file_format,
                versions__isnull=False,
            )
        )
    )


def has_licence(code: str) -> Q:
    return Q(licence__iexact=code)


def in_period(
    field: str,
    since: datetime | None,
    until: datetime | None,
    *,
    inclusive: tuple[bool, bool] = (True, True),
) -> Q:
    """`field` (modified_at = CKAN's metadata_modified, created_at) within a period; None leaves
    that end open; `inclusive` says whether each end is part of it."""
    condition = Q()
    if since is not None:
        condition &= Q(**{f"{field}__{'gte' if inclusive[0] else 'gt'}": since})
    if until is not None:
        condition &= Q(**{f"{field}__{'lte' if inclusive[1] else 'lt'}": until})
    return condition


def with_id(value: str) -> Q:
    try:
        return Q(pk=uuid.UUID(value))
    except ValueError:
        return Q(pk__in=[])


# --- Search -----------------------------------------------------------------------------------


def containing(datasets: QuerySet[Dataset], words: list[str]) -> QuerySet[Dataset]:
    """The datasets whose search text holds every one of the (normalised) words."""
    for word in words:
        datasets = datasets.filter(search_text__contains=word)
    return datasets


def search_datasets(
    q: str = "",
    *,
    groups: Iterable[str] = (),
    tags: Iterable[str] = (),
    departments: Iterable[str] = (),
    formats: Iterable[str] = (),
    licences: Iterable[str] = (),
    standard: str = "",
    where: Q | None = None,
    sort: str = "",
    start: int = 0,
    rows: int = 20,
    include_deleted: bool = False,
    facet_fields: Sequence[str] = FACET_FIELDS,
    facet_limit: int = 50,
) -> SearchResult:
    """Find datasets (データセットを探す) as CKAN's package_search does.

    Every filter value must hold (two tags = datasets with both). `q`'s words must all appear in
    the title, English title, URL name, description, tags, groups, department or standard, or in
    the kana reading of a Japanese title, tag or group; titles rank above keywords (tags and
    groups), keywords above the rest. `sort` is CKAN's: "metadata_modified desc, name asc", with
    fields score, metadata_modified, metadata_created, name, title (title_string), id, or one of
    NAMED_SORTS; empty means "score desc, metadata_modified desc". Ties end in id order, so pages never overlap.
    Raises SearchError for an unknown sort. `facet_limit` < 0 means every value.
    """
    ordering = _ordering(NAMED_SORTS.get(sort, sort) or DEFAULT_SORT)
    datasets = listed_datasets(include_deleted=include_deleted)
    conditions = [in_group(name) for name in groups]
    conditions += [has_tag(name) for name in tags]
    conditions += [in_department(code) for code in departments]
    conditions += [has_format(name) for name in formats]
    conditions += [has_licence(code) for code in licences]
    if standard:
        conditions.append(Q(standard=standard))
    if where is not None:
        conditions.append(where)
    for condition in conditions:
        datasets = datasets.filter(condition)

    words = normalise_for_search(q).split()
    datasets = containing(datasets, words)
    ranked = datasets.annotate(score=_relevance(words))

    page = list(with_details(ranked.order_by(*ordering))[start : start + rows]) if rows else []
    return SearchResult(
        count=datasets.count(),
        datasets=page,
        facets={field: _facet(field, datasets, facet_limit) for field in facet_fields},
    )


def _ordering(sort: str) -> list[str]:
    ordering: list[str] = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        field = SORT_FIELDS.get(words[0])
        direction = words[1].lower() if len(words) > 1 else "asc"
        if field is None or direction not in ("asc", "desc") or len(words) > 2:
            raise SearchError(
                "sort", _("並べ替えの指定「%(sort)s」は使えません。") % {"sort": part.strip()}
            )
        ordering.append(f"-{field}" if direction == "desc" else field)
    if "pk" not in ordering and "-pk" not in ordering:
        ordering.append("pk")
    return ordering


def _relevance(words: list[str]) -> Expression:
    """The rank of a dataset that contains every word: each word adds the weight of the part of
    the search text it is first found in (the parts come in weight order, so the first is the
    best)."""
    titles_end = StrIndex("search_text", Value(TITLES_END))
    keywords_end = StrIndex("search_text", Value(KEYWORDS_END))
    score: Expression = Value(0, output_field=IntegerField())
    for word in words:
        position = StrIndex("search_text", Value(word))
        score = score + Case(
            When(LessThan(position, titles_end), then=Value(TITLE_WEIGHT)),
            When(LessThan(position, keywords_end), then=Value(KEYWORD_WEIGHT)),
            default=Value(TEXT_WEIGHT),
            output_field=IntegerField(),
        )
    return score


def localised(japanese: str, english: str) -> str:
    """The English text on English pages when there is one; Japanese otherwise."""
    return english if english and (get_language() or "ja").startswith("en") else japanese


def _facet(field: str, datasets: QuerySet[Dataset], limit: int) -> list[FacetItem]:
    ids = datasets.values("pk")
    items: list[FacetItem]
    if field == "groups":
        items = [
            FacetItem(
                row["group__name"],
                localised(row["group__title"], row["group__title_en"]),
                row["n"],
            )
            for row in Dataset.groups.through.objects.filter(dataset__in=ids)
            .values("group__name", "group__title", "group__title_en")
            .annotate(n=Count("dataset", distinct=True))
            .order_by()
        ]
    elif field == "tags":
        items = [
            FacetItem(row["tag__name"], row["tag__name"], row["n"])
            for row in Dataset.tags.through.objects.filter(dataset__in=ids)
            .values("tag__name")
            .annotate(n=Count("dataset", distinct=True))
            .order_by()
        ]
    elif field == "organization":
        items = [
            FacetItem(
                row["department__code"],
                localised(row["department__name"], row["department__name_en"]),
                row["n"],
            )
            for row in Dataset.objects.filter(pk__in=ids)
            .values("department__code", "department__name", "department__name_en")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    elif field == "res_format":
        items = [
            FacetItem(row["format"], row["format"], row["n"])
            for row in Resource.objects.filter(dataset__in=ids, versions__isnull=False)
            .values("format")
            .annotate(n=Count("dataset", distinct=True))
            .order_by()
        ]
    elif field == "license_id":
        labels = dict(Licence.choices)
        items = [
            FacetItem(row["licence"], str(labels.get(row["licence"], row["licence"])), row["n"])
            for row in Dataset.objects.filter(pk__in=ids)
            .values("licence")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    elif field == "standard":
        items = [
            FacetItem(row["standard"], _standard_title(row["standard"]), row["n"])
            for row in Dataset.objects.filter(pk__in=ids)
            .exclude(standard="")
            .values("standard")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    else:
        # Solr answers a facet on a field it does not index with no values; so does the catalogue.
        items = []
    items.sort(key=lambda item: (-item.count, item.name))
    return items if limit < 0 else items[:limit]


def _standard_title(code: str) -> str:
    try:
        standard = standard_dataset(code)
    except KeyError:
        return code
    return localised(standard.title, standard.title_en)
