from django.urls import path

from assessments import views

urlpatterns = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:assessment_id>/status/", views.assessment_status_set, name="assessment_status"),
    path("assessments/<int:assessment_id>/delete/", views.assessment_delete, name="assessment_delete"),
    path("assessments/<int:assessment_id>/summary/", views.summary_set, name="assessment_summary"),
    path("assessments/<int:assessment_id>/team/", views.expert_add, name="assessment_expert_add"),
    path(
        "assessments/<int:assessment_id>/team/<int:member_id>/remove/", views.team_remove, name="assessment_team_remove"
    ),
    path("assessments/<int:assessment_id>/report/", views.report_make, name="assessment_report"),
    path(
        "assessments/<int:assessment_id>/progress-report/",
        views.progress_report_make,
        name="assessment_progress_report",
    ),
    path("assessments/<int:assessment_id>/confirmation/", views.confirmation_set, name="assessment_confirmation"),
    path("assessments/<int:assessment_id>/interviews/", views.interview_add, name="assessment_interview_add"),
    path(
        "assessments/<int:assessment_id>/interviews/<int:interview_id>/",
        views.interview_edit,
        name="assessment_interview_edit",
    ),
    path(
        "assessments/<int:assessment_id>/interviews/<int:interview_id>/delete/",
        views.interview_delete,
        name="assessment_interview_delete",
    ),
    path("assessments/<int:assessment_id>/steps/", views.step_add, name="assessment_step_add"),
    path("assessments/<int:assessment_id>/steps/<int:step_id>/", views.step_edit, name="assessment_step_edit"),
    path(
        "assessments/<int:assessment_id>/steps/<int:step_id>/up/",
        views.step_move,
        {"up": True},
        name="assessment_step_up",
    ),
    path(
        "assessments/<int:assessment_id>/steps/<int:step_id>/down/",
        views.step_move,
        {"up": False},
        name="assessment_step_down",
    ),
    path(
        "assessments/<int:assessment_id>/steps/<int:step_id>/delete/", views.step_delete, name="assessment_step_delete"
    ),
    path("assessments/<int:assessment_id>/findings/", views.finding_add, name="assessment_finding_add"),
    path(
        "assessments/<int:assessment_id>/findings/<int:finding_id>/", views.finding_edit, name="assessment_finding_edit"
    ),
    path(
        "assessments/<int:assessment_id>/findings/<int:finding_id>/delete/",
        views.finding_delete,
        name="assessment_finding_delete",
    ),
    path("assessments/<int:assessment_id>/recommendations/", views.recommendation_add, name="assessment_rec_add"),
    path(
        "assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/",
        views.recommendation_edit,
        name="assessment_rec_edit",
    ),
    path(
        "assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/delete/",
        views.recommendation_delete,
        name="assessment_rec_delete",
    ),
    path(
        "assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/accept/",
        views.recommendation_accept,
        name="assessment_rec_accept",
    ),
    path(
        "assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/decline/",
        views.recommendation_decline,
        name="assessment_rec_decline",
    ),
    path("accounts/<int:account_id>/assessments/new/", views.assessment_new, name="assessment_new"),
    path("admin/assessments/", views.program, name="assessment_program"),
    path("four-rs/", views.fourrs_home, name="fourrs_home"),
    path("four-rs/take/", views.fourrs_take, name="fourrs_take"),
    path("four-rs/organisation/", views.fourrs_organisation, name="fourrs_organisation"),
    path("four-rs/results/<int:result_id>/", views.fourrs_result, name="fourrs_result"),
    path("four-rs/results/<int:result_id>/pdf/", views.fourrs_result_pdf, name="fourrs_result_pdf"),
    path("four-rs/rounds/new/", views.fourrs_round_new, name="fourrs_round_new"),
    path("four-rs/rounds/<int:round_id>/", views.fourrs_round, name="fourrs_round"),
    path("four-rs/rounds/<int:round_id>/pdf/", views.fourrs_round_pdf, name="fourrs_round_pdf"),
    path("four-rs/rounds/<int:round_id>/invite/", views.fourrs_round_invite, name="fourrs_round_invite"),
    path("four-rs/rounds/<int:round_id>/close/", views.fourrs_round_close, name="fourrs_round_close"),
]
