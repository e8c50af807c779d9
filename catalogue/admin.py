from django.contrib import admin

from .models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "kind", "public", "version", "feature_count"]
    list_filter = ["public", "kind", "organisation"]
    search_fields = ["title"]
