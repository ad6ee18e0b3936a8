"""The API's pages: ``?page=`` and ``?page_size=`` are whole numbers from 1, else a 400 like any other malformed
query parameter (DRF's own pagination ignores a bad page size and answers a bad page number with a 404)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from sam.numbers import whole

LARGEST = 10**9 - 1  # the largest number sam.numbers.whole reads


class Pagination(PageNumberPagination):
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
