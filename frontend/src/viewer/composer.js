// Placeholder until the composer module lands (this session).
export function initComposer(panel, viewer) {
  return viewer;
}
