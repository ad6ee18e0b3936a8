"""Bare baselines measured in the same run as the product's scenarios."""

from __future__ import annotations

from django import forms
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


class BareAnswerForm(forms.Form):
    """The same four answers as the default survey, validated by a plain Django form."""

    nps = forms.IntegerField(min_value=0, max_value=10)
    satisfaction = forms.IntegerField(min_value=1, max_value=5)
    intent = forms.IntegerField(min_value=1, max_value=5)
    comment = forms.CharField(max_length=5000, required=False)


def bare_form(request: HttpRequest) -> HttpResponse:
    """The baseline of survey answers: a CSRF-checked form POST, validated, answered with a small page."""
    form = BareAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return render(request, "bench/thanks.html", {"data": form.cleaned_data})
    return render(request, "bench/form.html", {"form": form}, status=400 if form.errors else 200)
