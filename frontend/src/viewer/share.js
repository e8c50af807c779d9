// Share and print: the permalink of the current view (URL fragment: zoom, centre, layers shown, opacities, base
// map), the embed code of the read-only page, and the print dialog (POST /cartes/imprimer/, file downloaded).
//
// Fragment: #z=<zoom>&c=<lon>,<lat>&l=<1|0 per layer, tree order>&o=<opacity % per layer>&b=<base map id>
import { toLonLat, fromLonLat } from 'ol/proj.js';

import { h } from './dom.js';

export function viewHash(viewer) {
  const view = viewer.map.getView();
  const centre = view.getCenter();
  if (!centre) return '';
  const [lon, lat] = toLonLat(centre);
  const resources = viewer.resources();
  const params = new URLSearchParams();
  params.set('z', String(Math.round(view.getZoom() * 100) / 100));
  params.set('c', `${lon.toFixed(5)},${lat.toFixed(5)}`);
  params.set('l', resources.map((f) => (f.properties.active === false ? '0' : '1')).join(''));
  params.set(
    'o',
    resources
      .map((f) => Math.round((Number.isFinite(Number(f.properties['gp:opacity'])) ? Number(f.properties['gp:opacity']) : 1) * 100))
      .join(','),
  );
  params.set('b', viewer.baseMapId());
  return params.toString();
}

function applyHash(viewer, hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (!params.has('z') || !params.has('c')) return false;
  const zoom = Number(params.get('z'));
  const centre = params.get('c').split(',').map(Number);
  if (!Number.isFinite(zoom) || centre.length !== 2 || !centre.every(Number.isFinite)) return false;
  const resources = viewer.resources();
  const shown = params.get('l') || '';
  const opacities = (params.get('o') || '').split(',');
  resources.forEach((feature, i) => {
    if (shown[i] === '0' || shown[i] === '1') viewer.setVisible(feature.id, shown[i] === '1');
    const opacity = Number(opacities[i]);
    if (opacities[i] !== undefined && opacities[i] !== '' && Number.isFinite(opacity)) {
      viewer.setOpacity(feature.id, opacity / 100);
    }
  });
  if (params.has('b') && (params.get('b') === 'none' || viewer.baseMaps().some((b) => b.id === params.get('b')))) {
    viewer.setBaseMap(params.get('b'));
  }
  const place = () => {
    viewer.map.getView().setCenter(fromLonLat(centre));
    viewer.map.getView().setZoom(zoom);
  };
  const size = viewer.map.getSize();
  if (size && size[0] > 0) place();
  else viewer.map.once('change:size', place);
  return true;
}

function escapeAttribute(text) {
  return String(text).replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c]);
}

function initPanels(viewer) {
  const { el } = viewer;
  el.querySelectorAll('[data-gp-panel-toggle]').forEach((button) => {
    const panel = el.querySelector(`[data-gp-panel="${button.dataset.gpPanelToggle}"]`);
    if (!panel) return;
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => {
      const open = panel.hidden;
      el.querySelectorAll('[data-gp-panel]').forEach((other) => {
        other.hidden = true;
      });
      el.querySelectorAll('[data-gp-panel-toggle]').forEach((other) => other.setAttribute('aria-expanded', 'false'));
      panel.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      if (open) panel.querySelector('input, select, textarea, button')?.focus();
      viewer.emit('panel', { name: button.dataset.gpPanelToggle, open });
    });
    panel.querySelector('[data-gp-panel-close]')?.addEventListener('click', () => {
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      button.focus();
    });
  });
}

function initLinks(viewer) {
  const { el, map, t } = viewer;
  const permalink = el.querySelector('[data-gp-permalink]');
  const embed = el.querySelector('[data-gp-embed-code]');
  const writeHash = el.dataset.permalink !== 'off';
  let timer = null;

  function refresh() {
    const hash = viewHash(viewer);
    if (!hash) return;
    const page = new URL(window.location.href);
    page.hash = hash;
    if (writeHash && window.location.hash !== `#${hash}`) window.history.replaceState(null, '', page);
    if (permalink) permalink.value = el.dataset.mapUrl ? new URL(`${el.dataset.mapUrl}#${hash}`, window.location.href).toString() : page.toString();
    if (embed && el.dataset.embedUrl) {
      const src = new URL(`${el.dataset.embedUrl}#${hash}`, window.location.href).toString();
      const title = viewer.getContext().properties.title || '';
      embed.value =
        `<iframe src="${escapeAttribute(src)}" title="${escapeAttribute(title)}" width="800" height="600" ` +
        'style="border:0;max-width:100%" loading="lazy" allow="fullscreen; geolocation"></iframe>';
    }
  }
  const later = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 150);
  };
  map.on('moveend', later);
  viewer.on('change', later);

  let first = true;
  viewer.on('load', () => {
    if (first && window.location.hash) applyHash(viewer, window.location.hash);
    first = false;
    later();
  });
  window.addEventListener('hashchange', () => {
    if (window.location.hash.slice(1) !== viewHash(viewer)) applyHash(viewer, window.location.hash);
  });

  el.querySelectorAll('[data-gp-copy]').forEach((button) =>
    button.addEventListener('click', async () => {
      const field = el.querySelector(button.dataset.gpCopy);
      if (!field) return;
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        document.execCommand('copy');
      }
      viewer.announce(t('copied'));
    }),
  );
}

function filename(response, fallback) {
  const match = /filename="?([^";]+)"?/.exec(response.headers.get('Content-Disposition') || '');
  return match ? match[1] : fallback;
}

function initPrint(viewer) {
  const { el, map, t } = viewer;
  const form = el.querySelector('[data-gp-print-form]');
  const url = el.dataset.printUrl;
  if (!form || !url) return;
  const status = form.querySelector('[data-gp-print-status]');
  const submit = form.querySelector('[type=submit]');
  viewer.on('load', () => {
    if (!form.elements.title.value) form.elements.title.value = viewer.getContext().properties.title || '';
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      context: viewer.getContext(),
      bbox: map.getView().calculateExtent(map.getSize()),
      srid: 3857,
      paper: data.get('paper'),
      orientation: data.get('orientation'),
      format: data.get('format'),
      title: String(data.get('title') || '').trim() || viewer.getContext().properties.title || '',
    };
    status.textContent = t('printing');
    submit.disabled = true;
    try {
      const response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': el.dataset.csrfToken || '' },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        let message = t('printFailed');
        try {
          message = (await response.json()).error.message || message;
        } catch {
          // not JSON: keep the generic message
        }
        throw new Error(message);
      }
      const blob = await response.blob();
      const link = h('a', {
        href: URL.createObjectURL(blob),
        download: filename(response, `carte.${body.format}`),
        hidden: true,
      });
      document.body.append(link);
      link.click();
      window.setTimeout(() => {
        URL.revokeObjectURL(link.href);
        link.remove();
      }, 1000);
      status.textContent = t('printed');
    } catch (error) {
      status.textContent = error.message || t('printFailed');
    } finally {
      submit.disabled = false;
    }
  });
}

export function initShare(viewer) {
  initPanels(viewer);
  initLinks(viewer);
  initPrint(viewer);
}
