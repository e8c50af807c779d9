from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("", views.home, name="home"),
    path("donnees/", views.dataset_list, name="datasets"),
    path("donnees/<int:pk>/", views.dataset_detail, name="dataset"),
    path("donnees/<int:pk>/modifier/", views.dataset_edit, name="edit"),
    path("donnees/<int:pk>/publier/", views.dataset_publish, name="publish"),
]
