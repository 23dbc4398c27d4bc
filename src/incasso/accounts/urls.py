from django.urls import path

from incasso.accounts import views

app_name = "accounts"
urlpatterns = [
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
]
