from django.urls import path

from . import statistics_views as views

app_name = "statistics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("mes-donnees/", views.mine, name="mine"),
    path("export.csv", views.export, name="export"),
]
