from django.urls import path

from voc import views

urlpatterns = [
    path("surveys/", views.campaign_list, name="voc_campaigns"),
    path("surveys/new/", views.campaign_new, name="voc_campaign_new"),
    path("surveys/new/audience/", views.campaign_audience, name="voc_campaign_audience"),
    path("surveys/<int:campaign_id>/", views.campaign_detail, name="voc_campaign"),
    path("surveys/contacts/<int:contact_id>/", views.contact_history, name="voc_contact"),
    path("admin/surveys/", views.program, name="voc_program"),
]
