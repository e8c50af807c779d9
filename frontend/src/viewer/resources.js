// OWS Context resources (OGC 14-055r2 GeoJSON features) the composer adds to a map: our own datasets, offered by
// the global OGC service (WMS layer ds<id>, WFS type ms:ds<id>), and layers of external WMS, WMTS and WFS services.
// What they hold mirrors viewer/owscontext.py's dataset_resource(), so that a layer added here and one written by
// the server are alike.
export const OFFERING = 'http://www.opengis.net/spec/owc-geojson/1.0/req/';

export function newResourceId() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') return `urn:uuid:${window.crypto.randomUUID()}`;
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `base` with the KVP parameters `params` (base may already carry some, e.g. a key of the provider). */
export function kvp(base, params) {
  const url = new URL(base, window.location.href);
  const taken = new Set([...url.searchParams.keys()].map((k) => k.toUpperCase()));
  Object.entries(params).forEach(([name, value]) => {
    if (taken.has(name.toUpperCase())) {
      [...url.searchParams.keys()].filter((k) => k.toUpperCase() === name.toUpperCase()).forEach((k) => {
        url.searchParams.delete(k);
      });
    }
    url.searchParams.set(name, value);
  });
  // Absolute addresses stay absolute; a path given by the page stays a path.
  return /^https?:\/\//i.test(base) ? url.toString() : `${url.pathname}${url.search}`;
}

function getMapHref(base, layer, style, version, format = 'image/png') {
  return kvp(base, {
    SERVICE: 'WMS',
    VERSION: version,
    REQUEST: 'GetMap',
    LAYERS: layer,
    STYLES: style || '',
    FORMAT: format,
    TRANSPARENT: 'TRUE',
  });
}

// `version`: what the server speaks (a WMS 1.1.1 server may not answer 1.3.0 requests).
function wmsOffering(base, layer, styles, style, version = '1.3.0') {
  const offering = {
    code: `${OFFERING}wms`,
    operations: [
      {
        code: 'GetCapabilities',
        method: 'GET',
        type: 'application/xml',
        href: kvp(base, { SERVICE: 'WMS', REQUEST: 'GetCapabilities', VERSION: version }),
      },
      { code: 'GetMap', method: 'GET', type: 'image/png', href: getMapHref(base, layer, style, version) },
    ],
  };
  if (styles.length) offering.styles = styles.map((s) => ({ ...s, default: s.name === style }));
  return offering;
}

function validBbox(value) {
  if (!Array.isArray(value) || value.length !== 4) return null;
  const [w, s, e, n] = value.map(Number);
  if (![w, s, e, n].every(Number.isFinite) || !(w >= -180 && w < e && e <= 180 && s >= -90 && s < n && n <= 90)) {
    return null;
  }
  return [w, s, e, n];
}

const XLINK = 'http://www.w3.org/1999/xlink';

function childText(node, name) {
  const child = [...node.children].find((c) => c.localName === name);
  return child ? child.textContent.trim() : '';
}

/** Styles of layer `name` in a WMS capabilities document: [{name, title}], the layer's default style first. */
export function capabilitiesStyles(xml, name) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return [];
  const layer = [...doc.getElementsByTagNameNS('*', 'Layer')].find((l) => childText(l, 'Name') === name);
  if (!layer) return [];
  return [...layer.children]
    .filter((c) => c.localName === 'Style')
    .map((s) => ({ name: childText(s, 'Name'), title: childText(s, 'Title') || childText(s, 'Name') }))
    .filter((s) => s.name);
}

/** A dataset whose data the caller may not view: its service answers 404 (or 403) to them. */
export class NotViewable extends Error {}

/** The styles our service offers for dataset `dataset` (from its own small capabilities document). */
async function datasetStyles(dataset) {
  const capabilities = dataset.links && dataset.links.wms;
  if (!capabilities) return [];
  let response;
  try {
    response = await fetch(kvp(capabilities, { VERSION: '1.3.0' }), { credentials: 'same-origin' });
  } catch {
    return []; // the layer is still added; the viewer says if it cannot be drawn
  }
  if (response.status === 404 || response.status === 403) throw new NotViewable(dataset.title);
  return response.ok ? capabilitiesStyles(await response.text(), `ds${dataset.id}`) : [];
}

/**
 * One of our datasets (a result of /api/v1/datasets/) as a resource of the map (NotViewable when the caller may
 * see its record but not its data). `siteUrl` is the platform's
 * public address (SITE_URL): our layers are written as the server writes them, the viewer reads them from the
 * page's origin. `taken` holds the ids already in the map, so the same dataset can be added twice.
 */
export async function datasetResource(dataset, { siteUrl = '', taken = new Set() } = {}) {
  const base = `${siteUrl}/ows`;
  const layer = `ds${dataset.id}`;
  const styles = await datasetStyles(dataset);
  const offerings = [wmsOffering(base, layer, styles, styles.length ? styles[0].name : '')];
  if (dataset.kind === 'vector') {
    offerings.push({
      code: `${OFFERING}wfs`,
      operations: [
        {
          code: 'GetFeature',
          method: 'GET',
          type: 'application/json',
          href: kvp(base, { SERVICE: 'WFS', VERSION: '2.0.0', REQUEST: 'GetFeature', TYPENAMES: `ms:${layer}` }),
        },
      ],
    });
  }
  const page = `${siteUrl}/donnees/${dataset.id}/`;
  let id = page;
  for (let n = 2; taken.has(id); n += 1) id = `${page}#${n}`;
  const resource = {
    type: 'Feature',
    id,
    geometry: null,
    properties: {
      title: dataset.title || layer,
      updated: dataset.updated_at || new Date().toISOString(),
      active: true,
      offerings,
      'gp:opacity': 1,
      'gp:queryable': dataset.kind === 'vector',
      'gp:dataset': dataset.id,
    },
  };
  if (dataset.abstract) resource.properties.abstract = String(dataset.abstract).slice(0, 5000);
  const bbox = validBbox(dataset.bbox_wgs84);
  if (bbox) resource.bbox = bbox;
  return resource;
}

/**
 * A layer of an external service, from the capabilities read by /cartes/capacites/ (viewer/place_views.py):
 * `capabilities` = {service, url, title, layers: [...]}, `layer` one of its layers.
 */
export function externalResource(capabilities, service, layer, { taken = new Set() } = {}) {
  const base = capabilities.url;
  const title = layer.title || layer.name;
  let offering;
  if (service === 'wmts') {
    const formats = layer.formats || [];
    const format = formats.includes('image/png') ? 'image/png' : formats[0] || 'image/png';
    const matrixSets = layer.matrix_sets || layer.tile_matrix_sets || [];
    const getTile = { SERVICE: 'WMTS', REQUEST: 'GetTile', VERSION: '1.0.0', LAYER: layer.name, FORMAT: format };
    if (matrixSets.length) getTile.TILEMATRIXSET = matrixSets.includes('PM') ? 'PM' : matrixSets[0];
    const styles = (layer.styles || []).filter((s) => s && s.name);
    if (styles.length) getTile.STYLE = (styles.find((s) => s.default) || styles[0]).name;
    offering = {
      code: `${OFFERING}wmts`,
      operations: [
        {
          code: 'GetCapabilities',
          method: 'GET',
          type: 'application/xml',
          href: capabilities.capabilities_url || kvp(base, { SERVICE: 'WMTS', REQUEST: 'GetCapabilities' }),
        },
        { code: 'GetTile', method: 'GET', type: format, href: kvp(base, getTile) },
      ],
    };
  } else if (service === 'wfs') {
    const getFeature = {
      SERVICE: 'WFS',
      VERSION: capabilities.version || '2.0.0',
      REQUEST: 'GetFeature',
      TYPENAMES: layer.name,
    };
    // The GeoJSON output as this server names it (MapServer "geojson", GeoServer "application/json"…).
    const json = (layer.formats || []).find((f) => /^(application\/(geo\+)?json|geojson|json)\b/i.test(f));
    if (json) getFeature.OUTPUTFORMAT = json;
    offering = {
      code: `${OFFERING}wfs`,
      operations: [
        {
          code: 'GetCapabilities',
          method: 'GET',
          type: 'application/xml',
          href: kvp(base, { SERVICE: 'WFS', REQUEST: 'GetCapabilities' }),
        },
        {
          code: 'GetFeature',
          method: 'GET',
          type: 'application/json',
          href: kvp(base, getFeature),
        },
      ],
    };
  } else {
    const styles = (layer.styles || []).filter((s) => s && s.name).map((s) => ({ name: s.name, title: s.title || s.name }));
    const version = capabilities.version === '1.1.1' ? '1.1.1' : '1.3.0';
    offering = wmsOffering(base, layer.name, styles, styles.length ? styles[0].name : '', version);
  }
  let id = kvp(base, { LAYERS: layer.name });
  for (let n = 2; taken.has(id); n += 1) id = `${kvp(base, { LAYERS: layer.name })}#${n}`;
  const resource = {
    type: 'Feature',
    id,
    geometry: null,
    properties: {
      title,
      updated: new Date().toISOString(),
      active: true,
      offerings: [offering],
      'gp:opacity': 1,
      'gp:queryable': service === 'wfs' || Boolean(layer.queryable),
    },
  };
  if (layer.abstract) resource.properties.abstract = String(layer.abstract).slice(0, 5000);
  const bbox = validBbox(layer.bbox || layer.bbox_wgs84);
  if (bbox) resource.bbox = bbox;
  return resource;
}
