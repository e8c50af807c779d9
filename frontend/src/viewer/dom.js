// Small DOM and text helpers shared by the viewer modules.

// French texts of the viewer; the page may pass translated ones in data-messages (JSON, see viewer/views.py).
const FRENCH = {
  noLayers: 'Cette carte ne contient aucune couche.',
  opacity: 'Opacité de « {title} »',
  up: 'Monter « {title} »',
  down: 'Descendre « {title} »',
  zoomTo: 'Zoomer sur l’emprise de « {title} »',
  filter: 'Filtrer « {title} »',
  legend: 'Légende',
  legendOf: 'Légende de « {title} »',
  unavailable: 'Couche indisponible',
  noExtent: 'L’emprise de « {title} » est inconnue.',
  moved: '« {title} » déplacée en position {position} sur {count}.',
  results: '{count} résultat(s) à cet endroit.',
  noResult: 'Aucun objet à cet endroit.',
  identifyFailed: 'L’interrogation de « {title} » a échoué.',
  resultOf: 'Objet {index} sur {count} — {title}',
  attribute: 'Attribut',
  value: 'Valeur',
  distance: 'Distance : {value}',
  area: 'Surface : {value}',
  measureHelp: 'Cliquez sur la carte pour placer les points, double-cliquez pour terminer.',
  searching: 'Recherche…',
  noPlace: 'Aucun lieu trouvé.',
  searchFailed: 'La recherche a échoué. Réessayez.',
  places: '{count} lieu(x) trouvé(s).',
  located: 'Carte centrée sur votre position (précision {accuracy} m).',
  locateFailed: 'Votre position n’est pas disponible.',
  filterApplied: 'Filtre appliqué à « {title} ».',
  filterRemoved: 'Filtre retiré de « {title} ».',
  filterAttributesFailed: 'Les attributs de cette couche ne sont pas disponibles.',
  copied: 'Copié dans le presse-papiers.',
  printing: 'Impression en cours…',
  printed: 'Le fichier est téléchargé.',
  printFailed: 'L’impression a échoué.',
  basemapLocal: 'Fond local (communes)',
  basemapNone: 'Aucun fond',
  filtered: 'filtrée',
  opacityLabel: 'Opacité',
  previous: 'Précédent',
  next: 'Suivant',
  zoomIn: 'Zoom avant',
  zoomOut: 'Zoom arrière',
  attributions: 'Attributions',
  fullscreen: 'Plein écran',
};

export function messages(el) {
  let given = {};
  try {
    given = JSON.parse(el.dataset.messages || '{}');
  } catch {
    given = {};
  }
  const all = { ...FRENCH, ...given };
  return (key, vars = {}) =>
    String(all[key] ?? key).replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

// h('button', {type: 'button', class: 'btn', onclick: fn}, 'text', child…)
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// Numbers as the page's language writes them (French: 1 234,5).
export const LOCALE = document.documentElement.lang || 'fr';

export function formatNumber(value, digits = 0) {
  return value.toLocaleString(LOCALE, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
