// Map viewer and composer bundle (dist/viewer.js), loaded by the viewer/templates pages only.
//   [data-gp-viewer]   -> initViewer(el): the OpenLayers viewer; sets el.gpViewer (see viewer.js)
//   [data-gp-composer] -> initComposer(el, viewer): the composer side panel driving that viewer
import { initViewer } from './viewer.js';
import { initComposer } from './composer.js';

function boot() {
  document.querySelectorAll('[data-gp-viewer]').forEach((el) => {
    const viewer = initViewer(el);
    document.querySelectorAll('[data-gp-composer]').forEach((panel) => initComposer(panel, viewer));
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
