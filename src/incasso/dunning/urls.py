from django.urls import path

from incasso.dunning import views

app_name = "dunning"
urlpatterns = [
    path("", views.run_list, name="runs"),
    path("propose/", views.propose, name="propose"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/action/", views.run_action, name="run_action"),
    path("letters/<int:pk>/", views.letter_detail, name="letter"),
    path("letters/<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
    path("archive/", views.archive, name="archive"),
    path("procedures/", views.procedures, name="procedures"),
    path("texts/", views.letter_texts, name="letter_texts"),
    path("customer/<int:customer_pk>/panel/", views.customer_panel, name="customer_panel"),
]
