// Front-end entry point of the geodata platform.
//
// Everything here is driven by data attributes rendered by the Django
// templates; see initMaps() and initUploads() for the contracts.
import htmx from 'htmx.org';
import * as bootstrap from 'bootstrap';

import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ImageLayer from 'ol/layer/Image.js';
import ImageWMS from 'ol/source/ImageWMS.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import { defaults as defaultControls } from 'ol/control/defaults.js';
import { transformExtent } from 'ol/proj.js';
import './search-map.js';
import './downloads.js';

window.htmx = htmx;
window.bootstrap = bootstrap;

/* ------------------------------------------------------------------------ */
/* 1. Maps                                                                   */
/* ------------------------------------------------------------------------ */
//
// <div class="gp-map" data-wms-url="/ows/" data-wms-layers="a,b"
//      data-extent="minx,miny,maxx,maxy" aria-label="...">
//
// data-extent is lon/lat (EPSG:4326). Result: el.gpMap (ol/Map),
// el.dataset.ready = "1" after the first WMS image loaded, el.dataset.error
// = "1" when a WMS image failed to load.

const MAX_LAT = 85.0511287798; // limit of EPSG:3857

function parseExtent(value) {
  if (!value) return null;
  const parts = String(value)
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) return null;
  let [minx, miny, maxx, maxy] = parts;
  if (minx > maxx) [minx, maxx] = [maxx, minx];
  if (miny > maxy) [miny, maxy] = [maxy, miny];
  const clamp = (v, lim) => Math.max(-lim, Math.min(lim, v));
  return [clamp(minx, 180), clamp(miny, MAX_LAT), clamp(maxx, 180), clamp(maxy, MAX_LAT)];
}

function initMap(el) {
  if (el.gpMap) return;

  el.setAttribute('role', 'region');
  if (!el.hasAttribute('aria-label') && !el.hasAttribute('aria-labelledby')) {
    el.setAttribute('aria-label', 'Carte');
  }
  // Focusable so the keyboard pan/zoom interactions work.
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '0');

  const url = el.dataset.wmsUrl;
  const layers = el.dataset.wmsLayers;

  const source = url
    ? new ImageWMS({
        url,
        params: {
          LAYERS: layers || '',
          FORMAT: 'image/png',
          TRANSPARENT: true,
          VERSION: '1.3.0',
        },
        ratio: 1,
        serverType: 'mapserver',
      })
    : null;

  const map = new Map({
    target: el,
    layers: source ? [new ImageLayer({ source })] : [],
    controls: defaultControls({
      zoomOptions: { zoomInTipLabel: 'Zoom avant', zoomOutTipLabel: 'Zoom arrière' },
      rotateOptions: { tipLabel: 'Réinitialiser l’orientation' },
      attributionOptions: { tipLabel: 'Attributions' },
    }).extend([new ScaleLine()]),
    view: new View({ projection: 'EPSG:3857', center: [0, 0], zoom: 2, maxZoom: 22 }),
  });
  el.gpMap = map;

  if (source) {
    source.on('imageloadend', () => {
      el.dataset.ready = '1';
      delete el.dataset.error;
    });
    source.on('imageloaderror', () => {
      el.dataset.error = '1';
    });
  } else {
    el.dataset.error = '1';
  }

  const extent = parseExtent(el.dataset.extent);
  if (extent) {
    const target = transformExtent(extent, 'EPSG:4326', 'EPSG:3857');
    const fit = () => map.getView().fit(target, { padding: [20, 20, 20, 20], maxZoom: 18 });
    const size = map.getSize();
    if (size && size[0] > 0 && size[1] > 0) {
      fit();
    } else {
      // Container not laid out yet (hidden tab, modal…): fit once it has a size.
      const onSize = () => {
        const s = map.getSize();
        if (s && s[0] > 0 && s[1] > 0) {
          map.un('change:size', onSize);
          fit();
        }
      };
      map.on('change:size', onSize);
    }
  }
}

function initMaps(root) {
  root.querySelectorAll('.gp-map').forEach((el) => {
    try {
      initMap(el);
    } catch (err) {
      el.dataset.error = '1';
      console.error('gp-map', err);
    }
  });
}

/* ------------------------------------------------------------------------ */
/* 2. Chunked, resumable upload                                              */
/* ------------------------------------------------------------------------ */
//
// <form data-chunked-upload data-upload-url="/import/uploads/">
//   <input type="file" name="file">   <div data-dropzone>…</div>
//   <div class="progress" data-upload-progress><div class="progress-bar"></div></div>
//   <div data-upload-status aria-live="polite"></div>
//   <div data-layer-choice hidden><select name="layer"></select></div>
//   … title, srid, csrfmiddlewaretoken …
// </form>

const CHUNK_SIZE = 8 * 1024 * 1024;
const MAX_RETRIES = 3;
const RETRY_DELAYS_MS = [1000, 2000, 4000];
const STORAGE_PREFIX = 'gp-upload:';

const MSG = {
  failed: 'Le téléversement a échoué. Réessayez.',
  noFile: 'Veuillez choisir un fichier à téléverser.',
  selected: (f) => `Fichier sélectionné : ${f.name} (${formatSize(f.size)}).`,
  starting: 'Préparation du téléversement…',
  resuming: (pct) => `Reprise du téléversement à ${pct}\u00a0%…`,
  uploading: 'Téléversement en cours…',
  retrying: (n) => `Problème de connexion, nouvelle tentative (${n}/${MAX_RETRIES})…`,
  finalizing: 'Téléversement terminé, finalisation de l’import…',
  redirecting: 'Import lancé. Redirection…',
  chooseLayer: '— Choisissez une couche —',
};

function formatSize(bytes) {
  const units = ['o', 'Ko', 'Mo', 'Go', 'To'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const n = i === 0 ? String(v) : v.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
  return `${n}\u00a0${units[i]}`;
}

class HttpError extends Error {
  constructor(status, data) {
    const msg = data && data.error && typeof data.error.message === 'string' ? data.error.message : '';
    super(msg || MSG.failed);
    this.status = status; // 0 = network error
    this.data = data || null;
    this.serverMessage = msg;
  }
  get retryable() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function getCookie(name) {
  const m = document.cookie.match(new RegExp('(?:^|;\\s*)' + name + '=([^;]*)'));
  return m ? decodeURIComponent(m[1]) : '';
}

function storageKey(file) {
  return `${STORAGE_PREFIX}${file.name}+${file.size}+${file.lastModified}`;
}

const store = {
  get(key) {
    try {
      const v = JSON.parse(window.localStorage.getItem(key) || 'null');
      return v && typeof v.url === 'string' ? v : null;
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage full or disabled: upload still works, just not resumable */
    }
  },
  remove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch {
      /* ignore */
    }
  },
};

function withTrailingSlash(url) {
  const i = url.search(/[?#]/);
  const path = i === -1 ? url : url.slice(0, i);
  const rest = i === -1 ? '' : url.slice(i);
  return (path.endsWith('/') ? path : path + '/') + rest;
}

/** XMLHttpRequest wrapper: resolves with parsed JSON, rejects with HttpError. */
function request(method, url, { body = null, headers = {}, onProgress = null } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-Requested-With', 'XMLHttpRequest');
    Object.entries(headers).forEach(([k, v]) => xhr.setRequestHeader(k, v));
    if (onProgress && xhr.upload) {
      xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded));
    }
    xhr.onload = () => {
      const data = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
      else reject(new HttpError(xhr.status, data));
    };
    xhr.onerror = () => reject(new HttpError(0, null));
    xhr.ontimeout = () => reject(new HttpError(0, null));
    xhr.onabort = () => reject(new HttpError(0, null));
    xhr.send(body);
  });
}

function initUpload(form) {
  if (form.gpUpload) return;

  const input = form.querySelector('input[type="file"][name="file"]') || form.querySelector('input[type="file"]');
  const dropzone = form.querySelector('[data-dropzone]');
  const progress = form.querySelector('[data-upload-progress]');
  const bar = progress ? progress.querySelector('.progress-bar') || progress : null;
  const status = form.querySelector('[data-upload-status]');
  const uploadUrl = form.dataset.uploadUrl;

  let droppedFile = null; // fallback when input.files cannot be assigned
  let busy = false;
  let current = null; // {key, id, url, offset, size} of the upload in this page

  const state = { form, get busy() { return busy; } };
  form.gpUpload = state;

  /* --- UI helpers ------------------------------------------------------ */

  function setStatus(text, kind = 'info') {
    if (!status) return;
    status.classList.remove('alert', 'alert-danger', 'alert-info', 'alert-success');
    if (text) {
      status.classList.add('alert', `alert-${kind}`);
      // Errors interrupt; progress messages stay polite (template sets aria-live).
      if (kind === 'danger') status.setAttribute('role', 'alert');
      else status.removeAttribute('role');
    } else {
      status.removeAttribute('role');
    }
    status.textContent = text || '';
  }

  let lastPct = -1;
  function setProgress(done, total) {
    if (!bar) return;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
    if (pct === lastPct) return;
    lastPct = pct;
    if (progress.hidden) progress.hidden = false;
    progress.classList.remove('d-none');
    bar.style.width = `${pct}%`;
    const aria = progress.getAttribute('role') === 'progressbar' ? progress : bar;
    aria.setAttribute('aria-valuenow', String(pct));
    if (!aria.hasAttribute('aria-valuemin')) aria.setAttribute('aria-valuemin', '0');
    if (!aria.hasAttribute('aria-valuemax')) aria.setAttribute('aria-valuemax', '100');
    bar.textContent = `${pct}\u00a0%`;
  }

  function setBusy(value) {
    busy = value;
    form.setAttribute('aria-busy', value ? 'true' : 'false');
    form.querySelectorAll('button[type="submit"], input[type="submit"], button:not([type])').forEach((b) => {
      b.disabled = value;
    });
  }

  function currentFile() {
    if (input && input.files && input.files.length) return input.files[0];
    return droppedFile;
  }

  function showLayers(layers) {
    const holder = form.querySelector('[data-layer-choice]');
    if (!holder) return;
    const select = holder.matches('select') ? holder : holder.querySelector('select[name="layer"]') || holder.querySelector('select');
    if (!select) return;
    const previous = select.value;
    select.replaceChildren();
    const placeholder = new Option(MSG.chooseLayer, '');
    select.add(placeholder);
    layers.forEach((name) => select.add(new Option(String(name), String(name))));
    select.value = layers.map(String).includes(previous) ? previous : '';
    select.required = true;
    holder.hidden = false;
    holder.classList.remove('d-none');
    if (select !== holder) select.hidden = false;
    select.focus();
  }

  /* --- file selection (input, drag & drop, keyboard) ------------------- */

  function onFileChosen(file) {
    if (!file) return;
    lastPct = -1;
    if (dropzone) {
      const label = dropzone.querySelector('[data-dropzone-filename]');
      if (label) label.textContent = file.name;
    }
    setStatus(MSG.selected(file), 'info');
  }

  if (input) {
    input.addEventListener('change', () => {
      droppedFile = null;
      onFileChosen(currentFile());
    });
  }

  if (dropzone) {
    if (!dropzone.hasAttribute('tabindex')) dropzone.setAttribute('tabindex', '0');
    if (!dropzone.hasAttribute('role')) dropzone.setAttribute('role', 'button');
    const openPicker = () => {
      if (input && !busy) input.click();
    };
    dropzone.addEventListener('click', (e) => {
      // The input (or a label for it) may live inside the zone: let it act natively.
      if (input && (e.target === input || e.target.closest('label'))) return;
      openPicker();
    });
    dropzone.addEventListener('keydown', (e) => {
      if (e.target !== dropzone) return;
      if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') {
        e.preventDefault();
        openPicker();
      }
    });
    const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
    let depth = 0;
    dropzone.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth += 1;
      dropzone.classList.add('is-dragover');
    });
    dropzone.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      dropzone.classList.add('is-dragover');
    });
    dropzone.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) dropzone.classList.remove('is-dragover');
    });
    dropzone.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      dropzone.classList.remove('is-dragover');
      if (busy) return;
      const files = e.dataTransfer && e.dataTransfer.files;
      if (!files || !files.length) return;
      const file = files[0];
      droppedFile = file;
      if (input) {
        try {
          const dt = new DataTransfer();
          dt.items.add(file);
          input.files = dt.files;
        } catch {
          /* old browser: droppedFile is used instead */
        }
      }
      onFileChosen(file);
    });
  }

  /* --- protocol ------------------------------------------------------- */

  function csrfHeaders() {
    const tokenInput = form.querySelector('input[name="csrfmiddlewaretoken"]');
    const token = (tokenInput && tokenInput.value) || getCookie('csrftoken');
    return token ? { 'X-CSRFToken': token } : {};
  }

  async function startOrResume(file, key) {
    if (current && current.key === key) {
      if (current.offset >= current.size) return current; // only complete/ left
    }
    const saved = store.get(key);
    if (saved) {
      try {
        const info = await request('GET', saved.url, { headers: csrfHeaders() });
        const size = Number(info.size);
        const offset = Number(info.offset);
        if (Number.isFinite(offset) && (!Number.isFinite(size) || size === file.size)) {
          current = { key, id: saved.id, url: saved.url, offset, size: file.size };
          if (offset > 0 && offset < file.size) {
            setStatus(MSG.resuming(Math.floor((offset / file.size) * 100)), 'info');
          }
          return current;
        }
      } catch (err) {
        // Unknown/expired upload: start a new one. Anything else is a real failure.
        if (!(err instanceof HttpError) || ![400, 403, 404, 410].includes(err.status)) throw err;
      }
      store.remove(key);
    }
    const created = await request('POST', uploadUrl, {
      body: JSON.stringify({ filename: file.name, size: file.size }),
      headers: { ...csrfHeaders(), 'Content-Type': 'application/json' },
    });
    if (!created || typeof created.url !== 'string') throw new HttpError(500, null);
    current = {
      key,
      id: created.id,
      url: created.url,
      offset: Number(created.offset) || 0,
      size: file.size,
    };
    store.set(key, { id: created.id, url: created.url });
    return current;
  }

  async function sendChunk(file, up, start) {
    const end = Math.min(start + CHUNK_SIZE, file.size); // exclusive
    const blob = file.slice(start, end);
    let attempt = 0;
    for (;;) {
      try {
        const res = await request('PUT', up.url, {
          body: blob,
          headers: {
            ...csrfHeaders(),
            'Content-Type': 'application/octet-stream',
            'Content-Range': `bytes ${start}-${end - 1}/${file.size}`,
          },
          onProgress: (loaded) => setProgress(start + Math.min(loaded, end - start), file.size),
        });
        const offset = Number(res.offset);
        if (!Number.isFinite(offset)) throw new HttpError(500, null);
        return offset;
      } catch (err) {
        // 409/416: server and client disagree on the offset; it tells us where to go on.
        if (err instanceof HttpError && (err.status === 409 || err.status === 416) &&
            err.data && Number.isFinite(Number(err.data.offset))) {
          return Number(err.data.offset);
        }
        if (!(err instanceof HttpError) || !err.retryable || attempt >= MAX_RETRIES) throw err;
        attempt += 1;
        setStatus(MSG.retrying(attempt), 'info');
        setProgress(start, file.size);
        await sleep(RETRY_DELAYS_MS[attempt - 1] || 4000);
        setStatus(MSG.uploading, 'info');
      }
    }
  }

  async function uploadChunks(file, up) {
    let offset = up.offset;
    let stalls = 0;
    setProgress(offset, file.size);
    if (offset < file.size) setStatus(MSG.uploading, 'info');
    while (offset < file.size) {
      const next = await sendChunk(file, up, offset);
      if (next <= offset) {
        stalls += 1;
        if (stalls > MAX_RETRIES) throw new HttpError(500, null);
      } else {
        stalls = 0;
      }
      offset = Math.min(next, file.size);
      up.offset = offset;
      setProgress(offset, file.size);
    }
  }

  async function complete(up) {
    const data = new FormData(form);
    data.delete('file');
    if (input && input.name && input.name !== 'file') data.delete(input.name);
    return request('POST', withTrailingSlash(up.url) + 'complete/', {
      body: data,
      headers: csrfHeaders(),
    });
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    const file = currentFile();
    if (!file) {
      setStatus(MSG.noFile, 'danger');
      if (dropzone) dropzone.focus();
      else if (input) input.focus();
      return;
    }
    if (!uploadUrl) {
      setStatus(MSG.failed, 'danger');
      return;
    }
    const key = storageKey(file);
    setBusy(true);
    try {
      if (!current || current.key !== key || current.offset < current.size) setStatus(MSG.starting, 'info');
      const up = await startOrResume(file, key);
      await uploadChunks(file, up);
      setProgress(file.size, file.size);
      setStatus(MSG.finalizing, 'info');
      let res;
      try {
        res = await complete(up);
      } catch (err) {
        if (err instanceof HttpError && (err.status === 404 || err.status === 410)) {
          // The server forgot this upload: next submit starts from scratch.
          store.remove(key);
          current = null;
        }
        throw err;
      }
      store.remove(key);
      current = null;
      setStatus(MSG.redirecting, 'success');
      if (res && res.redirect) {
        window.location.assign(res.redirect);
        return; // stay busy while navigating
      }
      setBusy(false);
    } catch (err) {
      if (!(err instanceof HttpError)) console.error('gp-upload', err);
      const message = err instanceof HttpError && err.serverMessage ? err.serverMessage : MSG.failed;
      setStatus(message, 'danger');
      setBusy(false);
      if (err instanceof HttpError && err.data && Array.isArray(err.data.layers) && err.data.layers.length) {
        showLayers(err.data.layers);
      }
    }
  });
}

function initUploads(root) {
  root.querySelectorAll('form[data-chunked-upload]').forEach((form) => {
    try {
      initUpload(form);
    } catch (err) {
      console.error('gp-upload', err);
    }
  });
}

/* ------------------------------------------------------------------------ */
/* Boot                                                                      */
/* ------------------------------------------------------------------------ */

function init(root = document) {
  initMaps(root);
  initUploads(root);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => init(document));
} else {
  init(document);
}

// Content swapped in by htmx: initialise what is new (init is idempotent).
document.addEventListener('htmx:afterSettle', () => init(document));

// Release OpenLayers resources of maps that htmx removes from the page.
document.addEventListener('htmx:beforeCleanupElement', (e) => {
  const el = e.target;
  if (el && el.gpMap) {
    el.gpMap.setTarget(undefined);
    delete el.gpMap;
  }
});

window.geoportal = { init };
