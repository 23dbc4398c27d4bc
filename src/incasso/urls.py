from django.contrib import admin
from django.urls import include, path

from incasso.web.api import urls as api_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("incasso.web.urls")),
    path("customers/", include("incasso.ledger.urls")),
    path("reports/", include("incasso.reports.urls")),
    path("disputes/", include("incasso.disputes.urls")),
    path("worklist/", include("incasso.collections.urls")),
    path("plans/", include("incasso.collections.plan_urls")),
    path("cash/", include("incasso.cashapp.urls")),
    path("dunning/", include("incasso.dunning.urls")),
    path("jobs/", include("incasso.jobs.urls")),
    path("settings/", include("incasso.accounts.urls")),
]
