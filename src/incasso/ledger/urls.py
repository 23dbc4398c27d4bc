from django.urls import path

from incasso.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/dunning-block/", views.dunning_block, name="dunning_block"),
]
