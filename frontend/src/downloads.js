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
import { transformExtent } from 'ol/proj.js';

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
