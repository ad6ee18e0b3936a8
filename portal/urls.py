"""The customer portal (under /p/): a contact of an account, signed in from an emailed link."""

from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="portal_home"),
    path("in/", views.sign_in, name="portal_sign_in"),
    path("in/<str:token>/", views.link_open, name="portal_link_open"),
    path("link/", views.link_request, name="portal_link_request"),
    path("out/", views.sign_out, name="portal_sign_out"),
    path("qbrs/<int:qbr_id>/", views.qbr_detail, name="portal_qbr"),
    path("qbrs/<int:qbr_id>/calendar.ics", views.qbr_calendar, name="portal_qbr_calendar"),
    path("qbrs/<int:qbr_id>/agenda/propose/", views.agenda_propose, name="portal_agenda_propose"),
    path("qbrs/<int:qbr_id>/agenda/comment/", views.agenda_comment, name="portal_agenda_comment"),
    path("qbrs/<int:qbr_id>/agenda/agree/", views.agenda_agree, name="portal_agenda_agree"),
    path("documents/<int:document_id>/", views.document_download, name="portal_document"),
    path("scorecard/", views.scorecard, name="portal_scorecard"),
    path("actions/", views.actions, name="portal_actions"),
    path("actions/<int:action_id>/", views.action_update, name="portal_action_update"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="portal_assessment"),
    path("recommendations/<int:recommendation_id>/", views.recommendation_answer, name="portal_recommendation"),
    path("surveys/<int:invitation_id>/", views.survey_open, name="portal_survey"),
]
