from django.urls import path

from . import page_views, views

app_name = "downloads"
urlpatterns = [
    path("donnees/<int:pk>/telecharger/", views.direct, name="direct"),
    path("telechargements/<uuid:pk>/", views.job, name="job"),
    path("telechargements/<uuid:pk>/annuler/", views.job_cancel, name="job_cancel"),
    path("telechargements/fichier/<str:token>/", views.file, name="file"),
    # Pages (downloads/page_views.py): the dataset's download form, the basket, "Mes téléchargements".
    path("donnees/<int:pk>/telecharger/choix/", page_views.extract, name="extract"),
    path("telechargements/", page_views.my_downloads, name="my_downloads"),
    path("telechargements/<uuid:pk>/ligne/", page_views.job_row, name="job_row"),
    path("telechargements/panier/", page_views.basket, name="basket"),
    path("telechargements/panier/commander/", page_views.basket_order, name="basket_order"),
    path("telechargements/panier/<int:item>/retirer/", page_views.basket_remove, name="basket_remove"),
]
