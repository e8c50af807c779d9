from django.urls import path

from . import views

app_name = "importer"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/uploads/", views.upload_create, name="upload_create"),
    path("import/uploads/<uuid:pk>/", views.upload_detail, name="upload"),
    path("import/uploads/<uuid:pk>/complete/", views.upload_complete, name="upload_complete"),
    path("import/jobs/<uuid:pk>/", views.job_page, name="job"),
    path("import/jobs/<uuid:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("import/jobs/<uuid:pk>/retry/", views.job_retry, name="job_retry"),
]
