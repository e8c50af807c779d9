// The map viewer: an OpenLayers map driven by an OWS Context (OGC 14-055r2 GeoJSON), in the platform's chrome.
//
// <div data-gp-viewer
//      data-context="{…OWS Context…}" or data-context-url="/cartes/<id>/contexte.json"
//      data-site-url="https://…"                SITE_URL: our own addresses in the context are read from this origin
//      data-base-maps="[{name,type,url,layers}]" PlatformSettings.base_maps
//      data-local-base="{url,layers}"           the communes reference layer through our WMS ("Fond local")
//      data-default-basemap="local"  data-default-extent="[w,s,e,n]"  data-messages="{…translated texts…}"
//      data-lambert93-src (proj4's bundle, loaded after the first render for the Lambert-93 pointer coordinates)
//      data-places-url, data-print-url, data-map-url, data-embed-url, data-csrf-token (tools.js, share.js)>
//   [data-gp-map] (the map), [data-gp-tree] (layer tree), [data-gp-basemap] (select), [data-gp-coords-l93],
//   [data-gp-coords-wgs84], [data-gp-live] (status read by screen readers), tool and panel elements.
// </div>
//
// initViewer(el) returns the viewer object (also el.gpViewer): map, getContext(), loadContext(doc),
// addResource(feature), removeResource(id), updateResource(id, changes), resources(), on(event, callback) with
// events 'change' ({type}), 'load', 'ready'; el.dataset.ready = "1" once every visible layer has rendered once.
// The tools add identify(coordinate), highlighted() (identify.js), openFilter(id) (tools.js).
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import FullScreen from 'ol/control/FullScreen.js';
import MousePosition from 'ol/control/MousePosition.js';
import { defaults as defaultControls } from 'ol/control/defaults.js';
import Projection from 'ol/proj/Projection.js';
import {
  addCoordinateTransforms,
  addProjection,
  fromLonLat,
  get as getProjection,
  toLonLat,
  transformExtent,
} from 'ol/proj.js';

import { messages, formatNumber } from './dom.js';
import { applyProperties, baseMapLayer, localHref, merge, resourceLayer, splitKvp, offering, operation } from './layers.js';
import { initTree } from './tree.js';
import { initIdentify } from './identify.js';
import { initTools } from './tools.js';
import { initShare } from './share.js';

// Lambert-93 for the pointer coordinates: proj4 (loaded after the first render, see lambert93.js) does the maths;
// OpenLayers is given only the transforms needed (ol/proj/proj4's register() builds every pair of proj4's
// projections: half a second on a busy phone).
function registerLambert93(converter) {
  if (getProjection('EPSG:2154')) return;
  addProjection(new Projection({ code: 'EPSG:2154', units: 'm', extent: [-378305.81, 6093283.21, 1212610.74, 7186901.68] }));
  addCoordinateTransforms('EPSG:4326', 'EPSG:2154', (c) => converter.forward(c), (c) => converter.inverse(c));
  addCoordinateTransforms(
    'EPSG:3857',
    'EPSG:2154',
    (c) => converter.forward(toLonLat(c)),
    (c) => fromLonLat(converter.inverse(c)),
  );
}

function withLambert93(src, callback) {
  if (window.gpLambert93) {
    callback(window.gpLambert93);
    return;
  }
  window.addEventListener('gp:lambert93', () => callback(window.gpLambert93), { once: true });
  if (src && !document.querySelector('script[data-gp-lambert93]')) {
    const script = document.createElement('script');
    script.src = src;
    script.dataset.gpLambert93 = '';
    document.head.append(script);
  }
}

const FRANCE = [-5.5, 41.2, 9.8, 51.2];

function parseJson(value, fallback) {
  if (!value) return fallback;
  try {
    return JSON.parse(value);
  } catch {
    return fallback;
  }
}

const clone = (value) => JSON.parse(JSON.stringify(value));

function validExtent(box) {
  return Array.isArray(box) && box.length === 4 && box.every(Number.isFinite) && box[0] < box[2] && box[1] < box[3];
}

// The STYLES of a WMS GetMap address, and the offering's default style, set to `style`.
function withStyle(feature, style) {
  const wms = offering(feature, 'wms');
  const getMap = operation(wms, 'GetMap');
  if (!getMap) return;
  const url = new URL(getMap.href, window.location.href);
  const names = [...url.searchParams.keys()];
  const key = names.find((n) => n.toUpperCase() === 'STYLES') || 'STYLES';
  url.searchParams.set(key, style || '');
  getMap.href = getMap.href.startsWith('http') ? url.toString() : url.pathname + url.search;
  const styles = wms.styles || [];
  if (style && !styles.some((s) => s.name === style)) styles.push({ name: style, title: style });
  styles.forEach((s) => {
    s.default = s.name === style;
  });
  wms.styles = styles;
}

// The full screen button's label: the system fonts lack OpenLayers' arrows.
function frameIcon(active = false) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', active ? 'M5 1v4H1M11 1v4h4M15 11h-4v4M1 11h4v4' : 'M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  svg.append(path);
  return svg;
}

export function initViewer(el) {
  if (el.gpViewer) return el.gpViewer;
  performance.mark('gp-viewer-start'); // the benchmark reads where the time goes (tests/bench)
  const t = messages(el);
  const siteUrl = el.dataset.siteUrl || '';
  const mapEl = el.querySelector('[data-gp-map]') || el;
  const live = el.querySelector('[data-gp-live]');
  const listeners = {};
  let doc = { type: 'FeatureCollection', properties: {}, features: [] };
  let entries = [];
  let baseLayer = null;
  let baseMapId = 'none';
  let waitingReady = false;

  const baseMaps = parseJson(el.dataset.baseMaps, [])
    .filter((b) => b && b.name && b.url)
    .map((b) => ({ ...b, id: b.name }));
  const localBase = parseJson(el.dataset.localBase, null);
  if (localBase && localBase.url && localBase.layers) {
    baseMaps.unshift({ id: 'local', name: t('basemapLocal'), type: 'wms', local: true, ...localBase });
  }
  const defaultExtent = parseJson(el.dataset.defaultExtent, null);

  const controls = defaultControls({
    zoomOptions: { zoomInTipLabel: t('zoomIn'), zoomOutTipLabel: t('zoomOut') },
    rotate: false,
    attributionOptions: { tipLabel: t('attributions') },
  }).extend([
    new ScaleLine({ units: 'metric' }),
    new FullScreen({ source: el, tipLabel: t('fullscreen'), label: frameIcon(), labelActive: frameIcon(true) }),
  ]);
  const pointer = (selector, projection, format) => {
    const target = el.querySelector(selector);
    return target && new MousePosition({ target, projection, coordinateFormat: format, placeholder: '–', className: 'gp-mouse-position' });
  };
  const wgs84 = pointer('[data-gp-coords-wgs84]', 'EPSG:4326', (c) => `${formatNumber(c[1], 5)}° N ; ${formatNumber(c[0], 5)}° E`);
  if (wgs84) controls.push(wgs84);

  const map = new Map({
    target: mapEl,
    controls,
    view: new View({ projection: 'EPSG:3857', center: [0, 0], zoom: 2, maxZoom: 21 }),
  });

  const viewer = {
    el,
    map,
    t,
    siteUrl,
    activeTool: null,
    on(name, callback) {
      (listeners[name] = listeners[name] || []).push(callback);
      return viewer;
    },
    emit(name, detail = {}) {
      (listeners[name] || []).forEach((callback) => callback(detail));
    },
    announce(text) {
      if (!live) return;
      live.textContent = '';
      window.setTimeout(() => {
        live.textContent = text;
      }, 50);
    },
    resources: () => entries.map((e) => e.feature),
    entry: (id) => entries.find((e) => e.feature.id === id),
    index: (id) => entries.findIndex((e) => e.feature.id === id),
    baseMaps: () => baseMaps,
    baseMapId: () => baseMapId,

    getContext() {
      const context = clone(doc);
      const size = map.getSize();
      if (size && size[0] > 0) {
        const box = transformExtent(map.getView().calculateExtent(size), 'EPSG:3857', 'EPSG:4326');
        context.bbox = box.map((v) => Math.round(v * 1e6) / 1e6);
      }
      context.properties = { ...context.properties, 'gp:basemap': baseMapId };
      context.features = entries.map((e) => clone(e.feature));
      return context;
    },

    loadContext(newDoc) {
      entries.forEach((e) => e.layer && map.removeLayer(e.layer));
      doc = clone(newDoc || {});
      doc.type = 'FeatureCollection';
      doc.properties = doc.properties || {};
      entries = (doc.features || []).map((feature) => makeEntry(feature));
      delete doc.features;
      entries.forEach((e) => e.layer && map.addLayer(e.layer));
      restack();
      const wanted = doc.properties['gp:basemap'] ?? el.dataset.defaultBasemap ?? 'local';
      viewer.setBaseMap(baseMaps.some((b) => b.id === wanted) ? wanted : baseMaps[0]?.id || 'none', { silent: true });
      const box = validExtent(newDoc?.bbox) ? newDoc.bbox : validExtent(defaultExtent) ? defaultExtent : FRANCE;
      viewer.fitWgs84(box);
      delete el.dataset.ready;
      waitingReady = true;
      map.render();
      viewer.emit('load');
      viewer.emit('change', { type: 'load' });
      performance.mark('gp-viewer-loaded');
    },

    addResource(feature) {
      const entry = makeEntry(clone(feature));
      if (entries.some((e) => e.feature.id === entry.feature.id)) throw new Error(`duplicate resource ${feature.id}`);
      entries.unshift(entry);
      if (entry.layer) map.addLayer(entry.layer);
      restack();
      viewer.emit('change', { type: 'add', id: entry.feature.id });
      return entry.feature;
    },

    removeResource(id) {
      const entry = viewer.entry(id);
      if (!entry) return;
      if (entry.layer) map.removeLayer(entry.layer);
      entries = entries.filter((e) => e !== entry);
      restack();
      viewer.emit('change', { type: 'remove', id });
    },

    // changes: OWC properties (title, folder, active, gp:opacity, gp:filter, abstract…) or the shortcuts
    // style, opacity, filter, visible; offerings or bbox replace the resource's.
    updateResource(id, changes) {
      const entry = viewer.entry(id);
      if (!entry) return;
      const props = entry.feature.properties;
      let rebuild = false;
      for (const [name, value] of Object.entries(changes || {})) {
        if (name === 'style') withStyle(entry.feature, value);
        else if (name === 'opacity') props['gp:opacity'] = value;
        else if (name === 'visible') props.active = Boolean(value);
        else if (name === 'filter') {
          if (value) props['gp:filter'] = value;
          else delete props['gp:filter'];
        } else if (name === 'bbox') entry.feature.bbox = value;
        else if (name === 'offerings') {
          props.offerings = value;
          rebuild = true;
        } else if (name === 'folder' && !value) delete props.folder;
        else if (value === null || value === undefined) delete props[name];
        else props[name] = value;
      }
      if (rebuild || !entry.layer) {
        if (entry.layer) map.removeLayer(entry.layer);
        entry.layer = resourceLayer(entry.feature, siteUrl);
        if (entry.layer) map.addLayer(entry.layer);
        restack();
      } else {
        applyProperties(entry.layer, entry.feature);
        restack();
      }
      viewer.emit('change', { type: 'update', id });
    },

    setVisible(id, visible) {
      const entry = viewer.entry(id);
      if (!entry) return;
      entry.feature.properties.active = Boolean(visible);
      restack();
      viewer.emit('change', { type: 'visibility', id });
    },

    setOpacity(id, opacity) {
      const entry = viewer.entry(id);
      if (!entry) return;
      const value = Math.min(1, Math.max(0, Number(opacity)));
      entry.feature.properties['gp:opacity'] = value;
      if (entry.layer) entry.layer.setOpacity(value);
      restack();
      viewer.emit('change', { type: 'opacity', id });
    },

    // Moves a resource `delta` places down the tree (-1: up, drawn above the one before it).
    move(id, delta) {
      const from = viewer.index(id);
      const to = from + delta;
      if (from < 0 || to < 0 || to >= entries.length) return false;
      const [entry] = entries.splice(from, 1);
      entries.splice(to, 0, entry);
      restack();
      viewer.emit('change', { type: 'order', id });
      viewer.announce(t('moved', { title: entry.feature.properties.title, position: to + 1, count: entries.length }));
      return true;
    },

    setBaseMap(id, { silent = false } = {}) {
      if (baseLayer) map.removeLayer(baseLayer);
      baseLayer = null;
      const base = baseMaps.find((b) => b.id === id);
      baseMapId = base ? base.id : 'none';
      if (base) {
        const local = base.local ? { ...base, url: localHref(base.url, siteUrl).toString() } : base;
        baseLayer = baseMapLayer(local);
        if (baseLayer) map.addLayer(baseLayer);
      }
      if (!silent) viewer.emit('change', { type: 'basemap' });
    },

    fitWgs84(box) {
      const target = transformExtent(box, 'EPSG:4326', 'EPSG:3857');
      const fit = () => map.getView().fit(target, { padding: [16, 16, 16, 16], maxZoom: 18 });
      const size = map.getSize();
      if (size && size[0] > 0 && size[1] > 0) fit();
      else map.once('change:size', fit);
    },

    // The WGS84 extent of a resource: its bbox in the context, else the WMS capabilities of its service.
    async resourceExtent(id) {
      const entry = viewer.entry(id);
      if (!entry) return null;
      if (validExtent(entry.feature.bbox)) return entry.feature.bbox;
      const capabilities = operation(offering(entry.feature, 'wms'), 'GetCapabilities');
      const getMap = operation(offering(entry.feature, 'wms'), 'GetMap');
      if (!capabilities || !getMap) return null;
      const name = splitKvp(getMap.href, siteUrl).params.LAYERS;
      const { default: WMSCapabilities } = await import('ol/format/WMSCapabilities.js');
      try {
        const response = await fetch(localHref(capabilities.href, siteUrl), { credentials: 'same-origin' });
        const parsed = new WMSCapabilities().read(await response.text());
        const stack = [parsed.Capability.Layer];
        while (stack.length) {
          const layer = stack.pop();
          if (layer.Name === name && validExtent(layer.EX_GeographicBoundingBox)) return layer.EX_GeographicBoundingBox;
          stack.push(...(layer.Layer || []));
        }
      } catch {
        return null;
      }
      return null;
    },

    async zoomToResource(id) {
      const box = await viewer.resourceExtent(id);
      const entry = viewer.entry(id);
      if (box) viewer.fitWgs84(box);
      else if (entry) viewer.announce(t('noExtent', { title: entry.feature.properties.title }));
      return Boolean(box);
    },
  };

  function makeEntry(feature) {
    feature.properties = feature.properties || {};
    feature.id = feature.id || `urn:uuid:${crypto.randomUUID ? crypto.randomUUID() : Date.now()}`;
    const layer = resourceLayer(feature, siteUrl);
    if (layer) {
      layer.set('gpResource', feature.id);
      layer.on('change:gpError', () => viewer.emit('layererror', { id: feature.id }));
    }
    return { feature, layer };
  }

  function restack() {
    entries.forEach((entry, i) => entry.layer && entry.layer.setZIndex(entries.length - i));
    merge(entries, siteUrl);
  }

  map.on('rendercomplete', () => {
    const size = map.getSize();
    if (!waitingReady || !size || size[0] === 0) return;
    waitingReady = false;
    el.dataset.readyMs = String(Math.round(performance.now())); // since navigation start: the benchmark reads it
    el.dataset.ready = '1';
    if (entries.some((e) => e.layer && e.layer.getVisible() && e.layer.get('gpError'))) el.dataset.error = '1';
    else delete el.dataset.error;
    viewer.emit('ready');
  });

  viewer.on('ready', () => {
    if (!el.querySelector('[data-gp-coords-l93]') || viewer.lambert93) return;
    viewer.lambert93 = true;
    withLambert93(el.dataset.lambert93Src, (converter) => {
      registerLambert93(converter);
      map.addControl(pointer('[data-gp-coords-l93]', 'EPSG:2154', (c) => `${formatNumber(c[0])} ; ${formatNumber(c[1])}`));
    });
  });

  el.gpViewer = viewer;
  initTree(viewer);
  initIdentify(viewer);
  initTools(viewer);
  initShare(viewer);

  const inline = parseJson(el.dataset.context, null);
  if (inline) {
    viewer.loadContext(inline);
  } else if (el.dataset.contextUrl) {
    fetch(el.dataset.contextUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((context) => viewer.loadContext(context))
      .catch(() => {
        el.dataset.error = '1';
        viewer.loadContext({ features: [] });
      });
  } else {
    viewer.loadContext({ features: [] });
  }
  return viewer;
}
