// Tools: geodesic measure of distance and area, gazetteer search, locate me, filter a layer by attribute.
import Draw from 'ol/interaction/Draw.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import { circular } from 'ol/geom/Polygon.js';
import { getArea, getLength } from 'ol/sphere.js';
import { fromLonLat } from 'ol/proj.js';
import { Fill, Stroke, Style, Circle as CircleStyle } from 'ol/style.js';

import { h, formatNumber } from './dom.js';
import { localHref, splitKvp, wmsInfo } from './layers.js';

const SKETCH = new Style({
  stroke: new Stroke({ color: '#b3261e', width: 3, lineDash: [8, 6] }),
  fill: new Fill({ color: 'rgba(179, 38, 30, 0.12)' }),
  image: new CircleStyle({ radius: 5, fill: new Fill({ color: '#b3261e' }) }),
});

export function formatLength(metres) {
  return metres < 1000 ? `${formatNumber(metres, 1)} m` : `${formatNumber(metres / 1000, 3)} km`;
}

export function formatArea(squareMetres) {
  if (squareMetres < 10_000) return `${formatNumber(squareMetres, 1)} m²`;
  if (squareMetres < 1_000_000) return `${formatNumber(squareMetres / 10_000, 2)} ha`;
  return `${formatNumber(squareMetres / 1_000_000, 3)} km²`;
}

function initMeasure(viewer) {
  const { el, map, t } = viewer;
  const buttons = [...el.querySelectorAll('[data-gp-tool]')];
  const output = el.querySelector('[data-gp-measure-result]');
  if (!buttons.length) return;
  const layer = new VectorLayer({ source: new VectorSource(), style: SKETCH, zIndex: 10_001 });
  layer.setMap(map);
  let draw = null;

  function report(geometry, kind) {
    const projection = map.getView().getProjection();
    const text =
      kind === 'area'
        ? t('area', { value: formatArea(getArea(geometry, { projection })) })
        : t('distance', { value: formatLength(getLength(geometry, { projection })) });
    if (output) output.textContent = text;
    return text;
  }

  function stop() {
    if (draw) map.removeInteraction(draw);
    draw = null;
    viewer.activeTool = null;
    buttons.forEach((b) => b.setAttribute('aria-pressed', 'false'));
  }

  function start(kind) {
    stop();
    layer.getSource().clear();
    viewer.activeTool = kind;
    el.querySelector(`[data-gp-tool="${kind}"]`)?.setAttribute('aria-pressed', 'true');
    draw = new Draw({ source: layer.getSource(), type: kind === 'area' ? 'Polygon' : 'LineString', style: SKETCH });
    draw.on('drawstart', (event) => {
      layer.getSource().clear();
      event.feature.getGeometry().on('change', (e) => report(e.target, kind));
    });
    draw.on('drawend', (event) => {
      viewer.announce(report(event.feature.getGeometry(), kind));
    });
    map.addInteraction(draw);
    if (output) output.textContent = t('measureHelp');
  }

  buttons.forEach((button) =>
    button.addEventListener('click', () => {
      const kind = button.dataset.gpTool;
      if (viewer.activeTool === kind) {
        stop();
        layer.getSource().clear();
        if (output) output.textContent = '';
      } else {
        start(kind);
      }
    }),
  );
  el.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && draw) {
      draw.abortDrawing();
      stop();
    }
  });
}

// Results of /cartes/lieux/ (viewer/place_views.py): {label, kind, bbox: [w, s, e, n], center: [lon, lat]}.
function placeExtent(item) {
  if (Array.isArray(item.bbox) && item.bbox.length === 4 && item.bbox[0] < item.bbox[2]) return item.bbox.map(Number);
  if (Array.isArray(item.center) && item.center.length === 2) {
    const [x, y] = item.center.map(Number);
    return [x - 0.005, y - 0.005, x + 0.005, y + 0.005];
  }
  return null;
}

function initSearch(viewer) {
  const { el, t } = viewer;
  const form = el.querySelector('[data-gp-search]');
  const url = el.dataset.placesUrl;
  if (!form || !url) return;
  const input = form.querySelector('input[type=search]');
  const list = form.querySelector('[data-gp-search-results]');
  const status = el.querySelector('[data-gp-search-status]');
  let request = 0;

  function go(item) {
    const box = placeExtent(item);
    if (box) viewer.fitWgs84(box);
    list.replaceChildren();
    if (status) status.textContent = item.label;
    el.querySelector('[data-gp-map]')?.focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    const mine = ++request;
    if (status) status.textContent = t('searching');
    try {
      const response = await fetch(`${url}?${new URLSearchParams({ q })}`, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      const data = await response.json();
      if (!response.ok) throw new Error(data?.error?.message || t('searchFailed'));
      if (mine !== request) return;
      const items = (data.results || []).filter(placeExtent);
      list.replaceChildren(
        ...items.map((item) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'btn btn-link btn-sm text-start p-1', onclick: () => go(item) },
              item.label,
              item.kind ? h('span', { class: 'text-body-secondary ms-1' }, `(${item.kind})`) : null,
            ),
          ),
        ),
      );
      if (status) status.textContent = items.length ? t('places', { count: items.length }) : t('noPlace');
      if (items.length === 1) go(items[0]);
    } catch (error) {
      if (status) status.textContent = error.message || t('searchFailed');
    }
  });
}

function initLocate(viewer) {
  const { el, map, t } = viewer;
  const button = el.querySelector('[data-gp-locate]');
  if (!button) return;
  if (!('geolocation' in navigator)) {
    button.hidden = true;
    return;
  }
  const source = new VectorSource();
  const layer = new VectorLayer({ source, zIndex: 10_002 });
  layer.setMap(map);
  button.addEventListener('click', () => {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const { longitude, latitude, accuracy } = position.coords;
        const centre = fromLonLat([longitude, latitude]);
        const circle = circular([longitude, latitude], accuracy, 64).transform('EPSG:4326', 'EPSG:3857');
        source.clear();
        source.addFeatures([new Feature(circle), new Feature(new Point(centre))]);
        map.getView().fit(circle.getExtent(), { maxZoom: 17, padding: [40, 40, 40, 40] });
        viewer.announce(t('located', { accuracy: Math.round(accuracy) }));
      },
      () => viewer.announce(t('locateFailed')),
      { enableHighAccuracy: true, timeout: 15_000 },
    );
  });
}

// The attributes of one of our layers, from WFS DescribeFeatureType (geometry left out).
async function attributesOf(viewer, feature) {
  const info = wmsInfo(feature, viewer.siteUrl);
  const wfs = (feature.properties.offerings || []).find((o) => o.code.endsWith('/wfs'));
  const getFeature = wfs && (wfs.operations || []).find((op) => op.code === 'GetFeature');
  const base = getFeature ? splitKvp(getFeature.href, viewer.siteUrl) : null;
  const typeName = base?.params.TYPENAMES || (info ? `ms:${info.layers}` : null);
  const url = base?.url || info?.url;
  if (!typeName || !url) return [];
  const query = new URLSearchParams({ SERVICE: 'WFS', VERSION: '2.0.0', REQUEST: 'DescribeFeatureType', TYPENAMES: typeName });
  const response = await fetch(`${localHref(url, '')}?${query}`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(String(response.status));
  const xml = new DOMParser().parseFromString(await response.text(), 'application/xml');
  return [...xml.getElementsByTagNameNS('http://www.w3.org/2001/XMLSchema', 'element')]
    .filter((node) => node.getAttribute('name') && node.parentElement?.localName === 'sequence')
    .filter((node) => !/^gml:/.test(node.getAttribute('type') || ''))
    .map((node) => node.getAttribute('name'));
}

function initFilter(viewer) {
  const { el, t } = viewer;
  const panel = el.querySelector('[data-gp-filter]');
  if (!panel) return;
  const form = panel.querySelector('form');
  const title = panel.querySelector('[data-gp-filter-title]');
  const attribute = form.elements.attribute;
  const operator = form.elements.operator;
  const value = form.elements.value;
  const status = panel.querySelector('[data-gp-filter-status]');
  let target = null;

  viewer.openFilter = async (id) => {
    const feature = viewer.entry(id)?.feature;
    if (!feature) return;
    target = id;
    const layerTitle = feature.properties.title || id;
    title.textContent = t('filter', { title: layerTitle });
    panel.hidden = false;
    status.textContent = '';
    const current = feature.properties['gp:filter'] || {};
    attribute.replaceChildren();
    try {
      const names = await attributesOf(viewer, feature);
      attribute.replaceChildren(...names.map((name) => h('option', { value: name, selected: name === current.attribute }, name)));
      if (!names.length) status.textContent = t('filterAttributesFailed');
    } catch {
      status.textContent = t('filterAttributesFailed');
    }
    operator.value = current.operator || '=';
    value.value = current.value ?? '';
    attribute.focus();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!target || !attribute.value) return;
    const layerTitle = viewer.entry(target)?.feature.properties.title || '';
    viewer.updateResource(target, { filter: { attribute: attribute.value, operator: operator.value, value: value.value } });
    status.textContent = t('filterApplied', { title: layerTitle });
    viewer.announce(status.textContent);
  });
  panel.querySelector('[data-gp-filter-remove]')?.addEventListener('click', () => {
    if (!target) return;
    const layerTitle = viewer.entry(target)?.feature.properties.title || '';
    viewer.updateResource(target, { filter: null });
    status.textContent = t('filterRemoved', { title: layerTitle });
    viewer.announce(status.textContent);
  });
  panel.querySelector('[data-gp-filter-close]')?.addEventListener('click', () => {
    panel.hidden = true;
    const button = target && el.querySelector(`[data-gp-resource="${CSS.escape(target)}"] [data-gp-action="filter"]`);
    button?.focus();
  });
  viewer.on('load', () => {
    panel.hidden = true;
  });
}

export function initTools(viewer) {
  initMeasure(viewer);
  initSearch(viewer);
  initLocate(viewer);
  initFilter(viewer);
}
