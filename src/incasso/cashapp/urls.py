from django.urls import path

from incasso.cashapp import views

app_name = "cashapp"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("upload/", views.upload, name="upload"),
    path("run/", views.run, name="run"),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("proposals/<int:pk>/accept/", views.accept, name="accept"),
    path("proposals/<int:pk>/reject/", views.reject, name="reject"),
    path("lines/<int:pk>/allocate/", views.allocate_panel, name="allocate"),
    path("lines/<int:pk>/unapply/", views.unapply_line, name="unapply"),
    path("unapplied/", views.unapplied, name="unapplied"),
    path("deductions/", views.deductions, name="deductions"),
    path("deductions/<int:pk>/dispute/", views.dispute_deduction_view, name="dispute_deduction"),
    path("remittances/", views.remittances, name="remittances"),
    path("remittances/<int:pk>/link/", views.link_remittance, name="link_remittance"),
    path("mappings/", views.mapping_list, name="mappings"),
    path("mappings/new/", views.mapping_edit, name="mapping_new"),
    path("mappings/<int:pk>/", views.mapping_edit, name="mapping_edit"),
    path("settings/", views.settings_list, name="settings"),
    path("settings/<str:code>/", views.settings_edit, name="settings_edit"),
]
