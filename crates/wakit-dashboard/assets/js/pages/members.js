// Settings › Members (admins read; owners invite, change roles and remove, as the
// /rest/v1 policy says): the organization's people — human `agents` rows with their
// role (`extra.role`) and invitation — through /rest/v1/agents. An invitation is a row
// with `extra.invitation = {email, status: "pending"}`: whoever signs up with that
// address joins. The last owner is neither demoted nor removed (the server skips the
// row; the page says so).

import { h, mount, field } from '../dom.js';
import { rest, restWrite } from '../api.js';
import { loader, table, confirmDialog, form, rowAction, pageFrame } from '../ui.js';
import { ROLES } from '../orgs.js';

const LAST_OWNER = 'An organization keeps at least one owner: make someone else owner first.';

function roleOf(row) {
  return ROLES.includes(row.extra?.role) ? row.extra.role : 'member';
}

function statusOf(row) {
  const inv = row.extra?.invitation;
  if (inv && inv.status === 'pending') return 'Invited (not signed up yet)';
  return 'Active';
}

export function render({ root, org, user, signal, setTitle }) {
  setTitle('Members');
  const owner = org.role === 'owner';
  const rowError = h('p', { class: 'form-error', role: 'alert' });
  const listBody = h('div', {});
  const scope = { organization_id: `eq.${org.id}` };

  async function change(row, body, button) {
    await rowAction(button, rowError, async () => {
      const changed = await restWrite('PATCH', 'agents', { id: `eq.${row.id}`, ...scope }, body);
      if (!changed.length) throw new Error(LAST_OWNER);
      reload();
    });
  }

  function roleControl(row) {
    const role = roleOf(row);
    if (!owner) return role;
    const label = `Role of ${row.name}`;
    const select = h('select', { 'aria-label': label },
      ROLES.map((r) => h('option', { value: r, selected: r === role }, r)));
    select.addEventListener('change', async () => {
      await change(row, { extra: { ...row.extra, role: select.value } }, select);
      if (rowError.textContent) select.value = role;
    });
    return select;
  }

  function removeButton(row) {
    if (!owner) return '';
    return h('button', {
      type: 'button', class: 'button button-small button-danger', 'aria-label': `Remove ${row.name}`,
      onclick: async (e) => {
        const button = e.currentTarget;
        if (!(await confirmDialog(`Remove ${row.name} from ${org.name}?`, 'Remove'))) return;
        await rowAction(button, rowError, async () => {
          const gone = await restWrite('DELETE', 'agents', { id: `eq.${row.id}`, ...scope });
          if (!gone.length) throw new Error(LAST_OWNER);
          reload();
        });
      },
    }, 'Remove');
  }

  const reload = loader(listBody,
    () => rest('agents', { select: 'id,user_id,name,extra,created_at', ai: 'is.false', ...scope, order: 'created_at.asc' }, { signal }),
    (rows) => table('Members', ['Person', 'Role', 'Status', ''], rows.map((r) => [
        h('span', {}, r.name, r.user_id && r.user_id === user?.id ? h('span', { class: 'muted' }, ' (you)') : null),
        roleControl(r),
        statusOf(r),
        removeButton(r),
      ]), 'No members.'));

  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' });
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r }, r)));
  const invited = h('p', { role: 'status', class: 'form-status' });
  const invite = owner && form({ class: 'card', 'aria-labelledby': 'invite-title' }, [
    h('h2', { id: 'invite-title' }, 'Invite someone'),
    field('E-mail address', email, 'They join when they sign up with this address.'),
    field('Role', role, 'Members answer conversations; admins also manage webhooks, AI agents and the organization; owners everything.'),
    invited,
    h('button', { type: 'submit', class: 'button button-primary' }, 'Invite'),
  ], async () => {
    const address = email.value.trim().toLowerCase();
    await restWrite('POST', 'agents', null, {
      organization_id: org.id, name: address, ai: false,
      extra: { role: role.value, invitation: { email: address, status: 'pending' } },
    });
    invited.textContent = `${address} is invited as ${role.value}.`;
    email.value = '';
    reload();
    return invited.textContent;
  });

  mount(root, pageFrame('Members',
    owner ? null : h('p', { class: 'intro' }, 'Only owners invite people and change their roles.'),
    invite || null,
    h('section', { class: 'card', 'aria-labelledby': 'members-title' },
      h('h2', { id: 'members-title' }, 'People'),
      h('p', { class: 'hint' }, LAST_OWNER),
      rowError, listBody)));
}
