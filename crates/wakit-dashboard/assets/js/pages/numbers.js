// Settings › Numbers: each connected WhatsApp number checked against Meta
// (GET /functions/v1/api/health): status, quality rating, messaging limit, and the
// token or API error when the check failed.

import { h, mount } from '../dom.js';
import { loader, table, orgFn, pageFrame } from '../ui.js';

const QUALITY = { GREEN: 'High', YELLOW: 'Medium', RED: 'Low', UNKNOWN: 'Unknown' };

function statusCell(item) {
  const ok = item.status === 'active';
  return h('span', { class: `pill ${ok ? 'pill-ok' : 'pill-bad'}` }, ok ? 'Active' : 'Error');
}

export function render({ root, org, signal, setTitle }) {
  setTitle('Numbers');
  const body = h('div', {});
  let reload = null;
  mount(root, pageFrame('Numbers',
    h('p', { class: 'intro' }, 'Checked with Meta now: a failing token or a low quality rating shows here first.'),
    h('section', { class: 'card', 'aria-labelledby': 'numbers-title' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'numbers-title' }, 'Connected numbers'),
        h('button', { type: 'button', class: 'button button-small', onclick: () => reload() }, 'Check again')),
      body)));
  reload = loader(body, () => orgFn(org, '/health', { signal }), (answer) =>
    table('Connected numbers', ['Number', 'Name', 'Status', 'Quality', 'Messaging limit', 'Problem'],
      (answer.accounts || []).map((a) => [
        `+${a.phone}`, a.name, statusCell(a),
        a.quality ? (QUALITY[a.quality] || a.quality) : '—',
        a.messaging_limit || '—',
        a.error ? `${a.error}${a.error_code ? ` (code ${a.error_code})` : ''}` : '—',
      ]), 'No number is connected yet.'), 'Checking the numbers with Meta…');
}
