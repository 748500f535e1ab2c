// Settings › Organization (admins; the name: owners, as /rest/v1's policy says): name
// and timezone (PATCH /rest/v1/organizations), the welcome message and response delay
// of the AI agents (PATCH /functions/v1/api/agent-settings).

import { h, mount, field } from '../dom.js';
import { rest, restWrite } from '../api.js';
import { loader, form, orgFn, pageFrame } from '../ui.js';

function timezones(current) {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const list = all.includes('UTC') ? all : ['UTC', ...all];
  return list.includes(current) ? list : [current, ...list];
}

function orgForm(org, row) {
  const owner = org.role === 'owner';
  const name = h('input', { name: 'name', required: true, maxlength: 200, value: row.name, readOnly: !owner });
  const tz = h('select', { name: 'timezone' }, timezones(row.timezone).map((z) => h('option', { value: z, selected: z === row.timezone }, z)));
  return form({ class: 'card', 'aria-labelledby': 'org-title' }, [
    h('h2', { id: 'org-title' }, 'Organization'),
    field('Organization name', name, owner ? null : 'Only owners rename the organization.'),
    field('Timezone', tz, 'Used for times and dates shown to your team.'),
    h('button', { type: 'submit', class: 'button button-primary' }, 'Save organization'),
  ], async () => {
    const body = { timezone: tz.value };
    if (owner && name.value.trim() !== row.name) body.name = name.value.trim();
    const [saved] = await restWrite('PATCH', 'organizations', { id: `eq.${org.id}` }, body);
    if (!saved) throw new Error('The organization was not changed (your role does not allow it).');
    Object.assign(row, saved);
    org.name = saved.name;
    org.timezone = saved.timezone;
    return 'Organization saved.';
  });
}

function agentForm(org, settings) {
  const welcome = h('textarea', { name: 'welcome', rows: 3, maxlength: 4096 }, settings.welcome_message || '');
  const delay = h('input', { type: 'number', name: 'delay', min: 0, max: 300, step: 1, value: String(settings.response_delay_seconds ?? 0) });
  return form({ class: 'card', 'aria-labelledby': 'replies-title' }, [
    h('h2', { id: 'replies-title' }, 'Automatic replies'),
    field('Welcome message', welcome, 'Sent first by the AI agent to a new conversation; empty for none.'),
    field('Response delay (seconds)', delay, 'How long the AI agent waits for more messages before answering (0–300).'),
    h('button', { type: 'submit', class: 'button button-primary' }, 'Save replies'),
  ], async () => {
    await orgFn(org, '/agent-settings', { method: 'PATCH', body: { welcome_message: welcome.value, response_delay_seconds: Number(delay.value) } });
    return 'Automatic replies saved.';
  });
}

export function render({ root, org, signal, setTitle }) {
  setTitle('Organization');
  const top = h('div', {});
  const replies = h('div', {});
  mount(root, pageFrame('Organization', top, replies));
  loader(top, async () => {
    const [row] = await rest('organizations', { select: 'id,name,timezone', id: `eq.${org.id}` }, { signal });
    return row;
  }, (row) => orgForm(org, row));
  loader(replies, () => orgFn(org, '/agent-settings', { signal }), (s) => agentForm(org, s));
}
