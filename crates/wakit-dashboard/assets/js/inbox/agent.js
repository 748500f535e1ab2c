// The AI agent's state in a conversation, shown when the organization has an active AI
// agent: "AI agent active" or "AI agent paused" (a person's reply pauses it for the org's
// pause hours), and for admins a button that pauses or resumes it here.

import { h, mount, errorPanel } from '../dom.js';
import { fn } from '../api.js';
import { atLeast } from '../orgs.js';

export function createAgentState({ org, conv, signal }) {
  const el = h('div', { class: 'agent-state', hidden: true });
  const path = `/conversations/${conv.id}/agent`;
  const query = { organization_id: org.id };

  function show(view) {
    el.hidden = !view.active_agents;
    if (el.hidden) return;
    const badge = h('span', { class: `agent-badge${view.paused ? ' paused' : ''}`, role: 'status' },
      view.paused ? 'AI agent paused' : 'AI agent active');
    const toggle = atLeast(org.role, 'admin') && h('button', {
      type: 'button', class: 'button button-quiet', onclick: () => set(!view.paused),
    }, view.paused ? 'Resume AI agent' : 'Pause AI agent');
    mount(el, badge, toggle);
  }

  function failed(err, retry) {
    if (signal.aborted) return;
    el.hidden = false;
    mount(el, errorPanel(err, retry));
  }

  async function set(paused) {
    try {
      show(await fn(path, { method: 'POST', query, body: { paused }, signal }));
    } catch (err) { failed(err, () => set(paused)); }
  }

  async function load() {
    try {
      show(await fn(path, { query, signal }));
    } catch (err) { failed(err, load); }
  }

  return { el, load, refresh: load };
}
