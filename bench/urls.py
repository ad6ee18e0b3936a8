from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/hello/", views.hello),
    path("bench/hello-signed-in/", views.hello_signed_in),
    path("bench/rows/", views.template_100),
    path("bench/drf50/", views.Drf50.as_view()),
    path("bench/form/", views.bare_form),
    path("t/<slug:tenant_slug>/bench/hello/", views.tenant_hello),
    path("", include("sam.urls")),
]
