// Settings › API keys (owners): the organization's keys by prefix, name, role and date;
// a new key (POST /rest/v1/api_keys answers it once, with a copy button); revoking
// (DELETE /rest/v1/api_keys) after a confirmation.

import { h, mount, field } from '../dom.js';
import { rest, restWrite } from '../api.js';
import { loader, table, confirmDialog, shownOnce, form, rowAction, when, pageFrame } from '../ui.js';

export function render({ root, org, signal, setTitle }) {
  setTitle('API keys');
  const list = h('section', { 'aria-labelledby': 'keys-title', class: 'card' });
  const created = h('div', {});
  const rowError = h('p', { class: 'form-error', role: 'alert' });
  const listBody = h('div', {});
  mount(list, h('h2', { id: 'keys-title' }, 'Keys'), rowError, listBody);

  const reload = loader(listBody,
    () => rest('api_keys', {
      select: 'id,name,role,prefix,created_at,revoked_at',
      organization_id: `eq.${org.id}`, order: 'created_at.desc',
    }, { signal }),
    (keys) => table('API keys', ['Prefix', 'Name', 'Role', 'Created', ''],
      keys.map((k) => [
        h('code', {}, `${k.prefix}…`), k.name, k.role, when(k.created_at),
        k.revoked_at
          ? `Revoked ${when(k.revoked_at)}`
          : h('button', {
            type: 'button', class: 'button button-small button-danger',
            'aria-label': `Revoke ${k.name}`,
            onclick: async (e) => {
              const button = e.currentTarget;
              const sure = await confirmDialog(`Revoke the key "${k.name}"? Programs using it stop working at once.`, 'Revoke');
              if (!sure) return;
              await rowAction(button, rowError, async () => {
                await restWrite('DELETE', 'api_keys', { id: `eq.${k.id}`, organization_id: `eq.${org.id}` });
                mount(created);
                reload();
              });
            },
          }, 'Revoke'),
      ]), 'No API keys yet.'));

  const name = h('input', { name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  const role = h('select', { name: 'role' },
    h('option', { value: 'member' }, 'member'),
    h('option', { value: 'admin' }, 'admin'),
    h('option', { value: 'owner' }, 'owner'));
  const create = form({ class: 'card', 'aria-labelledby': 'new-key-title' }, [
    h('h2', { id: 'new-key-title' }, 'New key'),
    field('Key name', name, 'What uses it, e.g. "CRM sync".'),
    field('Key role', role, 'What the key may do: members send and read; admins also manage webhooks and AI agents; owners everything.'),
    h('button', { type: 'submit', class: 'button button-primary' }, 'Create key'),
  ], async () => {
    const [row] = await restWrite('POST', 'api_keys', null, { organization_id: org.id, name: name.value.trim(), role: role.value });
    mount(created, shownOnce('The new API key', row.key,
      'Copy the key now: it is shown only this once. Keep it in your program’s secrets.'));
    name.value = '';
    reload();
    return 'API key created.';
  });

  mount(root, pageFrame('API keys',
    h('p', { class: 'intro' }, 'Programs call the wakit API with a key (Authorization: Bearer sk_…). Only its hash is stored.'),
    created, create, list));
}
