from django.urls import path

from accounts import views, views_governance, views_money, views_playbooks, views_timeline

urlpatterns = [
    path("accounts/", views.portfolio, name="portfolio"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:account_id>/", views.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<int:account_id>/delete/", views.account_delete, name="account_delete"),
    path("accounts/<int:account_id>/criteria/", views.account_criteria, name="account_criteria"),
    path("accounts/<int:account_id>/timeline/", views_timeline.timeline_more, name="timeline_more"),
    path("accounts/<int:account_id>/timeline/log/", views_timeline.timeline_log, name="timeline_log"),
    path(
        "accounts/<int:account_id>/timeline/<int:timeline_entry_id>/pin/",
        views_timeline.timeline_pin,
        {"pinned": True},
        name="timeline_pin",
    ),
    path(
        "accounts/<int:account_id>/timeline/<int:timeline_entry_id>/unpin/",
        views_timeline.timeline_pin,
        {"pinned": False},
        name="timeline_unpin",
    ),
    path(
        "accounts/<int:account_id>/timeline/<int:timeline_entry_id>/delete/",
        views_timeline.timeline_delete,
        name="timeline_delete",
    ),
    path("accounts/<int:account_id>/contracts/add/", views.contract_add, name="contract_add"),
    path("accounts/<int:account_id>/contracts/<int:contract_id>/", views.contract_edit, name="contract_edit"),
    path(
        "accounts/<int:account_id>/contracts/<int:contract_id>/delete/", views.contract_delete, name="contract_delete"
    ),
    path("accounts/<int:account_id>/contacts/add/", views.contact_add, name="contact_add"),
    path("accounts/<int:account_id>/contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"),
    path("accounts/<int:account_id>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("accounts/<int:account_id>/contacts/<int:contact_id>/erase/", views.contact_erase, name="contact_erase"),
    path("accounts/<int:account_id>/team/add/", views.team_add, name="team_add"),
    path("accounts/<int:account_id>/team/needed/", views.account_roles_needed, name="account_roles_needed"),
    path("accounts/<int:account_id>/team/<int:assignment_id>/remove/", views.team_remove, name="team_remove"),
    path(
        "accounts/<int:account_id>/deliverables/<int:deliverable_id>/",
        views.deliverable_edit,
        name="deliverable_edit",
    ),
    path(
        "accounts/<int:account_id>/deliverables/<int:deliverable_id>/file/",
        views.deliverable_file,
        name="deliverable_file",
    ),
    path("accounts/<int:account_id>/plan/goals/add/", views.goal_add, name="goal_add"),
    path(
        "accounts/<int:account_id>/plan/goals/<int:goal_id>/objectives/add/", views.objective_add, name="objective_add"
    ),
    path("accounts/<int:account_id>/plan/review/", views.plan_review, name="plan_review"),
    path("accounts/<int:account_id>/plan/versions/<int:review_id>/", views.plan_version, name="plan_version"),
    path("accounts/<int:account_id>/actions/add/", views.action_add, name="action_add"),
    path("accounts/<int:account_id>/actions/<int:action_id>/", views.action_edit, name="action_edit"),
    path("accounts/<int:account_id>/incidents/add/", views.incident_add, name="incident_add"),
    path("accounts/<int:account_id>/incidents/<int:incident_id>/", views.incident_edit, name="incident_edit"),
    path(
        "accounts/<int:account_id>/incidents/<int:incident_id>/delete/", views.incident_delete, name="incident_delete"
    ),
    path("accounts/<int:account_id>/recurring/<int:issue_id>/", views.recurring_edit, name="recurring_edit"),
    path("accounts/<int:account_id>/plan/goals/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path("accounts/<int:account_id>/plan/goals/<int:goal_id>/delete/", views.goal_delete, name="goal_delete"),
    path("accounts/<int:account_id>/plan/objectives/<int:objective_id>/", views.objective_edit, name="objective_edit"),
    path(
        "accounts/<int:account_id>/plan/objectives/<int:objective_id>/delete/",
        views.objective_delete,
        name="objective_delete",
    ),
    path("accounts/<int:account_id>/operations-review/", views.operations_review, name="operations_review"),
    path(
        "accounts/<int:account_id>/operations-review/save/",
        views.operations_review_save,
        name="operations_review_save",
    ),
    path(
        "accounts/<int:account_id>/operations-review/pdf/",
        views.operations_review_pdf,
        name="operations_review_pdf",
    ),
    path("my-actions/", views.my_actions, name="my_actions"),
    path("import/<slug:kind>/", views.import_upload, name="import_upload"),
    path("import/batches/<int:batch_id>/", views.import_preview, name="import_preview"),
    path("admin/program/", views.program_settings, name="program_settings"),
    path("playbooks/", views_playbooks.playbooks, name="playbooks"),
    path("playbooks/new/", views_playbooks.playbook_create, name="playbook_create"),
    path("playbooks/<int:playbook_id>/", views_playbooks.playbook_edit, name="playbook_edit"),
    path(
        "playbooks/<int:playbook_id>/pause/", views_playbooks.playbook_toggle, {"active": False}, name="playbook_pause"
    ),
    path(
        "playbooks/<int:playbook_id>/activate/",
        views_playbooks.playbook_toggle,
        {"active": True},
        name="playbook_activate",
    ),
    path("playbooks/<int:playbook_id>/delete/", views_playbooks.playbook_delete, name="playbook_delete"),
    path("admin/program/rules/", views.program_rules_save, name="program_rules"),
    path("admin/program/logo/", views.program_logo_set, name="program_logo"),
    path("admin/program/tiers/", views.tier_save, name="program_tier_add"),
    path("admin/program/tiers/<int:tier_id>/", views.tier_save, name="program_tier_edit"),
    path("admin/program/criteria/", views.criterion_add, name="program_criterion_add"),
    path("admin/program/criteria/<int:criterion_id>/", views.criterion_weight_set, name="program_criterion_weight"),
    path(
        "admin/program/criteria/<int:criterion_id>/toggle/",
        views.criterion_toggle,
        name="program_criterion_toggle",
    ),
    path("admin/program/categories/", views.incident_category_add, name="program_category_add"),
    path(
        "admin/program/categories/<int:category_id>/toggle/",
        views.incident_category_toggle,
        name="program_category_toggle",
    ),
    path(
        "accounts/<int:account_id>/contracts/<int:contract_id>/outcome/",
        views_money.contract_outcome,
        name="contract_outcome",
    ),
    path("accounts/<int:account_id>/revenue/add/", views_money.revenue_add, name="revenue_add"),
    path("accounts/<int:account_id>/revenue/<int:entry_id>/delete/", views_money.revenue_delete, name="revenue_delete"),
    path("admin/portfolio/", views_money.portfolio_settings, name="portfolio_settings"),
    path("admin/portfolio/rates/add/", views_money.exchange_rate_add, name="exchange_rate_add"),
    path("admin/portfolio/rates/<int:rate_id>/delete/", views_money.exchange_rate_delete, name="exchange_rate_delete"),
    path("admin/portfolio/<slug:kind>/add/", views_money.portfolio_list_add, name="portfolio_list_add"),
    path("admin/portfolio/reasons/<int:reason_id>/toggle/", views_money.loss_reason_toggle, name="loss_reason_toggle"),
    path(
        "admin/portfolio/sources/<int:source_id>/toggle/",
        views_money.revenue_source_toggle,
        name="revenue_source_toggle",
    ),
    # change control, the customer's decisions, escalations
    path("accounts/<int:account_id>/changes/add/", views_governance.change_add, name="change_add"),
    path("accounts/<int:account_id>/changes/emergency/", views_governance.change_emergency, name="change_emergency"),
    path("accounts/<int:account_id>/changes/<int:change_id>/", views_governance.change_detail, name="change_detail"),
    path(
        "accounts/<int:account_id>/changes/<int:change_id>/decide/",
        views_governance.change_decide,
        name="change_decide",
    ),
    path("accounts/<int:account_id>/changes/<int:change_id>/done/", views_governance.change_done, name="change_done"),
    path(
        "accounts/<int:account_id>/changes/<int:change_id>/cancel/",
        views_governance.change_cancel,
        name="change_cancel",
    ),
    path("accounts/<int:account_id>/decisions/add/", views_governance.decision_add, name="decision_add"),
    path(
        "accounts/<int:account_id>/decisions/<int:decision_id>/",
        views_governance.decision_detail,
        name="decision_detail",
    ),
    path(
        "accounts/<int:account_id>/decisions/<int:decision_id>/answer/",
        views_governance.decision_answer,
        name="decision_answer",
    ),
    path(
        "accounts/<int:account_id>/decisions/<int:decision_id>/expire/",
        views_governance.decision_expire,
        name="decision_expire",
    ),
    path("accounts/<int:account_id>/escalations/add/", views_governance.escalation_add, name="escalation_add"),
    path(
        "accounts/<int:account_id>/escalations/<int:escalation_id>/",
        views_governance.escalation_detail,
        name="escalation_detail",
    ),
    path(
        "accounts/<int:account_id>/escalations/<int:escalation_id>/resolve/",
        views_governance.escalation_resolve,
        name="escalation_resolve",
    ),
]
