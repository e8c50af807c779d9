"""schema.org Dataset description of a record, embedded in its page for search engines (Google Dataset Search)."""

import json

from django.utils.safestring import SafeString, mark_safe

from . import dcat, thesauri
from .models import Dataset

# What could end the <script> element or open a comment inside it, written as JSON escapes instead.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def dataset_json_ld(dataset: Dataset) -> dict:
    organisation = {"@type": "Organization", "name": dataset.organisation.name}
    if dataset.organisation.website:
        organisation["url"] = dataset.organisation.website
    description = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": str(dcat.dataset_uri(dataset)),
        "name": dataset.title,
        # Search engines require a description; a record without a summary is described by its title.
        "description": dataset.abstract.strip() or dataset.title,
        "url": dcat.page_url(dataset),
        "identifier": str(dataset.uuid),
        "inLanguage": "fr",
        "keywords": [keyword.label for keyword in dataset.keywords.all()],
        "creator": organisation,
        "publisher": organisation,
        "dateModified": dataset.updated_at.isoformat(),
        "isAccessibleForFree": True,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": item.title,
                "contentUrl": item.access_url,
                "encodingFormat": item.media_type or item.file_type,
            }
            for item in dcat.distributions(dataset)
            if item.download  # services are not files to download: the page and the DCAT record list them
        ],
    }
    if dataset.published_at:
        description["datePublished"] = dataset.published_at.isoformat()
    if dataset.licence in thesauri.LICENCES:
        description["license"] = thesauri.LICENCES[dataset.licence][0]
    elif dataset.licence_other.strip():
        description["license"] = dataset.licence_other.strip()
    if dataset.bbox_wgs84:
        minx, miny, maxx, maxy = dataset.bbox_wgs84
        # schema.org boxes are "south west north east", latitude first.
        box = {"@type": "GeoShape", "box": f"{miny} {minx} {maxy} {maxx}"}
        description["spatialCoverage"] = {"@type": "Place", "geo": box}
    if dataset.temporal_start or dataset.temporal_end:
        start = dataset.temporal_start.isoformat() if dataset.temporal_start else ".."
        end = dataset.temporal_end.isoformat() if dataset.temporal_end else ".."
        description["temporalCoverage"] = f"{start}/{end}"
    return description


def script_body(dataset: Dataset) -> SafeString:
    """The JSON-LD text to put inside <script type="application/ld+json">, unable to close the element."""
    text = json.dumps(dataset_json_ld(dataset), ensure_ascii=False, indent=1)
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # safe: every markup character is escaped above
