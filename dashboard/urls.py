from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("portfolio/reviews/", views.reviews, name="dashboard_reviews"),
    path("portfolio/reviews/new/", views.review_request, name="dashboard_review_request"),
    path("portfolio/<slug:section>/", views.dashboard_section, name="dashboard_section"),
]
