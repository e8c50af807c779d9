"""Everything that knows MapServer: `mapfiles` generates the mapfiles from the catalogue, `runtime` runs MapServer
on them. The rest of the platform imports from here."""

from .mapfiles import (  # noqa: F401
    MASK_LAYER,
    ONLINE_RESOURCE_PLACEHOLDER,
    OUTPUT_SRS,
    caller_layers,
    mapfile_for,
    mapfile_path,
    mapfile_text,
    service_mapfile_for,
    service_mapfile_text,
    write_mapfile,
)
from .runtime import (  # noqa: F401
    MapServerResponse,
    MapServerStream,
    MapServerUnavailable,
    config_text,
    ensure_config,
    render,
    respond,
    socket_path,
    start_pool,
    version,
)
