// The download form of the dataset page (downloads/templates/downloads/_page_download_form.html).
//
// <form data-download-form>
//   <select data-download-format><option data-forced-srid="4326">…</option></select>
//   <select name="srid">…</select>
//   <input type="radio" data-download-clip="extent"> … <input type="hidden" name="bbox">
// </form>
//
// "Current map extent": the WGS84 extent (west,south,east,north) of the page's map (#gp-map, see app.js
// initMap) is written into the hidden bbox field when the form is sent. A format that imposes its CRS (KML)
// selects that CRS in the menu. Without this script the server still forces the CRS, and refuses an
// extent clip it cannot know with a French message.
import GeoJSON from 'ol/format/GeoJSON.js';
import Draw from 'ol/interaction/Draw.js';
import VectorLayer from 'ol/layer/Vector.js';
import { transformExtent } from 'ol/proj.js';
import VectorSource from 'ol/source/Vector.js';
import { Fill, Stroke, Style } from 'ol/style.js';

function mapExtent() {
  const el = document.getElementById('gp-map');
  const map = el && el.gpMap;
  const size = map && map.getSize();
  if (!size || !size[0] || !size[1]) return '';
  const [west, south, east, north] = transformExtent(
    map.getView().calculateExtent(size),
    map.getView().getProjection(),
    'EPSG:4326',
  );
  const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
  return [clamp(west, 180), clamp(south, 90), clamp(east, 180), clamp(north, 90)]
    .map((value) => value.toFixed(6))
    .join(',');
}

// "Polygon drawn on the map": the button starts a polygon drawing on the page's map (one click per vertex,
// double-click to finish); the polygon, in WGS84, goes into the hidden `drawn` field as GeoJSON and its
// option is checked. A new drawing replaces the previous one.
function initDrawing(form) {
  const button = form.querySelector('[data-download-draw]');
  const field = form.querySelector('input[name="drawn"]');
  const status = form.querySelector('[data-download-draw-status]');
  const el = document.getElementById('gp-map');
  if (!button || !field || !el) return;
  let draw = null;
  let layer = null;
  button.addEventListener('click', () => {
    const map = el.gpMap;
    if (!map) return;
    if (!layer) {
      layer = new VectorLayer({
        source: new VectorSource(),
        style: new Style({
          stroke: new Stroke({ color: '#b3261e', width: 2 }),
          fill: new Fill({ color: 'rgba(179, 38, 30, 0.12)' }),
        }),
        zIndex: 100,
      });
      map.addLayer(layer);
    }
    if (draw) map.removeInteraction(draw);
    draw = new Draw({ source: layer.getSource(), type: 'Polygon' });
    draw.on('drawstart', () => layer.getSource().clear());
    draw.on('drawend', (event) => {
      const geometry = new GeoJSON().writeGeometryObject(event.feature.getGeometry(), {
        dataProjection: 'EPSG:4326',
        featureProjection: map.getView().getProjection(),
        decimals: 7,
      });
      field.value = JSON.stringify(geometry);
      const option = form.querySelector('[data-download-clip="drawn"]');
      if (option) option.checked = true;
      const count = String(geometry.coordinates[0].length - 1);
      if (status) status.textContent = button.dataset.msgDrawn.replace('{count}', count);
      map.removeInteraction(draw);
      draw = null;
    });
    map.addInteraction(draw);
    if (status) status.textContent = button.dataset.msgDrawing;
    el.scrollIntoView({ block: 'nearest' });
  });
}

function initDownloadForm(form) {
  if (form.gpDownload) return;
  form.gpDownload = true;
  const format = form.querySelector('[data-download-format]');
  const srid = form.querySelector('select[name="srid"]');
  const bbox = form.querySelector('input[name="bbox"]');

  const syncSrid = () => {
    const option = format && format.selectedOptions[0];
    const forced = option && option.dataset.forcedSrid;
    if (!srid) return;
    if (forced) srid.value = forced;
    // Not disabled (a disabled field is not sent): marked read-only for assistive technologies.
    srid.setAttribute('aria-readonly', forced ? 'true' : 'false');
  };
  if (format) {
    format.addEventListener('change', syncSrid);
    syncSrid();
  }
  if (srid) {
    srid.addEventListener('change', () => {
      const option = format && format.selectedOptions[0];
      if (option && option.dataset.forcedSrid) srid.value = option.dataset.forcedSrid;
    });
  }
  initDrawing(form);
  form.addEventListener('submit', () => {
    const extent = form.querySelector('[data-download-clip="extent"]');
    if (bbox && extent && extent.checked) bbox.value = mapExtent();
  });
}

export function initDownloads(root = document) {
  root.querySelectorAll('form[data-download-form]').forEach(initDownloadForm);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => initDownloads(document));
} else {
  initDownloads(document);
}
