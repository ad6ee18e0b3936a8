from django.urls import path

from scorecards import views

urlpatterns = [
    path("scorecards/", views.heatmap, name="heatmap"),
    path("accounts/<int:account_id>/scorecard/", views.account_scorecard, name="account_scorecard"),
    path("accounts/<int:account_id>/scorecard/trends/", views.scorecard_trends, name="scorecard_trends"),
    path("accounts/<int:account_id>/scorecard/joint/", views.joint_scorecard, name="joint_scorecard"),
    path("scorecards/<int:scorecard_id>/upgrade/", views.scorecard_upgrade, name="scorecard_upgrade"),
    path("scorecards/<int:scorecard_id>/values/<int:metric_id>/", views.value_save, name="scorecard_value"),
    path("admin/scorecard-periods/length/", views.period_length_set, name="scorecard_period_length"),
    path("admin/scorecard-periods/<int:period_id>/close/", views.period_close, name="scorecard_period_close"),
    path("admin/scorecard-templates/", views.template_list, name="scorecard_templates"),
    path("admin/scorecard-templates/<int:template_id>/", views.template_detail, name="scorecard_template"),
    path(
        "admin/scorecard-templates/<int:template_id>/survey-sources/",
        views.template_survey_sources,
        name="scorecard_template_survey_sources",
    ),
    path("admin/scorecard-templates/<int:template_id>/metrics/new/", views.metric_edit, name="scorecard_metric_add"),
    path(
        "admin/scorecard-templates/<int:template_id>/metrics/<int:metric_id>/",
        views.metric_edit,
        name="scorecard_metric_edit",
    ),
]
