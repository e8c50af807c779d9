// Spatial filter and live facets of the catalogue search page.
//
// <div data-search-map data-bbox-input="bbox" data-extent="minx,miny,maxx,maxy"
//      data-base-maps='[{"type": "xyz"|"wms", "url", "layers"}]' data-wms-url data-wms-layers>
//
// Shift + drag draws a box; its WGS84 extent (west,south,east,north) goes into the
// form's bbox field and the form is submitted (htmx refreshes results and facets).
// The box shown is the one of #gp-results[data-search-extent] (a typed extent or a
// commune's), so it follows every refresh.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import Feature from 'ol/Feature.js';
import TileLayer from 'ol/layer/Tile.js';
import ImageLayer from 'ol/layer/Image.js';
import VectorLayer from 'ol/layer/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import VectorSource from 'ol/source/Vector.js';
import { fromExtent } from 'ol/geom/Polygon.js';
import DragBox from 'ol/interaction/DragBox.js';
import { defaults as defaultInteractions } from 'ol/interaction/defaults.js';
import { shiftKeyOnly } from 'ol/events/condition.js';
import { transformExtent } from 'ol/proj.js';
import { Fill, Stroke, Style } from 'ol/style.js';

const FRANCE = [-5.5, 41.0, 10.0, 51.5];

function parseExtent(value) {
  const parts = String(value || '')
    .split(',')
    .map(Number);
  return parts.length === 4 && parts.every(Number.isFinite) ? parts : null;
}

function baseLayers(el) {
  let maps = [];
  try {
    maps = JSON.parse(el.dataset.baseMaps || '[]');
  } catch {
    maps = [];
  }
  const layers = [];
  const first = maps.find((m) => m.type === 'xyz' || m.type === 'wms');
  if (first && first.type === 'xyz') layers.push(new TileLayer({ source: new XYZ({ url: first.url }) }));
  if (first && first.type === 'wms') {
    layers.push(new ImageLayer({ source: new ImageWMS({ url: first.url, params: { LAYERS: first.layers } }) }));
  }
  if (el.dataset.wmsUrl) {
    const params = { LAYERS: el.dataset.wmsLayers, FORMAT: 'image/png', TRANSPARENT: true, VERSION: '1.3.0' };
    layers.push(new ImageLayer({ source: new ImageWMS({ url: el.dataset.wmsUrl, params, serverType: 'mapserver' }) }));
  }
  return layers;
}

function round(value) {
  return Math.round(value * 10000) / 10000;
}

function initSearchMap(el) {
  if (el.gpSearchMap) return;
  const form = el.closest('form');
  const input = form && form.querySelector(`#${el.dataset.bboxInput}`);
  const commune = form && form.querySelector('#commune');
  const clear = form && form.querySelector('[data-search-map-clear]');
  if (!input) return;

  const boxes = new VectorSource();
  const style = new Style({
    stroke: new Stroke({ color: '#0b5cad', width: 2 }),
    fill: new Fill({ color: 'rgba(11, 92, 173, 0.12)' }),
  });
  // The extents of the listed records, for orientation.
  const found = new VectorSource();
  const foundStyle = new Style({ stroke: new Stroke({ color: 'rgba(90, 90, 90, 0.7)', width: 1 }) });
  const map = new Map({
    target: el,
    layers: [
      ...baseLayers(el),
      new VectorLayer({ source: found, style: foundStyle }),
      new VectorLayer({ source: boxes, style }),
    ],
    interactions: defaultInteractions({ shiftDragZoom: false }),
    view: new View({ projection: 'EPSG:3857', center: [0, 0], zoom: 2 }),
  });
  el.gpSearchMap = map;
  el.setAttribute('role', 'region');
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '0');

  function show(extent, fit) {
    boxes.clear();
    if (clear) clear.hidden = !extent;
    if (!extent) return;
    const projected = transformExtent(extent, 'EPSG:4326', 'EPSG:3857');
    boxes.addFeature(new Feature(fromExtent(projected)));
    if (fit) map.getView().fit(projected, { padding: [30, 30, 30, 30], maxZoom: 14 });
  }

  const start = parseExtent(el.dataset.extent) || FRANCE;
  map.getView().fit(transformExtent(start, 'EPSG:4326', 'EPSG:3857'), { size: [el.clientWidth || 300, 260] });

  const drag = new DragBox({ condition: shiftKeyOnly });
  drag.on('boxend', () => {
    const [minx, miny, maxx, maxy] = transformExtent(drag.getGeometry().getExtent(), 'EPSG:3857', 'EPSG:4326');
    const extent = [Math.max(minx, -180), Math.max(miny, -90), Math.min(maxx, 180), Math.min(maxy, 90)].map(round);
    input.value = extent.join(',');
    if (commune) commune.value = '';
    show(extent, false);
    el.dataset.drawn = '1';
    form.requestSubmit();
  });
  map.addInteraction(drag);

  if (clear) {
    clear.addEventListener('click', () => {
      input.value = '';
      if (commune) commune.value = '';
      show(null);
      form.requestSubmit();
    });
  }

  // The extent the server searched with: typed, drawn, or a commune's.
  const sync = () => {
    const results = document.getElementById('gp-results');
    found.clear();
    if (results) {
      results.querySelectorAll('[data-bbox]').forEach((item) => {
        const bbox = parseExtent(item.dataset.bbox);
        if (bbox) found.addFeature(new Feature(fromExtent(transformExtent(bbox, 'EPSG:4326', 'EPSG:3857'))));
      });
    }
    const extent = results && parseExtent(results.dataset.searchExtent);
    show(extent, Boolean(extent) && el.dataset.drawn !== '1');
    delete el.dataset.drawn;
  };
  sync();
  document.addEventListener('htmx:afterSettle', sync);
}

// Ticking a facet or choosing a sort refreshes the results at once (without JS, the form's buttons do it).
function initSearchForm(form) {
  if (form.gpSearchForm) return;
  form.gpSearchForm = true;
  form.addEventListener('change', (event) => {
    if (event.target.matches('input[type=checkbox], select')) form.requestSubmit();
  });
}

export function initSearchMaps(root = document) {
  root.querySelectorAll('form[data-search-form]').forEach(initSearchForm);
  root.querySelectorAll('[data-search-map]').forEach((el) => {
    try {
      initSearchMap(el);
    } catch (err) {
      el.dataset.error = '1';
      console.error('search-map', err);
    }
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => initSearchMaps(document));
} else {
  initSearchMaps(document);
}
