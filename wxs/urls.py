from django.urls import path

from . import views

app_name = "wxs"
urlpatterns = [
    path("ows/dataset/<int:pk>", views.dataset_ows, name="dataset_ows"),
]
