from django.urls import path

from . import views

app_name = "downloads"
urlpatterns = [
    path("donnees/<int:pk>/telecharger/", views.direct, name="direct"),
    path("telechargements/<uuid:pk>/", views.job, name="job"),
    path("telechargements/<uuid:pk>/annuler/", views.job_cancel, name="job_cancel"),
    path("telechargements/fichier/<str:token>/", views.file, name="file"),
]
