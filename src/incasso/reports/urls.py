from django.urls import path

from incasso.reports import views

app_name = "reports"
urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("aging/items/", views.aging_drilldown, name="aging_items"),
    path("aging/customer/<int:pk>/", views.customer_aging, name="customer_aging"),
]
