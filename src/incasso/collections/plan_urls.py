"""Payment plan screens, mounted at /plans/ (the risk approver's queue is the list's default)."""

from django.urls import path

from incasso.collections.views import plans

app_name = "plans"
urlpatterns = [
    path("", plans.plan_list, name="list"),
    path("<int:pk>/", plans.detail, name="detail"),
    path("<int:pk>/approve/", plans.approve, name="approve"),
    path("<int:pk>/reject/", plans.reject, name="reject"),
    path("<int:pk>/activate/", plans.activate, name="activate"),
    path("<int:pk>/cancel/", plans.cancel, name="cancel"),
    path("customers/<int:pk>/new/", plans.propose, name="propose"),
    path("customers/<int:pk>/preview/", plans.preview, name="preview"),
]
