from django.urls import path

from qbr import views

urlpatterns = [
    path("qbrs/", views.qbr_list, name="qbr_list"),
    path("qbrs/<int:qbr_id>/", views.qbr_detail, name="qbr_detail"),
    path("admin/qbr-program/", views.program, name="qbr_program"),
    path("admin/agenda-templates/", views.agenda_templates, name="qbr_agenda_templates"),
]
