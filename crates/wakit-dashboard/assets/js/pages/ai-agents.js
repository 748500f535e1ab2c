// Settings › AI agents (admins): the organization's AI agents (GET/POST/PATCH
// /functions/v1/api/agents with the signed-in admin's token): provider URL, model,
// instructions, tools as JSON, active or inactive, and the provider's API key — written,
// never shown (the server seals it and answers only whether one is set).

import { h, mount, field } from '../dom.js';
import { loader, table, form, orgFn, pageFrame } from '../ui.js';

function agentForm(org, agent, done) {
  const x = agent?.extra || {};
  const name = h('input', { name: 'name', required: true, maxlength: 100, value: agent?.name || '' });
  const url = h('input', { type: 'url', name: 'api_url', required: true, value: x.api_url || '', placeholder: 'https://api.openai.com/v1' });
  const model = h('input', { name: 'model', required: true, value: x.model || '' });
  const instructions = h('textarea', { name: 'instructions', rows: 5 }, x.instructions || '');
  const tools = h('textarea', { name: 'tools', rows: 4, spellcheck: false }, JSON.stringify(x.tools || [], null, 2));
  const mode = h('select', { name: 'mode' },
    h('option', { value: 'active', selected: x.mode === 'active' }, 'Active: answers conversations'),
    h('option', { value: 'inactive', selected: x.mode !== 'active' }, 'Inactive'));
  const key = h('input', { type: 'password', name: 'api_key', autocomplete: 'off', required: !agent });
  const title = agent ? `Edit ${agent.name}` : 'New AI agent';
  const keyHint = agent?.has_api_key ? 'A key is set (never shown). Leave empty to keep it.' : 'Stored sealed; never shown again.';
  return form({ class: 'card', 'aria-label': title }, [
    h('h2', { tabindex: '-1', class: 'form-title' }, title),
    field('Agent name', name),
    field('Provider API URL', url, 'An OpenAI-compatible chat completions endpoint.'),
    field('Model', model),
    field('Instructions', instructions),
    field('Tools (JSON)', tools, 'A JSON array of tool definitions; [] for none.'),
    field('State', mode),
    field('Provider API key', key, keyHint),
    h('button', { type: 'submit', class: 'button button-primary' }, agent ? 'Save agent' : 'Create agent'),
  ], async () => {
    let parsed;
    try { parsed = JSON.parse(tools.value || '[]'); } catch (err) { throw new Error(`Tools must be JSON: ${err.message}`); }
    if (!Array.isArray(parsed)) throw new Error('Tools must be a JSON array.');
    const extra = { api_url: url.value.trim(), model: model.value.trim(), instructions: instructions.value, tools: parsed, mode: mode.value };
    if (key.value) extra.api_key = key.value;
    const body = { name: name.value.trim(), extra };
    if (agent) await orgFn(org, `/agents/${agent.id}`, { method: 'PATCH', body });
    else await orgFn(org, '/agents', { method: 'POST', body });
    done();
    return agent ? 'Agent saved.' : 'Agent created.';
  });
}

export function render({ root, org, signal, setTitle }) {
  setTitle('AI agents');
  const editor = h('div', {});
  const listBody = h('div', {});
  // After a save: a fresh form for a new agent, and the list again.
  const saved = () => { show(null, false); reload(); };
  const show = (agent, focus = true) => {
    mount(editor, agentForm(org, agent, saved));
    if (focus) editor.querySelector('.form-title')?.focus();
  };
  const reload = loader(listBody, () => orgFn(org, '/agents', { signal }), (answer) =>
    table('AI agents', ['Name', 'Model', 'State', 'Key', ''],
      (answer.agents || []).map((a) => [
        a.name, a.extra?.model || '—',
        h('span', { class: `pill ${a.extra?.mode === 'active' ? 'pill-ok' : 'pill-bad'}` }, a.extra?.mode === 'active' ? 'Active' : 'Inactive'),
        a.has_api_key ? 'Set' : 'None',
        h('button', { type: 'button', class: 'button button-small', 'aria-label': `Edit ${a.name}`, onclick: () => show(a) }, 'Edit'),
      ]), 'No AI agents yet.'));
  mount(root, pageFrame('AI agents',
    h('p', { class: 'intro' }, 'An active agent answers customers when no person does; pause it per conversation from the inbox.'),
    h('section', { class: 'card', 'aria-labelledby': 'agents-title' }, h('h2', { id: 'agents-title' }, 'Agents'), listBody),
    editor));
  show(null, false);
}
