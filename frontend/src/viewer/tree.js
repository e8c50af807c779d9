// The layer tree: groups (OWC `folder`), visibility, opacity, order (buttons, keyboard), zoom to extent, filter,
// and each layer's legend. Lists and labelled controls, so that a screen reader reads it as a list of layers.
import { h, uid } from './dom.js';
import { wmsInfo } from './layers.js';

const ICONS = {
  // Corners of a frame: zoom to the layer's extent.
  zoom: 'M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4',
  // A funnel: filter by attribute.
  filter: 'M1.5 2h13L9.5 8.5V14l-3-1.5V8.5z',
};

function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.6');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  return svg;
}

function legendUrl(feature, siteUrl) {
  const info = wmsInfo(feature, siteUrl);
  if (!info || !info.layers) return null;
  const query = new URLSearchParams({
    SERVICE: 'WMS',
    VERSION: '1.3.0',
    REQUEST: 'GetLegendGraphic',
    LAYER: info.layers.split(',')[0],
    FORMAT: 'image/png',
    SLD_VERSION: '1.1.0',
  });
  if (info.params.STYLES) query.set('STYLE', info.params.STYLES.split(',')[0]);
  return `${info.url}?${query}`;
}

// Tree nodes in context order: a folder appears where its first layer is.
function buildTree(resources) {
  const root = { children: [], folders: {} };
  for (const feature of resources) {
    let node = root;
    for (const name of String(feature.properties.folder || '').split('/').filter(Boolean)) {
      if (!node.folders[name]) {
        node.folders[name] = { name, children: [], folders: {} };
        node.children.push(node.folders[name]);
      }
      node = node.folders[name];
    }
    node.children.push({ feature });
  }
  return root;
}

export function initTree(viewer) {
  const { el, t } = viewer;
  const container = el.querySelector('[data-gp-tree]');
  const baseSelect = el.querySelector('[data-gp-basemap]');
  let legendsLoaded = false;

  function layerItem(feature) {
    const props = feature.properties;
    const title = props.title || feature.id;
    const entry = viewer.entry(feature.id);
    const position = viewer.index(feature.id);
    const count = viewer.resources().length;
    const checkId = uid('gp-layer');
    const opacityId = uid('gp-opacity');
    const opacity = Math.round((Number.isFinite(Number(props['gp:opacity'])) ? Number(props['gp:opacity']) : 1) * 100);
    const button = (action, label, symbol, onclick, disabled = false) =>
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-outline-secondary gp-icon-btn',
          'data-gp-action': action,
          'aria-label': label,
          title: label,
          disabled,
          onclick,
        },
        typeof symbol === 'string' ? h('span', { 'aria-hidden': 'true' }, symbol) : symbol,
      );
    const move = (delta) => () => {
      if (viewer.move(feature.id, delta)) {
        const again = container.querySelector(
          `[data-gp-resource="${CSS.escape(feature.id)}"] [data-gp-action="${delta < 0 ? 'up' : 'down'}"]`,
        );
        // At the end of the list the same button is disabled: the other direction keeps the focus in place.
        const fallback = container.querySelector(
          `[data-gp-resource="${CSS.escape(feature.id)}"] [data-gp-action="${delta < 0 ? 'down' : 'up'}"]`,
        );
        (again && !again.disabled ? again : fallback)?.focus();
      }
    };
    const legend = legendUrl(feature, viewer.siteUrl);
    const img = legend
      ? h('img', { alt: t('legendOf', { title }), 'data-src': legend, class: 'gp-legend-img', loading: 'lazy' })
      : null;
    if (img && legendsLoaded) img.src = legend;
    return h(
      'li',
      {
        class: 'gp-layer',
        'data-gp-resource': feature.id,
        // Dragging a layer (by its title row) onto another puts it there; the arrow buttons do it from the keyboard.
        ondragover: (event) => {
          if (event.dataTransfer.types.includes('application/x-gp-resource')) event.preventDefault();
        },
        ondrop: (event) => {
          const dragged = event.dataTransfer.getData('application/x-gp-resource');
          if (!dragged || dragged === feature.id) return;
          event.preventDefault();
          viewer.move(dragged, viewer.index(feature.id) - viewer.index(dragged));
        },
      },
      h(
        'div',
        {
          class: 'gp-layer-head',
          draggable: 'true',
          ondragstart: (event) => {
            event.dataTransfer.setData('application/x-gp-resource', feature.id);
            event.dataTransfer.effectAllowed = 'move';
          },
        },
        h('input', {
          type: 'checkbox',
          class: 'form-check-input',
          id: checkId,
          checked: props.active !== false,
          onchange: (event) => viewer.setVisible(feature.id, event.target.checked),
        }),
        h(
          'label',
          { for: checkId, class: 'gp-layer-title' },
          title,
          entry && entry.layer && entry.layer.get('gpError')
            ? h('span', { class: 'badge text-bg-warning ms-1' }, t('unavailable'))
            : null,
          props['gp:filter'] ? h('span', { class: 'badge text-bg-info ms-1' }, t('filtered')) : null,
        ),
        h(
          'div',
          { class: 'btn-group btn-group-sm', role: 'group', 'aria-label': title },
          button('up', t('up', { title }), '↑', move(-1), position === 0),
          button('down', t('down', { title }), '↓', move(1), position === count - 1),
          button('zoom', t('zoomTo', { title }), icon('zoom'), () => viewer.zoomToResource(feature.id)),
          props['gp:dataset'] && viewer.openFilter
            ? button('filter', t('filter', { title }), icon('filter'), () => viewer.openFilter(feature.id))
            : null,
        ),
      ),
      h(
        'div',
        { class: 'gp-layer-opacity' },
        h('label', { for: opacityId, class: 'small' }, t('opacityLabel')),
        h('input', {
          type: 'range',
          class: 'form-range',
          id: opacityId,
          min: '0',
          max: '100',
          step: '5',
          value: String(opacity),
          'aria-valuetext': `${opacity} %`,
          'aria-label': t('opacity', { title }),
          oninput: (event) => {
            event.target.setAttribute('aria-valuetext', `${event.target.value} %`);
            viewer.setOpacity(feature.id, Number(event.target.value) / 100);
          },
        }),
      ),
      img
        ? h(
            'details',
            { class: 'gp-legend', open: true },
            h('summary', {}, t('legend')),
            h('p', { class: 'small mb-1' }, title),
            img,
          )
        : null,
    );
  }

  function list(children, labelledBy) {
    return h(
      'ul',
      { class: 'gp-tree', 'aria-labelledby': labelledBy },
      children.map((node) => {
        if (node.feature) return layerItem(node.feature);
        const id = uid('gp-group');
        return h(
          'li',
          { class: 'gp-group' },
          h('details', { open: true }, h('summary', { id }, node.name), list(node.children, id)),
        );
      }),
    );
  }

  function render() {
    if (!container) return;
    const resources = viewer.resources();
    container.replaceChildren(
      resources.length
        ? list(buildTree(resources).children, container.dataset.labelledby || null)
        : h('p', { class: 'text-body-secondary small' }, t('noLayers')),
    );
  }

  function renderBaseMaps() {
    if (!baseSelect) return;
    baseSelect.replaceChildren(
      ...viewer.baseMaps().map((b) => h('option', { value: b.id, selected: b.id === viewer.baseMapId() }, b.name)),
      h('option', { value: 'none', selected: viewer.baseMapId() === 'none' }, t('basemapNone')),
    );
  }
  if (baseSelect) baseSelect.addEventListener('change', () => viewer.setBaseMap(baseSelect.value));

  viewer.on('change', ({ type }) => {
    if (type === 'opacity') return;
    if (type === 'basemap' || type === 'load') renderBaseMaps();
    if (type !== 'visibility' && type !== 'basemap') render();
  });
  viewer.on('layererror', render);
  // Legends load after the map's first complete render, so that they do not compete with it.
  viewer.on('ready', () => {
    legendsLoaded = true;
    container?.querySelectorAll('img[data-src]').forEach((img) => {
      if (!img.src) img.src = img.dataset.src;
    });
  });
}
