"""Placeholder until the module lands (this session)."""

from django.http import Http404


def place_search(request, *args, **kwargs):
    raise Http404


def capabilities(request, *args, **kwargs):
    raise Http404
