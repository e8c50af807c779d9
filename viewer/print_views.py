"""Placeholder until the module lands (this session)."""

from django.http import Http404


def print_map(request, *args, **kwargs):
    raise Http404
