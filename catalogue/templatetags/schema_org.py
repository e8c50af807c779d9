from django import template
from django.utils.safestring import SafeString

from catalogue import schema_org
from catalogue.models import Dataset

register = template.Library()


@register.simple_tag
def schema_org_json_ld(dataset: Dataset) -> SafeString:
    """The record's schema.org description, safe to place inside a JSON-LD script element."""
    return schema_org.script_body(dataset)
