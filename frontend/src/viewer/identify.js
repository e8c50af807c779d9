// Identify: a click on the map (or Enter on the focused map: its centre) asks every visible queryable WMS layer
// for the features there (GetFeatureInfo, application/json), pages through them, and highlights the one shown.
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import { Fill, Stroke, Style, Circle as CircleStyle } from 'ol/style.js';
import { buffer as bufferExtent } from 'ol/extent.js';

import { h, LOCALE } from './dom.js';
import { featureInfoUrl, offering, operation, splitKvp, wmsInfo } from './layers.js';

const HIGHLIGHT = new Style({
  stroke: new Stroke({ color: '#ffd43b', width: 5 }),
  fill: new Fill({ color: 'rgba(255, 212, 59, 0.25)' }),
  image: new CircleStyle({ radius: 8, stroke: new Stroke({ color: '#ffd43b', width: 4 }) }),
});
const OUTLINE = new Style({
  stroke: new Stroke({ color: '#1b1b1b', width: 2 }),
  image: new CircleStyle({ radius: 8, stroke: new Stroke({ color: '#1b1b1b', width: 1.5 }) }),
});

function display(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value.toLocaleString(LOCALE);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function initIdentify(viewer) {
  const { el, map, t } = viewer;
  const panel = el.querySelector('[data-gp-results]');
  const body = panel && panel.querySelector('[data-gp-results-body]');
  if (!panel || !body) return;
  const format = new GeoJSON();
  const overlay = new VectorLayer({
    source: new VectorSource(),
    style: [OUTLINE, HIGHLIGHT],
    zIndex: 10_000,
  });
  overlay.setMap(map);
  let results = [];
  let current = 0;
  let request = 0;

  function close() {
    panel.hidden = true;
    overlay.getSource().clear();
    results = [];
  }
  panel.querySelector('[data-gp-results-close]')?.addEventListener('click', () => {
    close();
    el.querySelector('[data-gp-map]')?.focus();
  });

  async function geometryOf(result) {
    if (result.feature.getGeometry() || !result.typeName || !result.wfsUrl) return result.feature.getGeometry();
    // The answer had no geometry: ask WFS for the feature by its id, else for those near the click.
    const query = new URLSearchParams({
      SERVICE: 'WFS',
      VERSION: '2.0.0',
      REQUEST: 'GetFeature',
      TYPENAMES: result.typeName,
      OUTPUTFORMAT: 'geojson',
      SRSNAME: 'EPSG:3857',
      COUNT: '1',
    });
    const id = result.feature.getId();
    if (id !== undefined) query.set('FEATUREID', String(id).includes('.') ? id : `${result.typeName.replace(/^ms:/, '')}.${id}`);
    else query.set('BBOX', `${result.around.join(',')},EPSG:3857`);
    try {
      const response = await fetch(`${result.wfsUrl}?${query}`, { credentials: 'same-origin' });
      const found = format.readFeatures(await response.json());
      return found[0]?.getGeometry() || null;
    } catch {
      return null;
    }
  }

  async function show(index) {
    current = index;
    const result = results[index];
    const properties = result.feature.getProperties();
    delete properties[result.feature.getGeometryName()];
    const heading = t('resultOf', { index: index + 1, count: results.length, title: result.title });
    const rows = Object.entries(properties).map(([name, value]) =>
      h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, display(value))),
    );
    const pager =
      results.length > 1
        ? h(
            'div',
            { class: 'd-flex gap-2 align-items-center mb-2', 'data-gp-pager': true },
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-sm btn-outline-secondary',
                disabled: index === 0,
                onclick: () => show(index - 1).then(() => panel.querySelector('[data-gp-prev]:not(:disabled), [data-gp-next]')?.focus()),
                'data-gp-prev': true,
              },
              t('previous'),
            ),
            h('span', { 'data-gp-page': true }, `${index + 1} / ${results.length}`),
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-sm btn-outline-secondary',
                disabled: index === results.length - 1,
                onclick: () => show(index + 1).then(() => panel.querySelector('[data-gp-next]:not(:disabled), [data-gp-prev]')?.focus()),
                'data-gp-next': true,
              },
              t('next'),
            ),
          )
        : null;
    body.replaceChildren(
      pager || '',
      h('h3', { class: 'h6', 'data-gp-result-title': true }, heading),
      h(
        'table',
        { class: 'table table-sm table-striped small gp-result-table' },
        h('caption', { class: 'visually-hidden' }, heading),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('attribute')), h('th', { scope: 'col' }, t('value')))),
        h('tbody', {}, rows),
      ),
    );
    overlay.getSource().clear();
    const geometry = await geometryOf(result);
    if (geometry && current === index) {
      result.feature.setGeometry(geometry);
      overlay.getSource().addFeature(result.feature.clone());
    }
  }

  async function identify(coordinate) {
    const view = map.getView();
    const resolution = view.getResolution();
    const mine = ++request;
    const queries = viewer
      .resources()
      .map((feature) => ({ feature, entry: viewer.entry(feature.id) }))
      .filter(
        ({ feature, entry }) =>
          entry.layer &&
          feature.properties.active !== false &&
          feature.properties['gp:queryable'] !== false &&
          entry.layer.getSource() instanceof ImageWMS,
      )
      .map(async ({ feature }) => {
        const url = featureInfoUrl(feature, viewer.siteUrl, coordinate, resolution, {
          INFO_FORMAT: 'application/json',
          FEATURE_COUNT: 20,
        });
        const title = feature.properties.title || feature.id;
        try {
          const response = await fetch(url, { credentials: 'same-origin' });
          if (!response.ok) throw new Error(String(response.status));
          const features = format.readFeatures(await response.json(), {
            dataProjection: 'EPSG:3857',
            featureProjection: 'EPSG:3857',
          });
          const getFeature = operation(offering(feature, 'wfs'), 'GetFeature');
          const wfs = getFeature ? splitKvp(getFeature.href, viewer.siteUrl) : null;
          const layerName = wmsInfo(feature, viewer.siteUrl)?.layers;
          const typeName = wfs?.params.TYPENAMES || wfs?.params.TYPENAME || (layerName ? `ms:${layerName}` : null);
          const around = bufferExtent([...coordinate, ...coordinate], resolution * 3);
          return features.map((f) => ({ feature: f, title, typeName, wfsUrl: wfs?.url || wmsInfo(feature, viewer.siteUrl)?.url, around }));
        } catch {
          viewer.announce(t('identifyFailed', { title }));
          return [];
        }
      });
    const found = (await Promise.all(queries)).flat();
    if (mine !== request) return;
    results = found;
    panel.hidden = false;
    el.dataset.identified = String(found.length);
    if (!found.length) {
      overlay.getSource().clear();
      body.replaceChildren(h('p', { class: 'mb-0' }, t('noResult')));
      viewer.announce(t('noResult'));
      return;
    }
    viewer.announce(t('results', { count: found.length }));
    await show(0);
  }

  viewer.identify = identify;
  viewer.highlighted = () => overlay.getSource().getFeatures();
  map.on('singleclick', (event) => {
    if (!viewer.activeTool) identify(event.coordinate);
  });
  const mapEl = el.querySelector('[data-gp-map]');
  mapEl?.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target === mapEl && !viewer.activeTool) {
      identify(map.getView().getCenter());
    }
  });
  viewer.on('load', close);
}
