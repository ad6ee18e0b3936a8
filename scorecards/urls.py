from django.urls import path

from scorecards import views

urlpatterns = [
    path("scorecards/", views.heatmap, name="heatmap"),
    path("accounts/<int:account_id>/scorecard/", views.account_scorecard, name="account_scorecard"),
    path("scorecards/<int:scorecard_id>/values/<int:metric_id>/", views.value_save, name="scorecard_value"),
]
