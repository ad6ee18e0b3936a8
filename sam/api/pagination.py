"""The API's pages: ``?page=`` and ``?page_size=`` are whole numbers from 1, else a 400 like any other malformed
query parameter (DRF's own pagination ignores a bad page size and answers a bad page number with a 404)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import IntegerField, QuerySet, Subquery
from django.db.models.query import ModelIterable
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from sam.numbers import whole

LARGEST = 10**9 - 1  # the largest number sam.numbers.whole reads


class _Total(Subquery):
    """The count of a list's rows, as a column of its page: an uncorrelated subquery, which PostgreSQL computes
    once per statement (an InitPlan) the way a separate ``COUNT(*)`` would, without its round trip."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS _sam_list)"


class OneTripPaginator(Paginator):  # type: ignore[type-arg]
    """A page and the total count in one query: the rows carry the count of the whole list as a subquery column
    (no rows on the first page: an empty list). Only a later page with no rows asks for the count apart, to tell
    how far past the end it is. Lists of other than model rows, and querysets whose rows are not the list's one to
    one (DISTINCT, GROUP BY, UNION, window filters) or that lock rows, count apart as usual.

    Not ``COUNT(*) OVER ()``: a window over the list must produce every row before the first of the page (at
    100,000 rows about five times the time of the count and the page apart), where the subquery counts only."""

    TOTAL = "_sam_list_total"

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        queryset = self.object_list
        if (
            not isinstance(queryset, QuerySet)
            or not self._countable_inline(queryset)
            or type(number) is not int
            or number < 1
        ):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        total = _Total(queryset.order_by().values("pk"), output_field=IntegerField())
        rows = list(queryset.annotate(**{self.TOTAL: total})[bottom : bottom + self.per_page])
        if not rows and bottom:  # past the end, or an empty list: how far, the count says
            return super().page(number)
        self.__dict__["count"] = getattr(rows[0], self.TOTAL) if rows else 0  # the paginator's cached count
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]

    @staticmethod
    def _countable_inline(queryset: QuerySet[Any]) -> bool:
        query = queryset.query
        if queryset._iterable_class is not ModelIterable:
            return False
        return not (
            query.distinct
            or query.group_by is not None
            or query.combinator
            or query.is_sliced
            or query.select_for_update
            or any(getattr(a, "contains_over_clause", False) for a in query.annotations.values())
        )


class Pagination(PageNumberPagination):
    django_paginator_class = OneTripPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    page_size_query_description = f"Rows per page: 50 unless given, at most {max_page_size} (more gives that)."

    def get_page_size(self, request: Request) -> int:
        size = self._number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return self._number(request, self.page_query_param) or 1

    @staticmethod
    def _number(request: Request, name: str) -> int | None:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return None
        number = whole(raw)
        if not number:  # not a whole number, or 0
            raise ValidationError({name: f"Give a whole number from 1 to {LARGEST}."})
        return number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(minimum=1, maximum=LARGEST)
        return parameters
