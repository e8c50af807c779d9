from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from geoplatform import rights

from . import services
from .forms import DatasetForm
from .models import Dataset


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "catalogue/home.html", {"recent": services.recently_published(request.user)})


def dataset_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    datasets = services.datasets_for(request.user, query)
    return render(request, "catalogue/dataset_list.html", {"datasets": datasets[:200], "query": query})


def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.VIEW_METADATA, pk=pk)
    may_view_data = rights.can(request.user, rights.Action.VIEW_DATA, dataset)
    context = {
        "dataset": dataset,
        "may_view_data": may_view_data,
        "may_edit": rights.can(request.user, rights.Action.EDIT, dataset),
        "rows": services.attribute_page(dataset, request.GET.get("page")) if may_view_data else None,
        "last_job": dataset.import_jobs.first() if rights.can(request.user, rights.Action.EDIT, dataset) else None,
    }
    return render(request, "catalogue/dataset_detail.html", context)


@login_required
@require_POST
def dataset_publish(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.ADMINISTER, pk=pk)
    services.publish(dataset)
    return redirect(dataset)


@login_required
def dataset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = rights.get_or_404(request.user, Dataset.objects.all(), rights.Action.EDIT, pk=pk)
    form = DatasetForm(request.POST or None, instance=dataset)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect(dataset)
    return render(request, "catalogue/dataset_edit.html", {"dataset": dataset, "form": form})
