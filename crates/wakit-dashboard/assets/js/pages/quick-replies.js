// Quick replies (members read them — the inbox offers them on "/" —; admins write them,
// as /rest/v1's policy says): list, create, edit and delete through
// /rest/v1/quick_replies.

import { h, mount, field } from '../dom.js';
import { rest, restWrite } from '../api.js';
import { atLeast } from '../orgs.js';
import { loader, table, confirmDialog, form, rowAction, pageFrame } from '../ui.js';

export function render({ root, org, signal, setTitle }) {
  setTitle('Quick replies');
  const admin = atLeast(org.role, 'admin');
  const scope = { organization_id: `eq.${org.id}` };
  const rowError = h('p', { class: 'form-error', role: 'alert' });
  const listBody = h('div', {});
  let editing = null; // the row being edited, or null for a new one

  const name = h('input', { name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  const content = h('textarea', { name: 'content', required: true, rows: 3, maxlength: 4096 });
  const heading = h('h2', { id: 'qr-form-title', tabindex: '-1' }, 'New quick reply');
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Add quick reply');
  const cancel = h('button', { type: 'button', class: 'button', hidden: true, onclick: () => edit(null) }, 'Cancel');

  function edit(row) {
    editing = row;
    name.value = row?.name || '';
    content.value = row?.content || '';
    heading.textContent = row ? `Edit “${row.name}”` : 'New quick reply';
    submit.textContent = row ? 'Save quick reply' : 'Add quick reply';
    cancel.hidden = !row;
    if (row) heading.focus();
  }

  const editor = admin && form({ class: 'card', 'aria-labelledby': 'qr-form-title' }, [
    heading,
    field('Shortcut name', name, 'Typed after "/" in the composer.'),
    field('Reply text', content),
    h('div', { class: 'row-actions' }, submit, cancel),
  ], async () => {
    const body = { name: name.value.trim(), content: content.value };
    if (editing) {
      const [saved] = await restWrite('PATCH', 'quick_replies', { id: `eq.${editing.id}`, ...scope }, body);
      if (!saved) throw new Error('The quick reply was not changed.');
    } else {
      await restWrite('POST', 'quick_replies', null, { ...body, organization_id: org.id });
    }
    const done = editing ? 'Quick reply saved.' : 'Quick reply added.';
    edit(null);
    reload();
    return done;
  });

  const actions = (r) => (admin ? h('div', { class: 'row-actions' },
    h('button', { type: 'button', class: 'button button-small', 'aria-label': `Edit ${r.name}`, onclick: () => edit(r) }, 'Edit'),
    h('button', {
      type: 'button', class: 'button button-small button-danger', 'aria-label': `Delete ${r.name}`,
      onclick: async (e) => {
        const button = e.currentTarget;
        if (!(await confirmDialog(`Delete the quick reply “${r.name}”?`, 'Delete'))) return;
        await rowAction(button, rowError, async () => {
          await restWrite('DELETE', 'quick_replies', { id: `eq.${r.id}`, ...scope });
          if (editing?.id === r.id) edit(null);
          reload();
        });
      },
    }, 'Delete')) : '');

  const reload = loader(listBody,
    () => rest('quick_replies', { select: 'id,name,content', ...scope, order: 'name.asc' }, { signal }),
    (rows) => table('Quick replies', ['Shortcut', 'Reply', ''],
      rows.map((r) => [`/${r.name}`, h('span', { class: 'pre' }, r.content), actions(r)]), 'No quick replies yet.'));

  mount(root, pageFrame('Quick replies',
    admin ? null : h('p', { class: 'intro' }, 'Admins add and change quick replies.'),
    editor || null,
    h('section', { class: 'card', 'aria-labelledby': 'qr-title' }, h('h2', { id: 'qr-title' }, 'Quick replies'), rowError, listBody)));
}
