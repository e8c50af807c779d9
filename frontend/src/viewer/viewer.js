// Placeholder until the viewer module lands (this session).
export function initViewer(el) {
  return el;
}
