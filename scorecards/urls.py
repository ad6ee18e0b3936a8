from django.urls import path

from scorecards import views

urlpatterns = [
    path("scorecards/", views.heatmap, name="heatmap"),
    path("accounts/<int:account_id>/scorecard/", views.account_scorecard, name="account_scorecard"),
    path("accounts/<int:account_id>/scorecard/trends/", views.scorecard_trends, name="scorecard_trends"),
    path("accounts/<int:account_id>/scorecard/joint/", views.joint_scorecard, name="joint_scorecard"),
    path("accounts/<int:account_id>/scorecard/joint/pdf/", views.joint_scorecard_pdf, name="joint_scorecard_pdf"),
    path(
        "accounts/<int:account_id>/scorecard/joint/targets/<int:metric_id>/",
        views.joint_target_set,
        name="joint_target_set",
    ),
    path("scorecards/<int:scorecard_id>/upgrade/", views.scorecard_upgrade, name="scorecard_upgrade"),
    path("scorecards/<int:scorecard_id>/values/<int:metric_id>/", views.value_save, name="scorecard_value"),
    path("admin/scorecard-periods/length/", views.period_length_set, name="scorecard_period_length"),
    path(
        "admin/scorecard-periods/<int:period_id>/close/",
        views.period_close,
        {"closed": True},
        name="scorecard_period_close",
    ),
    path(
        "admin/scorecard-periods/<int:period_id>/open/",
        views.period_close,
        {"closed": False},
        name="scorecard_period_open",
    ),
    path("admin/scorecard-templates/", views.template_list, name="scorecard_templates"),
    path("admin/scorecard-templates/<int:template_id>/", views.template_detail, name="scorecard_template"),
    path(
        "admin/scorecard-templates/<int:template_id>/default/",
        views.template_default,
        name="scorecard_template_default",
    ),
    path(
        "admin/scorecard-templates/<int:template_id>/weights/",
        views.template_weights,
        name="scorecard_template_weights",
    ),
    path(
        "admin/scorecard-templates/<int:template_id>/metrics/<int:metric_id>/retire/",
        views.metric_retire,
        {"retired": True},
        name="scorecard_metric_retire",
    ),
    path(
        "admin/scorecard-templates/<int:template_id>/metrics/<int:metric_id>/restore/",
        views.metric_retire,
        {"retired": False},
        name="scorecard_metric_restore",
    ),
    path(
        "admin/scorecard-templates/<int:template_id>/metrics/<int:metric_id>/delete/",
        views.metric_delete,
        name="scorecard_metric_delete",
    ),
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
