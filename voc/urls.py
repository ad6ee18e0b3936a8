from django.urls import path

from voc import views

urlpatterns = [
    path("surveys/", views.campaign_list, name="voc_campaigns"),
    path("surveys/new/", views.campaign_new, name="voc_campaign_new"),
    path("surveys/new/audience/", views.campaign_audience, name="voc_campaign_audience"),
    path("surveys/<int:campaign_id>/", views.campaign_detail, name="voc_campaign"),
    path("surveys/<int:campaign_id>/schedule/", views.campaign_schedule, name="voc_campaign_schedule"),
    path("surveys/<int:campaign_id>/close/", views.campaign_close, name="voc_campaign_close"),
    path("surveys/<int:campaign_id>/delete/", views.campaign_delete, name="voc_campaign_delete"),
    path(
        "surveys/<int:campaign_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="voc_invitation_revoke",
    ),
    path("surveys/contacts/<int:contact_id>/", views.contact_history, name="voc_contact"),
    path("surveys/accounts/<int:account_id>/report/", views.account_report, name="voc_account_report"),
    path("surveys/accounts/<int:account_id>/report/pdf/", views.account_report_pdf, name="voc_account_report_pdf"),
    path("admin/surveys/", views.program, name="voc_program"),
    path("admin/surveys/settings/", views.program_settings, name="voc_program_settings"),
    path("admin/surveys/new/", views.survey_create, name="voc_survey_create"),
    path("admin/surveys/<int:survey_template_id>/default/", views.survey_default, name="voc_survey_default"),
    path("admin/surveys/<int:survey_template_id>/questions/", views.question_add, name="voc_question_add"),
    path(
        "admin/surveys/<int:survey_template_id>/questions/<int:question_id>/",
        views.question_edit,
        name="voc_question_edit",
    ),
    path(
        "admin/surveys/<int:survey_template_id>/questions/<int:question_id>/up/",
        views.question_move,
        {"up": True},
        name="voc_question_up",
    ),
    path(
        "admin/surveys/<int:survey_template_id>/questions/<int:question_id>/down/",
        views.question_move,
        {"up": False},
        name="voc_question_down",
    ),
    path(
        "admin/surveys/<int:survey_template_id>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="voc_question_delete",
    ),
]
