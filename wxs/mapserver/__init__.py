"""Everything that knows MapServer: `mapfiles` generates the mapfiles from the catalogue, `runtime` runs MapServer
on them. The rest of the platform imports from here."""

from .mapfiles import (  # noqa: F401
    MASK_LAYER,
    caller_layers,
    service_mapfile_for,
    service_mapfile_text,
    ONLINE_RESOURCE_PLACEHOLDER,
    OUTPUT_SRS,
    mapfile_for,
    mapfile_path,
    mapfile_text,
    write_mapfile,
)
from .runtime import MapServerResponse, config_text, ensure_config, render, version  # noqa: F401
