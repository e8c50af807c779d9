// Lambert-93 (EPSG:2154) for the viewer's pointer coordinates, in its own small bundle (dist/viewer-lambert93.js)
// that the viewer loads after the map's first complete render: proj4 is a tenth of the viewer's code, and the
// coordinates are not needed to see the map. It hands the viewer a proj4 converter from WGS84.
import proj4 from 'proj4';

const LAMBERT93 =
  '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 ' +
  '+towgs84=0,0,0,0,0,0,0 +units=m +no_defs +type=crs';

window.gpLambert93 = proj4('EPSG:4326', LAMBERT93);
window.dispatchEvent(new Event('gp:lambert93'));
