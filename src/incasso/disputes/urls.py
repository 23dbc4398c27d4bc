from django.urls import path

from incasso.disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("analytics/", views.analytics, name="analytics"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/action/", views.case_action, name="case_action"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("customer/<int:customer_pk>/open/", views.open_case, name="open_case"),
    path("customer/<int:customer_pk>/panel/", views.customer_panel, name="customer_panel"),
]
