// Composer side panel: lets a producer build a map in the viewer next to it and save it as an OWS Context.
//
// <aside data-gp-composer
//        data-save-url="/api/v1/maps/"            POST creates a map; "/api/v1/maps/<pk>/" with data-map-id: PUT saves
//        data-map-id="<pk>"                        (edit page only)
//        data-search-url="/api/v1/datasets/"       catalogue search (DRF, JSON)
//        data-capabilities-url="/cartes/capacites/" external services' capabilities read server-side
//        data-csrf="<token>"
//        data-public="1"                           (edit page: the record is public)
//        data-sharing-url="/donnees/<record>/partage/" (edit page)>
//
// initComposer(panel, viewer) builds the panel inside the aside and drives the viewer through its API
// (addResource, removeResource, updateResource, resources, getContext, loadContext, on('change')).
// Strings are French, like the rest of the front end.
import { NotViewable, datasetResource, externalResource, kvp, newResourceId } from './resources.js';

const FRENCH = {
  heading: 'Composer la carte',
  hidePanel: 'Masquer le panneau de composition',
  showPanel: 'Afficher le panneau de composition',
  mapSection: 'Carte',
  title: 'Titre de la carte',
  description: 'Description',
  publicMap: 'Carte publique',
  publicAlready:
    'La carte est publique. Pour la rendre privée ou la partager avec des groupes, utilisez la ' +
    'page « Partage » de sa fiche.',
  publicHelp:
    'Cochée, la carte est visible par tous dès l’enregistrement. Pour la rendre privée ou la ' +
    'partager avec des groupes, utilisez la page « Partage » de sa fiche.',
  sharing: 'Partage détaillé de la carte',
  extentUse: 'Utiliser la vue actuelle comme emprise initiale',
  extentCurrent: 'Emprise initiale : {bbox} (ouest, sud, est, nord).',
  extentNone: 'Emprise initiale : la vue affichée au moment de l’enregistrement.',
  extentSet: 'La vue actuelle sera l’emprise initiale de la carte.',
  save: 'Enregistrer la carte',
  saving: 'Enregistrement en cours…',
  saved: 'Carte enregistrée.',
  created: 'Carte créée. Ouverture de la page de modification…',
  saveFailed: 'L’enregistrement a échoué.',
  titleRequired: 'Donnez un titre à la carte avant de l’enregistrer.',
  network: 'Le serveur ne répond pas. Vérifiez votre connexion et réessayez.',
  searchSection: 'Ajouter des données du catalogue',
  searchLabel: 'Rechercher dans le catalogue',
  searchButton: 'Rechercher',
  searching: 'Recherche en cours…',
  searchNone: 'Aucune donnée trouvée.',
  searchOne: '1 donnée trouvée.',
  searchMany: '{count} données trouvées.',
  searchFailed: 'La recherche a échoué.',
  searchInView: 'Seulement les données présentes dans la vue actuelle',
  searchMore: 'Plus de résultats',
  newTab: ' (fiche, dans un nouvel onglet)',
  noData: 'sans données publiées',
  kindVector: 'vecteur',
  kindRaster: 'raster',
  add: 'Ajouter',
  addLabel: 'Ajouter « {title} » à la carte',
  addExternalLabel: 'Ajouter la couche externe « {title} » à la carte',
  added: 'Couche « {title} » ajoutée à la carte.',
  notViewable: 'Vous ne pouvez pas voir les données de « {title} » : la couche n’est pas ajoutée.',
  externalSection: 'Ajouter une couche d’un service externe',
  externalUrl: 'Adresse du service',
  externalService: 'Type de service',
  serviceWms: 'WMS (carte)',
  serviceWmts: 'WMTS (tuiles)',
  serviceWfs: 'WFS (objets)',
  externalRead: 'Lire les capacités',
  externalReading: 'Lecture des capacités du service…',
  externalNone: 'Ce service ne propose aucune couche.',
  externalCount: '{title} : {count} couche(s) disponible(s).',
  externalCountUntitled: '{count} couche(s) disponible(s).',
  externalFailed: 'Les capacités du service n’ont pas pu être lues.',
  externalUrlRequired: 'Indiquez l’adresse du service (http:// ou https://).',
  layersSection: 'Couches de la carte',
  layersEmpty: 'La carte ne contient encore aucune couche. Ajoutez-en depuis le catalogue ou un service externe.',
  layerName: 'Nom affiché',
  layerFolder: 'Groupe (dossier)',
  layerFolderHelp: 'Sous-groupes séparés par « / », par exemple Environnement/Eau.',
  layerStyle: 'Style',
  layerStyleDefault: 'Style par défaut',
  layerRemove: 'Retirer',
  layerRemoveLabel: 'Retirer « {title} » de la carte',
  removed: 'Couche « {title} » retirée de la carte.',
  renamed: 'Couche renommée « {title} ».',
  grouped: 'Couche « {title} » placée dans le groupe « {folder} ».',
  ungrouped: 'Couche « {title} » sortie de son groupe.',
  styled: 'Style « {style} » appliqué à « {title} ».',
  fileSection: 'Fichier de contexte OWS',
  exportButton: 'Exporter le contexte (contexte.json)',
  exported: 'Fichier contexte.json téléchargé.',
  importLabel: 'Importer un fichier de contexte OWS (GeoJSON)',
  importButton: 'Importer',
  importNoFile: 'Choisissez un fichier de contexte à importer.',
  importBad: 'Ce fichier n’est pas un contexte OWS GeoJSON (FeatureCollection) lisible.',
  importTooBig: 'Ce fichier est trop volumineux pour un contexte de carte (5 Mo au plus).',
  imported: 'Contexte importé : {count} couche(s). Enregistrez la carte pour le conserver.',
};

function fill(text, params = {}) {
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The panel's texts: the page's translations (data-messages, see viewer/composer_messages.py) over French. */
function composerTexts(panel) {
  let given = {};
  try {
    given = JSON.parse(panel.dataset.messages || '{}') || {};
  } catch {
    given = {};
  }
  const m = { ...FRENCH };
  Object.entries(given).forEach(([key, value]) => {
    if (key in FRENCH && typeof value === 'string' && value) m[key] = value;
  });
  return {
    ...m,
    extentCurrent: (b) => fill(m.extentCurrent, { bbox: b.map((n) => n.toFixed(4)).join(', ') }),
    searchCount: (n) => (n === 0 ? m.searchNone : n === 1 ? m.searchOne : fill(m.searchMany, { count: n })),
    kind: { vector: m.kindVector, raster: m.kindRaster },
    addLabel: (title) => fill(m.addLabel, { title }),
    addExternalLabel: (title) => fill(m.addExternalLabel, { title }),
    added: (title) => fill(m.added, { title }),
    notViewable: (title) => fill(m.notViewable, { title }),
    externalCount: (n, title) =>
      n === 0 ? m.externalNone : fill(title ? m.externalCount : m.externalCountUntitled, { count: n, title }),
    layerRemoveLabel: (title) => fill(m.layerRemoveLabel, { title }),
    removed: (title) => fill(m.removed, { title }),
    renamed: (title) => fill(m.renamed, { title }),
    grouped: (title, folder) => (folder ? fill(m.grouped, { title, folder }) : fill(m.ungrouped, { title })),
    styled: (title, style) => fill(m.styled, { title, style }),
    imported: (n) => fill(m.imported, { count: n }),
  };
}

const PROFILE = 'http://www.opengis.net/spec/owc-geojson/1.0/req/core';
const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

let uid = 0;
const nextId = (prefix) => `gp-composer-${prefix}-${++uid}`;

/** Small DOM builder: h('button', {type: 'button', class: 'btn'}, 'text', child…). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  Object.entries(attrs).forEach(([key, value]) => {
    if (value === null || value === undefined || value === false) return;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  });
  children.flat().forEach((child) => {
    if (child === null || child === undefined || child === false) return;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  });
  return el;
}

function field(label, control, help) {
  const id = control.id || (control.id = nextId('field'));
  const helpEl = help ? h('div', { class: 'form-text', id: `${id}-help` }, help) : null;
  if (helpEl) control.setAttribute('aria-describedby', helpEl.id);
  return h('div', { class: 'mb-2' }, h('label', { class: 'form-label', for: id }, label), control, helpEl);
}

function errorMessage(data, fallback) {
  const message = data && data.error && typeof data.error.message === 'string' ? data.error.message : '';
  if (message) return `${fallback} ${message}`;
  if (data && typeof data.detail === 'string') return `${fallback} ${data.detail}`;
  return fallback;
}

async function fetchJson(url, options = {}) {
  let response;
  try {
    response = await fetch(url, {
      credentials: 'same-origin',
      ...options,
      headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest', ...(options.headers || {}) },
    });
  } catch {
    return { ok: false, status: 0, data: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

function folderLabel(folder) {
  return String(folder || '')
    .split('/')
    .map((part) => part.trim())
    .filter(Boolean)
    .join('/');
}

function normaliseFolder(value) {
  const label = folderLabel(value);
  return label ? `/${label}` : '';
}

function currentStyle(resource) {
  const offering = (resource.properties.offerings || [])[0] || {};
  const getMap = (offering.operations || []).find((op) => op.code === 'GetMap');
  if (getMap && getMap.href) {
    try {
      const url = new URL(getMap.href, window.location.href);
      for (const [key, value] of url.searchParams) if (key.toUpperCase() === 'STYLES') return value;
    } catch {
      /* an unparsable href has no style */
    }
  }
  const styles = offering.styles || [];
  const chosen = styles.find((s) => s.default) || null;
  return chosen ? chosen.name : '';
}

export function initComposer(panel, viewer) {
  if (!panel || panel.gpComposer || !viewer || typeof viewer.getContext !== 'function') return viewer;
  const settings = panel.dataset;
  const state = {
    mapId: settings.mapId || '',
    saveUrl: settings.saveUrl || '/api/v1/maps/',
    // The platform's public address (SITE_URL): our layers are written with it, as the server writes them.
    siteUrl: (settings.siteUrl || viewerSiteUrl(viewer) || window.location.origin).replace(/\/+$/, ''),
    initialBbox: null,
    nextSearch: null,
    changes: 0, // changes since the last save; leaving the page with some asks first
    busy: false,
  };
  panel.gpComposer = state;
  const T = composerTexts(panel);

  /* --- skeleton ------------------------------------------------------- */

  const bodyId = nextId('body');
  const toggle = h(
    'button',
    { type: 'button', class: 'btn btn-outline-primary btn-sm', 'aria-controls': bodyId, 'aria-expanded': 'true' },
    T.hidePanel,
  );
  const status = h('div', { class: 'gp-composer-status small', role: 'status', 'aria-live': 'polite' });
  const body = h('div', { id: bodyId, class: 'gp-composer-body' });
  const headingId = nextId('heading');
  panel.replaceChildren(
    h(
      'div',
      { class: 'd-flex flex-wrap align-items-center justify-content-between gap-2 mb-2' },
      h('h2', { class: 'h5 mb-0', id: headingId }, T.heading),
      toggle,
    ),
    status,
    body,
  );
  if (!panel.hasAttribute('aria-label') && !panel.hasAttribute('aria-labelledby')) {
    panel.setAttribute('aria-labelledby', headingId);
  }

  function setExpanded(expanded) {
    toggle.setAttribute('aria-expanded', String(expanded));
    toggle.textContent = expanded ? T.hidePanel : T.showPanel;
    body.hidden = !expanded;
    panel.classList.toggle('gp-composer-collapsed', !expanded);
  }
  toggle.addEventListener('click', () => setExpanded(toggle.getAttribute('aria-expanded') !== 'true'));
  // On a phone the map comes first: the panel starts folded, one tap away.
  if (window.matchMedia && window.matchMedia('(max-width: 767.98px)').matches) setExpanded(false);

  function announce(text, kind = 'info') {
    status.classList.remove('alert', 'alert-danger', 'alert-info', 'alert-success', 'p-2');
    if (text) status.classList.add('alert', `alert-${kind}`, 'p-2');
    status.textContent = text || '';
  }

  /* --- map properties and save ----------------------------------------- */

  const initial = safeContext();
  const props = initial.properties || {};
  const titleInput = h('input', { type: 'text', class: 'form-control', name: 'title', maxlength: '255', required: true });
  titleInput.value = props.title || '';
  const descriptionInput = h('textarea', { class: 'form-control', name: 'description', rows: '3' });
  descriptionInput.value = props.subtitle || '';
  const publicInput = h('input', { type: 'checkbox', class: 'form-check-input', id: nextId('public') });
  const alreadyPublic = settings.public === '1' || settings.public === 'true';
  publicInput.checked = alreadyPublic;
  // Saving never takes a public map back: that is the sharing page's work, so the box cannot be unticked here.
  publicInput.disabled = alreadyPublic;
  const publicHelpId = nextId('public-help');
  publicInput.setAttribute('aria-describedby', publicHelpId);
  if (settings.mapId && Array.isArray(initial.bbox) && initial.bbox.length === 4) state.initialBbox = initial.bbox;
  const extentText = h('p', { class: 'small mb-2' });
  const sharingLink = h('a', { href: settings.sharingUrl || '#', class: 'small', hidden: !settings.sharingUrl }, T.sharing);
  const saveButton = h('button', { type: 'submit', class: 'btn btn-primary' }, T.save);

  function showExtent() {
    extentText.textContent = state.initialBbox ? T.extentCurrent(state.initialBbox) : T.extentNone;
  }
  showExtent();

  const mapForm = h(
    'form',
    { class: 'mb-3', novalidate: true, onsubmit: (event) => { event.preventDefault(); save(); } },
    field(T.title, titleInput),
    field(T.description, descriptionInput),
    h(
      'div',
      { class: 'form-check mb-2' },
      publicInput,
      h('label', { class: 'form-check-label', for: publicInput.id }, T.publicMap),
      h('div', { class: 'form-text', id: publicHelpId }, alreadyPublic ? T.publicAlready : T.publicHelp),
    ),
    extentText,
    h(
      'div',
      { class: 'd-flex flex-wrap gap-2 mb-2' },
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-outline-primary btn-sm',
          onclick: () => {
            const bbox = safeContext().bbox;
            if (Array.isArray(bbox) && bbox.length === 4) state.initialBbox = bbox;
            state.changes += 1;
            showExtent();
            announce(T.extentSet, 'info');
          },
        },
        T.extentUse,
      ),
    ),
    h('div', { class: 'd-flex flex-wrap align-items-center gap-3' }, saveButton, sharingLink),
  );
  body.append(section(T.mapSection, mapForm));

  function safeContext() {
    try {
      return viewer.getContext() || {};
    } catch {
      return {};
    }
  }

  /** The viewer's current state with what the panel holds: title, description, initial extent. */
  function composeDocument() {
    const doc = safeContext();
    doc.type = 'FeatureCollection';
    doc.properties = { ...(doc.properties || {}) };
    doc.properties.title = titleInput.value.trim();
    doc.properties.subtitle = descriptionInput.value.trim();
    if (!doc.properties.subtitle) delete doc.properties.subtitle;
    if (!doc.properties.lang) doc.properties.lang = 'fr';
    const links = doc.properties.links && typeof doc.properties.links === 'object' ? doc.properties.links : {};
    const profiles = Array.isArray(links.profiles) ? links.profiles : [];
    if (!profiles.some((p) => (p && p.href) === PROFILE || p === PROFILE)) profiles.push({ href: PROFILE });
    doc.properties.links = { ...links, profiles };
    doc.properties.updated = new Date().toISOString();
    if (!doc.id) doc.id = newResourceId();
    if (state.initialBbox) doc.bbox = state.initialBbox;
    return doc;
  }

  async function save() {
    if (state.busy) return;
    if (!titleInput.value.trim()) {
      announce(T.titleRequired, 'danger');
      titleInput.setAttribute('aria-invalid', 'true');
      titleInput.focus();
      return;
    }
    titleInput.removeAttribute('aria-invalid');
    const doc = composeDocument();
    const creating = !state.mapId;
    const url = new URL(state.saveUrl, window.location.href);
    if (publicInput.checked && !publicInput.disabled) url.searchParams.set('public', 'true');
    state.busy = true;
    saveButton.disabled = true;
    panel.setAttribute('aria-busy', 'true');
    announce(T.saving, 'info');
    const savedAt = state.changes;
    const { ok, status: code, data } = await fetchJson(url.toString(), {
      method: creating ? 'POST' : 'PUT',
      headers: { 'Content-Type': 'application/geo+json', 'X-CSRFToken': settings.csrf || '' },
      body: JSON.stringify(doc),
    });
    state.busy = false;
    saveButton.disabled = false;
    panel.setAttribute('aria-busy', 'false');
    if (!ok) {
      announce(code === 0 ? T.network : errorMessage(data, T.saveFailed), 'danger');
      return;
    }
    // What changed while the request was on its way still needs saving.
    if (state.changes === savedAt) state.changes = 0;
    if (creating && data && data.id) {
      state.changes = 0;
      announce(T.created, 'success');
      const links = data.links || {};
      window.location.assign(links.edit || `/cartes/${data.id}/modifier/`);
      return;
    }
    announce(T.saved, 'success');
  }

  /* --- catalogue search ------------------------------------------------- */

  const searchInput = h('input', { type: 'search', class: 'form-control', name: 'q', autocomplete: 'off' });
  // The count is also written next to the results, for those who do not hear the status line at the top.
  const searchInfo = h('p', { class: 'small mb-1' });
  const searchResults = h('ul', { class: 'list-unstyled mb-2 gp-composer-results' });
  const searchMore = h('button', { type: 'button', class: 'btn btn-link btn-sm', hidden: true }, T.searchMore);
  const inViewInput = h('input', { type: 'checkbox', class: 'form-check-input', id: nextId('in-view') });
  const searchForm = h(
    'form',
    { role: 'search', class: 'mb-2', onsubmit: (event) => { event.preventDefault(); search(); } },
    h('label', { class: 'form-label', for: searchInput.id || (searchInput.id = nextId('q')) }, T.searchLabel),
    h(
      'div',
      { class: 'input-group' },
      searchInput,
      h('button', { type: 'submit', class: 'btn btn-primary' }, T.searchButton),
    ),
    h(
      'div',
      { class: 'form-check mt-1' },
      inViewInput,
      h('label', { class: 'form-check-label small', for: inViewInput.id }, T.searchInView),
    ),
  );
  searchMore.addEventListener('click', () => state.nextSearch && search(state.nextSearch));
  body.append(section(T.searchSection, searchForm, searchInfo, searchResults, searchMore));

  async function search(pageUrl = null) {
    let url = pageUrl;
    if (!url) {
      const target = new URL(settings.searchUrl || '/api/v1/datasets/', window.location.href);
      const q = searchInput.value.trim();
      if (q) target.searchParams.set('q', q);
      target.searchParams.set('type', 'dataset');
      const view = safeContext().bbox;
      if (inViewInput.checked && Array.isArray(view) && view.length === 4) {
        const [west, south, east, north] = view;
        const box = [Math.max(west, -180), Math.max(south, -90), Math.min(east, 180), Math.min(north, 90)];
        target.searchParams.set('bbox', box.map((n) => n.toFixed(6)).join(','));
      }
      url = target.toString();
      searchResults.replaceChildren();
      searchInfo.textContent = '';
    }
    announce(T.searching, 'info');
    const { ok, status: code, data } = await fetchJson(url);
    if (!ok || !data) {
      announce(code === 0 ? T.network : errorMessage(data, T.searchFailed), 'danger');
      return;
    }
    const before = searchResults.children.length;
    (data.results || []).forEach((dataset) => searchResults.append(searchResult(dataset)));
    // "Plus de résultats" may vanish under the keyboard: go on from the first new result.
    if (pageUrl && searchResults.children[before]) searchResults.children[before].querySelector('a').focus();
    state.nextSearch = data.next || null;
    searchMore.hidden = !state.nextSearch;
    announce(T.searchCount(data.count || 0), 'info');
    searchInfo.textContent = T.searchCount(data.count || 0);
  }

  function searchResult(dataset) {
    const title = dataset.title || `ds${dataset.id}`;
    const links = dataset.links || {};
    const usable = Boolean(links.wms);
    const details = [T.kind[dataset.kind] || dataset.kind, dataset.organisation].filter(Boolean).join(' · ');
    const row = h(
      'li',
      { class: 'd-flex align-items-start justify-content-between gap-2 border-bottom py-2' },
      h(
        'div',
        { class: 'small' },
        h(
          'a',
          { href: links.page || '#', class: 'fw-semibold', target: '_blank', rel: 'noopener' },
          title,
          h('span', { class: 'visually-hidden' }, T.newTab),
        ),
        h('div', { class: 'text-body-secondary' }, usable ? details : `${details} · ${T.noData}`),
      ),
    );
    if (usable) {
      row.append(
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-outline-primary btn-sm flex-shrink-0',
            'aria-label': T.addLabel(title),
            onclick: async (event) => {
              const button = event.currentTarget;
              button.disabled = true;
              try {
                const resource = await datasetResource(dataset, { siteUrl: state.siteUrl, taken: takenIds() });
                addToMap(resource);
              } catch (error) {
                if (!(error instanceof NotViewable)) throw error;
                announce(T.notViewable(title), 'danger');
              } finally {
                button.disabled = false;
              }
            },
          },
          T.add,
        ),
      );
    }
    return row;
  }

  /* --- external services ------------------------------------------------ */

  const externalUrl = h('input', {
    type: 'url',
    class: 'form-control',
    name: 'service_url',
    placeholder: 'https://',
    autocomplete: 'off',
  });
  const externalService = h(
    'select',
    { class: 'form-select', name: 'service' },
    [
      ['WMS', T.serviceWms],
      ['WMTS', T.serviceWmts],
      ['WFS', T.serviceWfs],
    ].map(([value, label]) => h('option', { value }, label)),
  );
  const externalInfo = h('p', { class: 'small mb-1' });
  const externalLayers = h('ul', { class: 'list-unstyled mb-0 gp-composer-results' });
  const externalForm = h(
    'form',
    { class: 'mb-2', novalidate: true, onsubmit: (event) => { event.preventDefault(); readCapabilities(); } },
    field(T.externalUrl, externalUrl),
    field(T.externalService, externalService),
    h('button', { type: 'submit', class: 'btn btn-outline-primary btn-sm' }, T.externalRead),
  );
  body.append(collapsible(T.externalSection, externalForm, externalInfo, externalLayers));

  async function readCapabilities() {
    const address = externalUrl.value.trim();
    if (!/^https?:\/\//i.test(address)) {
      externalUrl.setAttribute('aria-invalid', 'true');
      announce(T.externalUrlRequired, 'danger');
      externalUrl.focus();
      return;
    }
    externalUrl.removeAttribute('aria-invalid');
    const service = externalService.value;
    const url = new URL(settings.capabilitiesUrl || '/cartes/capacites/', window.location.href);
    url.searchParams.set('url', address);
    url.searchParams.set('service', service);
    externalLayers.replaceChildren();
    externalInfo.textContent = '';
    announce(T.externalReading, 'info');
    const { ok, status: code, data } = await fetchJson(url.toString());
    if (!ok || !data) {
      announce(code === 0 ? T.network : errorMessage(data, T.externalFailed), 'danger');
      return;
    }
    const layers = Array.isArray(data.layers) ? data.layers : [];
    // The viewer reads WMTS layers from the capabilities document the producer gave.
    const capabilities = { ...data, capabilities_url: capabilitiesHref(address, service) };
    layers.forEach((layer) => externalLayers.append(externalLayer(capabilities, service.toLowerCase(), layer)));
    announce(T.externalCount(layers.length, data.title || ''), 'info');
    externalInfo.textContent = T.externalCount(layers.length, data.title || '');
  }

  function externalLayer(capabilities, service, layer) {
    const title = layer.title || layer.name;
    return h(
      'li',
      { class: 'd-flex align-items-start justify-content-between gap-2 border-bottom py-2' },
      h(
        'div',
        { class: 'small' },
        h('span', { class: 'fw-semibold' }, title),
        layer.title && layer.name !== layer.title ? h('div', { class: 'text-body-secondary' }, layer.name) : null,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-outline-primary btn-sm flex-shrink-0',
          'aria-label': T.addExternalLabel(title),
          onclick: () => {
            addToMap(externalResource(capabilities, service, layer, { taken: takenIds() }));
          },
        },
        T.add,
      ),
    );
  }

  /* --- layers of the map ------------------------------------------------ */

  const layerList = h('ol', { class: 'list-unstyled mb-0 gp-composer-layers' });
  const layersEmpty = h('p', { class: 'small mb-0' }, T.layersEmpty);
  const folderList = h('datalist', { id: nextId('folders') });
  body.append(section(T.layersSection, layersEmpty, layerList, folderList));
  const rows = new Map();

  /** Puts `resource` on top of the map; the first layer of a map also brings the view to its extent. */
  function addToMap(resource) {
    const first = resources().length === 0;
    viewer.addResource(resource);
    if (first && resource.bbox && typeof viewer.fitWgs84 === 'function') viewer.fitWgs84(resource.bbox);
    announce(T.added(resource.properties.title), 'success');
  }

  function takenIds() {
    return new Set(resources().map((r) => r.id));
  }

  function resources() {
    try {
      return viewer.resources() || [];
    } catch {
      return [];
    }
  }

  function renderLayers() {
    const list = resources();
    const ids = new Set(list.map((r) => r.id));
    rows.forEach((row, id) => {
      if (!ids.has(id)) {
        row.remove();
        rows.delete(id);
      }
    });
    list.forEach((resource, index) => {
      let row = rows.get(resource.id);
      if (!row) {
        row = layerRow(resource);
        rows.set(resource.id, row);
      }
      row.gpUpdate(resource);
      if (layerList.children[index] !== row) layerList.insertBefore(row, layerList.children[index] || null);
    });
    layersEmpty.hidden = list.length > 0;
    const folders = [...new Set(list.map((r) => folderLabel(r.properties.folder)).filter(Boolean))].sort();
    folderList.replaceChildren(...folders.map((f) => h('option', { value: f })));
  }

  function layerRow(resource) {
    const id = resource.id;
    const legend = h('legend', { class: 'h6 mb-2 text-break' });
    const nameInput = h('input', { type: 'text', class: 'form-control form-control-sm', maxlength: '255' });
    const folderInput = h('input', {
      type: 'text',
      class: 'form-control form-control-sm',
      list: folderList.id,
      autocomplete: 'off',
    });
    const styleSelect = h('select', { class: 'form-select form-select-sm' });
    const styleField = field(T.layerStyle, styleSelect);
    const removeButton = h('button', { type: 'button', class: 'btn btn-outline-danger btn-sm' }, T.layerRemove);
    const row = h(
      'li',
      { class: 'border rounded p-2 mb-2' },
      h(
        'fieldset',
        {},
        legend,
        field(T.layerName, nameInput),
        field(T.layerFolder, folderInput, T.layerFolderHelp),
        styleField,
        removeButton,
      ),
    );
    let current = resource;
    let stylesLoaded = false;

    nameInput.addEventListener('change', () => {
      const title = nameInput.value.trim();
      if (!title) {
        nameInput.value = current.properties.title || '';
        return;
      }
      viewer.updateResource(id, { title });
      announce(T.renamed(title), 'success');
    });
    folderInput.addEventListener('change', () => {
      const folder = normaliseFolder(folderInput.value);
      viewer.updateResource(id, { folder });
      announce(T.grouped(current.properties.title, folderLabel(folder)), 'success');
    });
    styleSelect.addEventListener('change', () => {
      viewer.updateResource(id, { style: styleSelect.value });
      const label = styleSelect.selectedOptions[0] ? styleSelect.selectedOptions[0].textContent : styleSelect.value;
      announce(T.styled(current.properties.title, label), 'success');
    });
    removeButton.addEventListener('click', () => {
      const title = current.properties.title;
      const position = [...layerList.children].indexOf(row);
      viewer.removeResource(id);
      announce(T.removed(title), 'success');
      // Keep the keyboard where it was: on the next layer's remove button, or the search field.
      const next = layerList.children[position] || layerList.children[position - 1];
      const target = next ? next.querySelector('button') : searchInput;
      if (target) target.focus();
    });

    row.gpUpdate = (next) => {
      current = next;
      const title = next.properties.title || '';
      legend.textContent = title;
      removeButton.setAttribute('aria-label', T.layerRemoveLabel(title));
      if (document.activeElement !== nameInput) nameInput.value = title;
      if (document.activeElement !== folderInput) folderInput.value = folderLabel(next.properties.folder);
      const offering = (next.properties.offerings || [])[0] || {};
      const styles = Array.isArray(offering.styles) ? offering.styles : [];
      const style = currentStyle(next);
      if (!stylesLoaded || styleSelect.options.length !== Math.max(styles.length, 1)) {
        styleSelect.replaceChildren(
          ...(styles.length
            ? styles.map((s) => h('option', { value: s.name }, s.title || s.name))
            : [h('option', { value: '' }, T.layerStyleDefault)]),
        );
        stylesLoaded = true;
      }
      if (document.activeElement !== styleSelect) styleSelect.value = style || (styles[0] ? styles[0].name : '');
      styleField.hidden = styles.length < 2;
    };
    return row;
  }

  if (typeof viewer.on === 'function') {
    viewer.on('change', (event) => {
      renderLayers();
      if (!event || event.type !== 'load') state.changes += 1;
    });
  }
  const changed = () => {
    state.changes += 1;
  };
  [titleInput, descriptionInput, publicInput].forEach((input) => input.addEventListener('input', changed));
  window.addEventListener('beforeunload', (event) => {
    if (!state.changes) return;
    event.preventDefault();
    event.returnValue = '';
  });
  renderLayers();

  /* --- context file ----------------------------------------------------- */

  const fileInput = h('input', {
    type: 'file',
    class: 'form-control form-control-sm',
    accept: '.json,.geojson,application/json,application/geo+json',
  });
  const importForm = h(
    'form',
    { class: 'mt-3', onsubmit: (event) => { event.preventDefault(); importFile(); } },
    field(T.importLabel, fileInput),
    h('button', { type: 'submit', class: 'btn btn-outline-primary btn-sm' }, T.importButton),
  );
  body.append(
    collapsible(
      T.fileSection,
      h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm', onclick: exportFile }, T.exportButton),
      importForm,
    ),
  );

  function exportFile() {
    const blob = new Blob([JSON.stringify(composeDocument(), null, 2)], { type: 'application/geo+json' });
    const href = URL.createObjectURL(blob);
    const link = h('a', { href, download: 'contexte.json', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 1000);
    announce(T.exported, 'success');
  }

  async function importFile() {
    const file = fileInput.files && fileInput.files[0];
    if (!file) {
      announce(T.importNoFile, 'danger');
      fileInput.focus();
      return;
    }
    if (file.size > MAX_IMPORT_BYTES) {
      announce(T.importTooBig, 'danger');
      return;
    }
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch {
      doc = null;
    }
    if (!doc || doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) {
      announce(T.importBad, 'danger');
      return;
    }
    // Each imported layer gets an identifier of its own, so that a map imported twice has no clash.
    doc.features = doc.features.map((feature) => ({ ...feature, id: feature.id || newResourceId() }));
    try {
      viewer.loadContext(doc);
    } catch {
      announce(T.importBad, 'danger');
      return;
    }
    const properties = doc.properties || {};
    titleInput.value = properties.title || titleInput.value;
    descriptionInput.value = properties.subtitle || '';
    state.initialBbox = Array.isArray(doc.bbox) && doc.bbox.length === 4 ? doc.bbox : state.initialBbox;
    showExtent();
    renderLayers();
    state.changes += 1;
    announce(T.imported(doc.features.length), 'success');
  }

  return viewer;
}

/** The GetCapabilities request of the service the producer gave (a RESTful WMTS document is taken as is). */
function capabilitiesHref(address, service) {
  const url = new URL(address);
  if (service === 'WMTS' && url.pathname.toLowerCase().endsWith('.xml')) return url.toString();
  return kvp(address, { SERVICE: service, REQUEST: 'GetCapabilities' });
}

function viewerSiteUrl(viewer) {
  if (viewer && typeof viewer.siteUrl === 'string') return viewer.siteUrl;
  const el = document.querySelector('[data-gp-viewer]');
  return el ? el.dataset.siteUrl || '' : '';
}

function section(title, ...content) {
  const id = nextId('section');
  return h(
    'section',
    { class: 'mb-3', 'aria-labelledby': id },
    h('h3', { class: 'h6 text-uppercase mb-2', id }, title),
    ...content,
  );
}

function collapsible(title, ...content) {
  return h(
    'details',
    { class: 'mb-3' },
    h('summary', { class: 'h6 mb-2' }, title),
    h('div', { class: 'pt-1' }, ...content),
  );
}
