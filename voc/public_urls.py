"""The survey pages a customer opens from an emailed link, without signing in (under /s/)."""

from django.urls import path

from voc import public

urlpatterns = [
    path("", public.survey_form, name="survey_form"),
    path("unsubscribe/", public.survey_unsubscribe, name="survey_unsubscribe"),
    path("<str:token>/", public.survey_start, name="survey_start"),
]
