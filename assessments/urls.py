from django.urls import path

from assessments import views

urlpatterns = [
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment_detail"),
    path("accounts/<int:account_id>/assessments/new/", views.assessment_new, name="assessment_new"),
    path("admin/assessments/", views.program, name="assessment_program"),
    path("four-rs/", views.fourrs_home, name="fourrs_home"),
    path("four-rs/take/", views.fourrs_take, name="fourrs_take"),
    path("four-rs/organisation/", views.fourrs_organisation, name="fourrs_organisation"),
    path("four-rs/results/<int:selfassessment_id>/", views.fourrs_result, name="fourrs_result"),
    path("four-rs/rounds/new/", views.fourrs_round_new, name="fourrs_round_new"),
    path("four-rs/rounds/<int:round_id>/", views.fourrs_round, name="fourrs_round"),
]
