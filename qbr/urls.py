from django.urls import path

from qbr import views

urlpatterns = [
    path("qbrs/", views.qbr_list, name="qbr_list"),
    path("qbrs/<int:qbr_id>/", views.qbr_detail, name="qbr_detail"),
    path("qbrs/<int:qbr_id>/schedule/", views.schedule_set, name="qbr_schedule"),
    path("qbrs/<int:qbr_id>/milestones/<int:milestone_id>/", views.milestone_set, name="qbr_milestone"),
    path("qbrs/<int:qbr_id>/cadence/", views.cadence_set, name="qbr_cadence"),
    path("qbrs/<int:qbr_id>/participants/", views.participant_add, name="qbr_participant_add"),
    path(
        "qbrs/<int:qbr_id>/participants/<int:participant_id>/remove/",
        views.participant_remove,
        name="qbr_participant_remove",
    ),
    path("qbrs/<int:qbr_id>/preread/", views.preread_set, name="qbr_preread"),
    path("qbrs/<int:qbr_id>/snapshot/", views.snapshot_attach, name="qbr_snapshot"),
    path("qbrs/<int:qbr_id>/agenda/from-template/", views.agenda_from_template, name="qbr_agenda_from_template"),
    path("qbrs/<int:qbr_id>/agenda/items/", views.agenda_item_add, name="qbr_item_add"),
    path("qbrs/<int:qbr_id>/agenda/items/<int:item_id>/", views.agenda_item_edit, name="qbr_item_edit"),
    path("qbrs/<int:qbr_id>/agenda/items/<int:item_id>/up/", views.agenda_item_move, {"up": True}, name="qbr_item_up"),
    path(
        "qbrs/<int:qbr_id>/agenda/items/<int:item_id>/down/",
        views.agenda_item_move,
        {"up": False},
        name="qbr_item_down",
    ),
    path("qbrs/<int:qbr_id>/agenda/items/<int:item_id>/delete/", views.agenda_item_delete, name="qbr_item_delete"),
    path("qbrs/<int:qbr_id>/agenda/items/<int:item_id>/minutes/", views.minutes_save, name="qbr_minutes"),
    path("qbrs/<int:qbr_id>/agenda/status/", views.agenda_status_set, name="qbr_agenda_status"),
    path("qbrs/<int:qbr_id>/actions/", views.action_add, name="qbr_action_add"),
    path("qbrs/<int:qbr_id>/invitation/", views.invitation_send, name="qbr_invite"),
    path("qbrs/<int:qbr_id>/pack/", views.pack_make, name="qbr_pack"),
    path("qbrs/<int:qbr_id>/minutes-pdf/", views.minutes_make, name="qbr_minutes_pdf"),
    path("qbrs/<int:qbr_id>/send/", views.document_send, name="qbr_send"),
    path("qbrs/<int:qbr_id>/held/", views.qbr_held, name="qbr_held"),
    path("qbrs/<int:qbr_id>/cancel/", views.qbr_cancel, name="qbr_cancel"),
    path("admin/qbr-program/", views.program, name="qbr_program"),
    path("admin/agenda-templates/", views.agenda_templates, name="qbr_agenda_templates"),
    path("admin/agenda-templates/new/", views.agenda_template_create, name="qbr_agenda_template_create"),
    path(
        "admin/agenda-templates/<int:agenda_template_id>/default/",
        views.agenda_template_default,
        name="qbr_agenda_template_default",
    ),
    path(
        "admin/agenda-templates/<int:agenda_template_id>/items/",
        views.agenda_template_item_add,
        name="qbr_agenda_template_item_add",
    ),
    path(
        "admin/agenda-templates/<int:agenda_template_id>/items/<int:template_item_id>/",
        views.agenda_template_item_edit,
        name="qbr_agenda_template_item_edit",
    ),
    path(
        "admin/agenda-templates/<int:agenda_template_id>/items/<int:template_item_id>/up/",
        views.agenda_template_item_move,
        {"up": True},
        name="qbr_agenda_template_item_up",
    ),
    path(
        "admin/agenda-templates/<int:agenda_template_id>/items/<int:template_item_id>/down/",
        views.agenda_template_item_move,
        {"up": False},
        name="qbr_agenda_template_item_down",
    ),
    path(
        "admin/agenda-templates/<int:agenda_template_id>/items/<int:template_item_id>/delete/",
        views.agenda_template_item_delete,
        name="qbr_agenda_template_item_delete",
    ),
]
