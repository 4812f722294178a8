"""The mention list's fast path: plain rows read and represented without DRF's per-field machinery, and
filter parameters validated once per distinct set.

This copies what DRF does internally (`Serializer._readable_fields`, `PKOnlyObject`, the ISO 8601 output of
`DateTimeField`), so it is kept apart from the serializers: `tests/inbox/test_api_lean_list.py` checks that
the output is exactly DRF's, and is the test to run when DRF is upgraded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.db.models.manager import BaseManager
from django.http import QueryDict
from django.utils import timezone, translation
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, RelatedField
from rest_framework.settings import api_settings

from inbox.api.filters import MentionFilter
from inbox.models import Mention

# For each field: the field, its name, and its source as a chain of plain attributes (None: DRF's own path).
FieldPlan = list[tuple[serializers.Field, str, list[str] | None]]
# For each field of a plain row: (name, kind, field, lookup); see `row_plan`.
RowPlan = list[tuple[str, str, Any, Any]]

if TYPE_CHECKING:
    # What the mixin is mixed into, for the type checker; at run time it is a plain mixin.
    _MixedInto = serializers.ModelSerializer
else:
    _MixedInto = object


class PlainAttributesMixin(_MixedInto):
    """Represent a row by reading its plain attributes directly, with DRF's output.

    The mention list serialises 50 mentions with their authors per request; DRF's per-field
    `get_attribute` (callable checks, exception handling, field iteration) was most of that cost.
    Fields whose source is a chain of plain attributes are read with `getattr`; related fields,
    method fields, `source="*"` and a chain broken by a missing object go through DRF's own path.
    A row may also be a dict from `.values(*value_lookups(serializer))`, which skips building model
    instances. `tests/inbox/test_api_lean_list.py` checks the output is the same as DRF's.
    """

    # Plans made only of plain fields, per serializer class: a ModelSerializer builds such fields from
    # its Meta alone, so one plan serves every request and the fields are not rebuilt for each.
    _shared_plans: ClassVar[dict[type, FieldPlan]] = {}
    _row_plans: ClassVar[dict[type, RowPlan]] = {}

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if isinstance(instance, dict):
            return _represent_row(self, instance)
        plan: FieldPlan | None = self._shared_plans.get(type(self)) or self.__dict__.get("_plain_plan")
        if plan is None:
            plan = self._plain_plan = [
                (field, _bound_name(field), _plain_source(field)) for field in self._readable_fields
            ]
            if all(source is not None for _, _, source in plan):
                self._shared_plans[type(self)] = plan
        representation: dict[str, Any] = {}
        for field, name, source in plan:
            value = NOT_PLAIN if source is None else _read(instance, source)
            if value is NOT_PLAIN:
                _represent_as_drf(field, name, instance, representation)
            else:
                representation[name] = None if value is None else field.to_representation(value)
        return representation


def value_lookups(serializer: serializers.Serializer) -> list[str] | None:
    """The `.values()` lookups a serializer reads, or None when one of its fields needs a model instance
    (a related field, a method field, a nested list)."""
    plan = row_plan(serializer)
    return None if plan is None else list(dict.fromkeys(_plan_lookups(plan)))


def _plan_lookups(plan: RowPlan) -> Iterator[str]:
    for _, kind, _, lookup in plan:
        if kind == "nested":
            yield lookup[0]  # the nested object's primary key: None means no object
            yield from _plan_lookups(lookup[1])
        else:
            yield lookup


def row_plan(serializer: serializers.Serializer, prefix: str = "") -> RowPlan | None:
    """How to represent a plain row: (name, kind, field, lookup) per field, or None when a field needs a
    model instance. A nested serializer's lookup is (its primary key's lookup, its plan); an ISO 8601
    date-time is converted here, as DRF would, without DRF's per-value time zone lookup."""
    plan: RowPlan = []
    for field in serializer._readable_fields:
        name = _bound_name(field)
        path = prefix + "__".join(field.source_attrs)
        if isinstance(field, PlainAttributesMixin):
            nested_prefix = path + "__"
            nested = row_plan(field, prefix=nested_prefix)
            if nested is None:
                return None
            model: type[Model] = field.Meta.model
            key = nested_prefix + model._meta.pk.attname
            plan.append((name, "nested", None, (key, nested)))
        elif _plain_source(field) is None or isinstance(field, serializers.Serializer):
            return None
        elif _is_plain_iso_datetime(field):
            plan.append((name, "datetime", field, path))
        else:
            plan.append((name, "field", field, path))
    return plan


def _is_plain_iso_datetime(field: serializers.Field) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        type(field) is serializers.DateTimeField
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    )


def _represent_row(serializer: PlainAttributesMixin, row: dict[str, Any], tz: tzinfo | None = None) -> dict[str, Any]:
    plan = serializer._row_plans.get(type(serializer))
    if plan is None:
        plan = row_plan(serializer)
        if plan is None:
            raise TypeError(f"{type(serializer).__name__} has a field that needs a model instance, not a plain row")
        serializer._row_plans[type(serializer)] = plan
    return _represent_with(plan, row, tz or timezone.get_current_timezone())


def _represent_with(plan: RowPlan, row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    representation: dict[str, Any] = {}
    for name, kind, field, lookup in plan:
        if kind == "nested":
            key, nested = lookup
            representation[name] = None if row[key] is None else _represent_with(nested, row, tz)
            continue
        value = row[lookup]
        if value is None:
            representation[name] = None
        elif kind == "datetime" and isinstance(value, datetime) and timezone.is_aware(value):
            text = value.astimezone(tz).isoformat()
            representation[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
        else:
            representation[name] = field.to_representation(value)
    return representation


class PlainRowsListSerializer(serializers.ListSerializer):
    """A list of plain rows looks the request's time zone up once, not once per date-time."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        rows = data.all() if isinstance(data, BaseManager) else data
        tz = timezone.get_current_timezone()
        child = self.child
        if child is None:
            raise TypeError("A list serializer needs its child serializer.")
        plain = child if isinstance(child, PlainAttributesMixin) else None
        return [
            _represent_row(plain, row, tz)
            if plain is not None and isinstance(row, dict)
            else child.to_representation(row)
            for row in rows
        ]


NOT_PLAIN = object()


def _read(instance: Any, source: list[str]) -> Any:
    """The value at the end of a chain of attributes, or NOT_PLAIN when DRF's own rules must decide
    (a callable, a missing related object, None before the end of the chain)."""
    value = instance
    last = len(source) - 1
    try:
        for depth, attribute in enumerate(source):
            value = getattr(value, attribute)
            if callable(value) or (value is None and depth < last):
                return NOT_PLAIN
    except (AttributeError, ObjectDoesNotExist):
        return NOT_PLAIN
    return value


def _plain_source(field: serializers.Field) -> list[str] | None:
    if isinstance(field, RelatedField | serializers.ManyRelatedField | serializers.SerializerMethodField):
        return None
    if not field.source_attrs or isinstance(field, serializers.ListSerializer):
        return None
    return field.source_attrs


def _bound_name(field: serializers.Field) -> str:
    """A readable field's name: DRF sets it when the field is bound (only an unbound field has none)."""
    if field.field_name is None:
        raise TypeError(f"{field!r} is not bound to a serializer.")
    return field.field_name


def _represent_as_drf(field: serializers.Field, name: str, instance: Any, representation: dict[str, Any]) -> None:
    """What `Serializer.to_representation` does for one field."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return
    checked = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    representation[name] = None if checked is None else field.to_representation(attribute)


class MentionFilterBackend(DjangoFilterBackend):
    """django-filter's backend for the mention list, with each distinct set of filter values validated
    once per process: a filter form deep-copies every filter and field when it is built, and the console
    sends the same few combinations over and over."""

    def filter_queryset(self, request, queryset, view):
        params = request.query_params
        key = tuple((name, tuple(params.getlist(name))) for name in MentionFilter.base_filters if name in params)
        cleaned, errors = _validated_filters(key, translation.get_language())
        if errors is not None:
            raise utils.translate_validation(errors)
        return MentionFilter.apply(queryset, cleaned, user=request.user)


@lru_cache(maxsize=1024)
def _validated_filters(
    key: tuple[tuple[str, tuple[str, ...]], ...], language: str | None
) -> tuple[dict[str, Any], Any]:
    """The cleaned filter values, or the errors in the reader's language, for one set of filter
    parameters (read-only: shared between requests)."""
    data = QueryDict(mutable=True)
    for name, values in key:
        data.setlist(name, list(values))
    filterset = MentionFilter(data, queryset=Mention.objects.none())
    if filterset.is_valid():
        return filterset.form.cleaned_data, None
    return {}, filterset.errors
