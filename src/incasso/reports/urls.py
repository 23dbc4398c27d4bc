from django.urls import path

from incasso.reports import views, views_dashboards, views_targets

app_name = "reports"
urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("aging/items/", views.aging_drilldown, name="aging_items"),
    path("aging/customer/<int:pk>/", views.customer_aging, name="customer_aging"),
    path("packs/<str:pack>/", views_dashboards.pack_dashboard, name="pack"),
    path("kpis/", views_dashboards.kpi_dashboard, name="kpis"),
    path("targets/", views_targets.targets, name="targets"),
]
