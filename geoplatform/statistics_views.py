"""Usage statistics pages: the platform dashboard (administrators), a producer's own datasets, the CSV export."""

import csv
import math

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from catalogue.models import Dataset

from . import rights, statistics

MINE = "mes-donnees"
DATE_INPUT = {"type": "date", "class": "form-control"}
KIND_COLOURS = {"page": "#1d4f91", "ogc": "#a84300", "download": "#2a6b2e"}  # at least 4.5:1 on white


class PeriodForm(forms.Form):
    du = forms.DateField(label=_("Du"), widget=forms.DateInput(DATE_INPUT, format="%Y-%m-%d"))
    au = forms.DateField(label=_("Au"), widget=forms.DateInput(DATE_INPUT, format="%Y-%m-%d"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("du") and data.get("au") and data["du"] > data["au"]:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        return data


def _period(request: HttpRequest) -> tuple[PeriodForm, statistics.Period]:
    default = statistics.Period.last_twelve_months()
    if "du" not in request.GET and "au" not in request.GET:
        return PeriodForm(initial={"du": default.start, "au": default.end}), default
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form, statistics.Period(form.cleaned_data["du"], form.cleaned_data["au"])
    return form, default


def _month_chart(months: list[statistics.Row]) -> dict:
    """Geometry of the monthly stacked bar chart (SVG user units), so the template only draws it."""
    width, height, left, bottom, top = 720, 270, 56, 40, 12
    plot = height - bottom - top
    peak = max((row.total for row in months), default=0)
    scale = _nice_ceiling(peak)
    step = (width - left) / max(len(months), 1)
    every = math.ceil(len(months) / 12) or 1
    bars = []
    for index, row in enumerate(months):
        x, y = left + index * step + step * 0.15, height - bottom
        segments = []
        for kind in ("page", "ogc", "download"):
            size = plot * getattr(row, kind) / scale if scale else 0
            y -= size
            segments.append({"y": round(y, 1), "height": round(size, 1), "colour": KIND_COLOURS[kind]})
        labelled = index % every == 0
        total = formats.number_format(row.total, force_grouping=True)
        bars.append(
            {
                "x": round(x, 1),
                "width": round(step * 0.7, 1),
                "segments": segments,
                "label": formats.date_format(row.key, "M") if labelled else "",
                "year": row.key.year if labelled and (index == 0 or row.key.month <= every) else "",
                "label_x": round(x + step * 0.35, 1),
                "title": f"{formats.date_format(row.key, 'F Y')} : {total}",
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "base": height - bottom,
        "top": top,
        "scale": scale,
        "bars": bars,
        "label_y": height - bottom + 16,
        "year_y": height - bottom + 32,
    }


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^n not below `value` (the chart's top gridline)."""
    if value <= 0:
        return 0
    magnitude = 10 ** (len(str(value)) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= value)


def _context(request: HttpRequest, datasets: QuerySet | None, scope: str) -> dict:
    form, period = _period(request)
    report = statistics.report(period, datasets)
    peak = max((row.total for row in report.datasets), default=0)
    organisation_peak = max((row.total for row in report.organisations), default=0)
    return {
        "form": form,
        "report": report,
        "chart": _month_chart(report.months),
        "dataset_peak": peak,
        "organisation_peak": organisation_peak,
        "colours": KIND_COLOURS,
        "scope": scope,
        "export_query": f"du={period.start.isoformat()}&au={period.end.isoformat()}"
        + (f"&perimetre={MINE}" if scope == MINE else ""),
    }


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "geoplatform/statistics/forbidden.html", status=403)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not rights.may_administer_platform(request.user):
        return _forbidden(request)
    return render(request, "geoplatform/statistics/dashboard.html", _context(request, None, "platform"))


def _editable(request: HttpRequest) -> QuerySet:
    return rights.visible(request.user, Dataset.objects.all(), rights.Action.EDIT)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    datasets = _editable(request)
    if not datasets.exists():
        return render(request, "geoplatform/statistics/mine.html", {"nothing": True})
    return render(request, "geoplatform/statistics/mine.html", _context(request, datasets, MINE))


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The figures of the current view as CSV (UTF-8 with BOM and semicolons, as spreadsheets in French expect)."""
    if request.GET.get("perimetre") == MINE:
        datasets = _editable(request)
    elif rights.may_administer_platform(request.user):
        datasets = None
    else:
        return _forbidden(request)
    _form, period = _period(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"statistiques-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _t("Mois"),
            _t("Identifiant du jeu de données"),
            _t("Jeu de données"),
            _t("Organisation"),
            _t("Consultations"),
            _t("Requêtes OGC"),
            _t("Téléchargements"),
            _t("Total"),
            _t("Anonymes"),
            _t("Utilisateurs inscrits"),
        ]
    )
    for month, row in statistics.export_rows(period, datasets):
        writer.writerow(
            [
                month.strftime("%Y-%m"),
                row.key,
                row.label,
                row.detail,
                row.page,
                row.ogc,
                row.download,
                row.total,
                row.anonymous,
                row.registered,
            ]
        )
    return response
