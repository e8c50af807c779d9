"""Placeholder until the module lands (this session)."""

from django.http import Http404


def map_list(request, *args, **kwargs):
    raise Http404


def composer(request, *args, **kwargs):
    raise Http404


def map_import(request, *args, **kwargs):
    raise Http404


def map_view(request, *args, **kwargs):
    raise Http404


def map_embed(request, *args, **kwargs):
    raise Http404
