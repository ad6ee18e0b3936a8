"""Bare baselines measured in the same run as the product's scenarios."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sam.permissions import tenant_view

ROWS_100 = [
    {"id": i, "name": f"Account {i}", "owner": f"owner{i % 7}@example.test", "score": i % 100} for i in range(100)
]


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


def hello_signed_in(request: HttpRequest) -> HttpResponse:
    """Touches request.user: the session and user lookups, no tenant."""
    return HttpResponse("hello" if request.user.is_authenticated else "anonymous", content_type="text/plain")


@tenant_view("tenant.view")
def tenant_hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


def template_100(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/rows.html", {"rows": ROWS_100})


class RowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.EmailField()
    score = serializers.IntegerField()


class Drf50(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"count": 50, "results": RowSerializer(ROWS_100[:50], many=True).data})
