"""Placeholder until the module lands (this session)."""

from django.http import Http404


def context_document(request, *args, **kwargs):
    raise Http404
