from django import forms

from .models import Dataset


class DatasetForm(forms.ModelForm):
    """What a producer describes by hand; the rest is read from the data."""

    class Meta:
        model = Dataset
        fields = ["title", "abstract"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "abstract": forms.Textarea(attrs={"class": "form-control", "rows": 5}),
        }
