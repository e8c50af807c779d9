from django.urls import path

from . import views

app_name = "catalogue"
urlpatterns = [
    path("", views.home, name="home"),
    path("donnees/", views.dataset_list, name="datasets"),
    path("donnees/<int:pk>/", views.dataset_detail, name="dataset"),
    path("donnees/<int:pk>/modifier/", views.dataset_edit, name="edit"),
    path("donnees/<int:pk>/publier/", views.dataset_publish, name="publish"),
    path("donnees/<int:pk>/partage/", views.dataset_sharing, name="sharing"),
    path("donnees/<int:pk>/partage/mode/", views.sharing_preset, name="sharing_preset"),
    path("donnees/<int:pk>/partage/droits/", views.grant_add, name="grant_add"),
    path("donnees/<int:pk>/partage/droits/<int:grant_id>/retirer/", views.grant_remove, name="grant_remove"),
]
