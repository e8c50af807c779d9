// OpenLayers layers from OWS Context resources (OGC 14-055r2 GeoJSON) and from the platform's base maps.
import ImageLayer from 'ol/layer/Image.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import TileWMS from 'ol/source/TileWMS.js';
import XYZ from 'ol/source/XYZ.js';
import WMTS, { optionsFromCapabilities } from 'ol/source/WMTS.js';
import WMTSCapabilities from 'ol/format/WMTSCapabilities.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { bbox as bboxStrategy } from 'ol/loadingstrategy.js';

export const OFFERING = 'http://www.opengis.net/spec/owc-geojson/1.0/req/';
const KVP_DROPPED = new Set(['SERVICE', 'REQUEST', 'BBOX', 'WIDTH', 'HEIGHT', 'CRS', 'SRS', 'I', 'J', 'X', 'Y']);

// Addresses written with the platform's public address (SITE_URL) are read from this page's origin, so that the
// visitor's session goes with them whatever name the server is reached by.
export function localHref(href, siteUrl) {
  if (siteUrl && href.startsWith(siteUrl)) return new URL(href.slice(siteUrl.length) || '/', window.location.href);
  return new URL(href, window.location.href);
}

export function offering(feature, kind) {
  return (feature.properties.offerings || []).find((o) => o.code === OFFERING + kind);
}

export function operation(off, code) {
  return off && (off.operations || []).find((op) => op.code === code);
}

// {url, params} of a KVP request: the base address and its parameters with upper-case names.
export function splitKvp(href, siteUrl) {
  const url = localHref(href, siteUrl);
  const params = {};
  for (const [name, value] of url.searchParams) params[name.toUpperCase()] = value;
  url.search = '';
  return { url: url.toString(), params };
}

export function wmsInfo(feature, siteUrl) {
  const getMap = operation(offering(feature, 'wms'), 'GetMap');
  if (!getMap) return null;
  const { url, params } = splitKvp(getMap.href, siteUrl);
  return { url, layers: params.LAYERS || '', params };
}

// The OGC filter (Filter Encoding 1.1, as MapServer reads it in WMS FILTER and WFS FILTER) for `gp:filter`.
const OPERATORS = {
  '=': 'PropertyIsEqualTo',
  '!=': 'PropertyIsNotEqualTo',
  '<': 'PropertyIsLessThan',
  '>': 'PropertyIsGreaterThan',
  '<=': 'PropertyIsLessThanOrEqualTo',
  '>=': 'PropertyIsGreaterThanOrEqualTo',
  like: 'PropertyIsLike',
};

function xmlText(value) {
  return String(value).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function ogcFilter(filter) {
  if (!filter || !filter.attribute || !OPERATORS[filter.operator]) return null;
  const name = `<PropertyName>${xmlText(filter.attribute)}</PropertyName>`;
  if (filter.operator === 'like') {
    const literal = `<Literal>*${xmlText(filter.value)}*</Literal>`;
    return (
      '<Filter><PropertyIsLike wildCard="*" singleChar="." escapeChar="!" matchCase="false">' +
      `${name}${literal}</PropertyIsLike></Filter>`
    );
  }
  const op = OPERATORS[filter.operator];
  return `<Filter><${op}>${name}<Literal>${xmlText(filter.value)}</Literal></${op}></Filter>`;
}

export function wmsParams(feature, info) {
  const params = { ...info.params };
  for (const name of KVP_DROPPED) delete params[name];
  params.VERSION = params.VERSION || '1.3.0';
  params.FORMAT = params.FORMAT || 'image/png';
  params.TRANSPARENT = params.TRANSPARENT || 'TRUE';
  const filter = ogcFilter(feature.properties['gp:filter']);
  if (filter) params.FILTER = `(${filter})`;
  else delete params.FILTER;
  return params;
}

function wfsLayer(feature, siteUrl) {
  const getFeature = operation(offering(feature, 'wfs'), 'GetFeature');
  const { url, params } = splitKvp(getFeature.href, siteUrl);
  const format = new GeoJSON();
  const source = new VectorSource({
    format,
    strategy: bboxStrategy,
    url: (extent, resolution, projection) => {
      const query = new URLSearchParams({
        ...params,
        SERVICE: 'WFS',
        REQUEST: 'GetFeature',
        VERSION: params.VERSION || '2.0.0',
        OUTPUTFORMAT: params.OUTPUTFORMAT || 'geojson',
        SRSNAME: projection.getCode(),
      });
      const filter = ogcFilter(feature.properties['gp:filter']);
      if (filter) query.set('FILTER', filter);
      else query.set('BBOX', `${extent.join(',')},${projection.getCode()}`);
      return `${url}?${query}`;
    },
  });
  const layer = new VectorLayer({ source });
  layer.set('gpFilter', JSON.stringify(feature.properties['gp:filter'] || null));
  return layer;
}

function wmtsLayer(feature, siteUrl) {
  const off = offering(feature, 'wmts');
  const capabilities = operation(off, 'GetCapabilities');
  const getTile = operation(off, 'GetTile');
  const layer = new TileLayer();
  const tileParams = getTile ? splitKvp(getTile.href, siteUrl).params : {};
  if (!capabilities) {
    layer.set('gpError', true);
    return layer;
  }
  fetch(localHref(capabilities.href, siteUrl), { credentials: 'same-origin' })
    .then((response) => (response.ok ? response.text() : Promise.reject(new Error(String(response.status)))))
    .then((text) => {
      const parsed = new WMTSCapabilities().read(text);
      const name = tileParams.LAYER || parsed.Contents.Layer[0].Identifier;
      // The tile matrix set in the view's projection (Web Mercator) when the service offers several.
      const options = optionsFromCapabilities(parsed, { layer: name, projection: 'EPSG:3857' });
      if (!options) throw new Error(`unknown layer ${name}`);
      layer.setSource(new WMTS({ ...options, crossOrigin: 'anonymous' }));
    })
    .catch(() => {
      layer.set('gpError', true);
      layer.changed();
    });
  return layer;
}

// The OpenLayers layer of one context resource (WMS first, then WMTS, then WFS), or null if it has no offering
// the viewer can draw.
export function resourceLayer(feature, siteUrl) {
  const info = wmsInfo(feature, siteUrl);
  let layer = null;
  if (info) {
    const source = new ImageWMS({
      url: info.url,
      params: wmsParams(feature, info),
      ratio: 1,
      serverType: 'mapserver',
    });
    layer = new ImageLayer({ source });
    layer.set('gpSiteUrl', siteUrl);
    source.on('imageloaderror', () => layer.set('gpError', true));
    source.on('imageloadend', () => layer.set('gpError', false));
  } else if (operation(offering(feature, 'wmts'), 'GetCapabilities')) {
    layer = wmtsLayer(feature, siteUrl);
  } else if (operation(offering(feature, 'wfs'), 'GetFeature')) {
    layer = wfsLayer(feature, siteUrl);
  }
  if (layer) {
    if (layer.get('gpError') === undefined) layer.set('gpError', false, true); // events only for a real change
    applyProperties(layer, feature);
  }
  return layer;
}

// The GetFeatureInfo address of one resource, whatever image its layer draws (it may draw several, see merge()).
export function featureInfoUrl(feature, siteUrl, coordinate, resolution, params) {
  const info = wmsInfo(feature, siteUrl);
  if (!info) return null;
  const source = new ImageWMS({ url: info.url, params: wmsParams(feature, info), serverType: 'mapserver' });
  return source.getFeatureInfoUrl(coordinate, resolution, 'EPSG:3857', params);
}

// Adjacent visible WMS layers of the same service, opaque and unfiltered, are drawn by one GetMap (LAYERS=a,b,c):
// one MapServer request and one image instead of one per layer. The first layer of such a run draws the image,
// the others draw nothing; any change that breaks the run gives each layer its own image again.
export function merge(entries, siteUrl) {
  const key = ({ feature, layer }) => {
    const props = feature.properties;
    if (!layer || !(layer.getSource() instanceof ImageWMS) || props['gp:filter']) return null;
    if (props.minscaledenominator || props.maxscaledenominator) return null;
    const opacity = Number(props['gp:opacity'] ?? 1);
    if (opacity !== 1) return null;
    const info = wmsInfo(feature, siteUrl);
    const params = wmsParams(feature, info);
    return `${info.url}|${params.VERSION}|${params.FORMAT}|${params.TRANSPARENT}`;
  };
  const runs = [];
  let run = null;
  for (const entry of entries) {
    if (entry.feature.properties.active === false) continue; // draws nothing: the layers around it stay adjacent
    const k = key(entry);
    if (k && run && run.key === k) run.entries.push(entry);
    else runs.push((run = { key: k, entries: [entry] }));
    if (!k) run = null;
  }
  const drawn = new Set();
  for (const { key: k, entries: members } of runs) {
    const [leader] = members;
    const source = leader.layer && leader.layer.getSource();
    if (source instanceof ImageWMS) {
      // WMS draws the first of LAYERS at the bottom: the tree's last layer.
      const own = members.map(({ feature }) => wmsParams(feature, wmsInfo(feature, siteUrl))).reverse();
      const params = { ...own[own.length - 1] };
      if (k && members.length > 1) {
        params.LAYERS = own.map((p) => p.LAYERS).join(',');
        params.STYLES = own.map((p) => p.STYLES || '').join(',');
      }
      if (!('FILTER' in params)) params.FILTER = undefined;
      const current = source.getParams();
      if (Object.keys(params).some((name) => current[name] !== params[name])) source.updateParams(params);
    }
    drawn.add(leader);
  }
  for (const entry of entries) {
    if (!entry.layer) continue;
    entry.layer.setVisible(drawn.has(entry));
  }
}

export function applyProperties(layer, feature) {
  const props = feature.properties;
  layer.setVisible(props.active !== false);
  const opacity = Number(props['gp:opacity']);
  layer.setOpacity(Number.isFinite(opacity) ? Math.min(1, Math.max(0, opacity)) : 1);
  const source = layer.getSource();
  if (source instanceof ImageWMS) {
    const info = wmsInfo(feature, layer.get('gpSiteUrl'));
    const params = info ? wmsParams(feature, info) : {};
    if (!('FILTER' in params)) params.FILTER = undefined;
    const current = source.getParams();
    if (Object.keys(params).some((name) => current[name] !== params[name])) source.updateParams(params);
  } else if (source instanceof VectorSource && layer.get('gpFilter') !== JSON.stringify(props['gp:filter'] || null)) {
    layer.set('gpFilter', JSON.stringify(props['gp:filter'] || null));
    source.refresh();
  }
  const minScale = Number(props.minscaledenominator);
  const maxScale = Number(props.maxscaledenominator);
  // Scale denominator = resolution (m/px) / 0.28 mm; OpenLayers limits by resolution.
  if (Number.isFinite(minScale) && minScale > 0) layer.setMinResolution(minScale * 0.00028);
  if (Number.isFinite(maxScale) && maxScale > 0) layer.setMaxResolution(maxScale * 0.00028);
}

// Base maps: administrators' list (PlatformSettings.base_maps: {name, type wms|wmts|xyz, url, layers}), the local
// one drawn from the communes reference layer through our WMS, and none.
export function baseMapLayer(base) {
  if (!base) return null;
  let layer;
  if (base.type === 'xyz') {
    layer = new TileLayer({ source: new XYZ({ url: base.url, crossOrigin: 'anonymous' }) });
  } else if (base.type === 'wms' && base.local) {
    // Our own layer: one image per view (as every other layer of the map), drawn by MapServer.
    layer = new ImageLayer({
      source: new ImageWMS({
        url: base.url,
        params: { LAYERS: base.layers, FORMAT: 'image/png', TRANSPARENT: 'TRUE', VERSION: '1.3.0' },
        ratio: 1,
        serverType: 'mapserver',
      }),
    });
  } else if (base.type === 'wms') {
    const params = { LAYERS: base.layers, FORMAT: 'image/png', TRANSPARENT: 'FALSE', VERSION: '1.3.0' };
    layer = new TileLayer({ source: new TileWMS({ url: base.url, params, crossOrigin: 'anonymous' }) });
  } else if (base.type === 'wmts') {
    layer = wmtsLayer(
      {
        properties: {
          offerings: [
            {
              code: `${OFFERING}wmts`,
              operations: [
                {
                  code: 'GetCapabilities',
                  href: `${base.url}${base.url.includes('?') ? '&' : '?'}SERVICE=WMTS&REQUEST=GetCapabilities`,
                },
                { code: 'GetTile', href: `${base.url}?LAYER=${encodeURIComponent(base.layers || '')}` },
              ],
            },
          ],
        },
      },
      '',
    );
  } else {
    return null;
  }
  layer.setZIndex(-1);
  layer.set('gpBaseMap', base.id);
  return layer;
}
