"""Store a raster as a Cloud-Optimised GeoTIFF with overviews (gdal_translate -of COG)."""

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from osgeo import gdal

from .errors import fail
from .inspect import RasterInfo
from .load import CancelCheck, ProgressCallback, run_gdal_command


def raster_directory() -> Path:
    path = Path(settings.MEDIA_ROOT) / "rasters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def convert_to_cog(info: RasterInfo, target: Path, on_progress: ProgressCallback, is_cancelled: CancelCheck) -> None:
    command = [
        "gdal_translate", "-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "OVERVIEWS=AUTO",
        "-co", "BLOCKSIZE=512", "-a_srs", f"EPSG:{info.srid}",
        str(info.source.path), str(target),
    ]  # fmt: skip
    try:
        run_gdal_command(command, on_progress, is_cancelled, env=None)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def describe_cog(path: Path) -> dict:
    ds = gdal.Open(str(path))
    if ds is None:
        raise fail("corrupt_file", _("Le fichier raster produit est illisible."))
    transform = ds.GetGeoTransform()
    xmin, ymax = transform[0], transform[3]
    xmax = xmin + transform[1] * ds.RasterXSize
    ymin = ymax + transform[5] * ds.RasterYSize
    band = ds.GetRasterBand(1)
    # Min/max only: ComputeStatistics would leave a .aux.xml beside the file, orphaned once it is renamed.
    low, high = band.ComputeRasterMinMax(False)
    return {
        "bbox": [xmin, min(ymin, ymax), xmax, max(ymin, ymax)],
        "raster_info": {
            "width": ds.RasterXSize,
            "height": ds.RasterYSize,
            "bands": ds.RasterCount,
            "data_type": gdal.GetDataTypeName(band.DataType),
            "nodata": band.GetNoDataValue(),
            "min": low,
            "max": high,
            "overviews": band.GetOverviewCount(),
            "resolution": [abs(transform[1]), abs(transform[5])],
        },
    }
