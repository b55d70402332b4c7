/** The headers that make a page cross-origin isolated (SharedArrayBuffer, so the cpu backend's threads share memory): the demo's servers and the test pages send them. */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
