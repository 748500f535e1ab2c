// Settings › Webhooks (admins): the organization's endpoints (GET/POST/DELETE
// /functions/v1/api/webhooks with the signed-in admin's token), the `whsec_` secret shown
// once on creation, a test delivery, and one endpoint's deliveries log (status,
// attempts, last response code) with a retry per delivery.

import { h, mount, field } from '../dom.js';
import { loader, table, confirmDialog, shownOnce, form, rowAction, orgFn, when, pageFrame } from '../ui.js';

function checkbox(label, value, checked) {
  const input = h('input', { type: 'checkbox', name: 'operations', value, checked });
  return h('label', { class: 'check' }, input, label);
}

export function render({ root, org, signal, setTitle }) {
  setTitle('Webhooks');
  const created = h('div', {});
  const rowError = h('p', { class: 'form-error', role: 'alert' });
  const listBody = h('div', {});
  const log = h('section', { class: 'card', 'aria-labelledby': 'log-title', hidden: true });

  function showLog(hook) {
    log.hidden = false;
    const logError = h('p', { class: 'form-error', role: 'alert' });
    const logBody = h('div', {});
    const title = h('h2', { id: 'log-title', tabindex: '-1' }, `Deliveries to ${hook.url}`);
    mount(log, h('div', { class: 'card-head' }, title,
      h('button', { type: 'button', class: 'button button-small', onclick: () => again() }, 'Refresh')),
    logError, logBody);
    const again = loader(logBody, () => orgFn(org, `/webhooks/${hook.id}/deliveries`, { signal }), (answer) =>
      table(`Deliveries to ${hook.url}`, ['Event', 'State', 'Attempts', 'Last response', 'When', ''],
        (answer.deliveries || []).map((d) => [
          d.event_type, d.state, String(d.attempts),
          d.last_status ? String(d.last_status) : (d.last_error || '—'),
          when(d.delivered_at || d.created_at),
          h('button', {
            type: 'button', class: 'button button-small', 'aria-label': `Retry delivery ${d.msg_id}`,
            onclick: (e) => rowAction(e.currentTarget, logError, async () => {
              await orgFn(org, `/deliveries/${d.id}/retry`, { method: 'POST' });
              again();
            }),
          }, 'Retry'),
        ]), 'No deliveries yet.'));
    title.focus();
  }

  const reload = loader(listBody, () => orgFn(org, '/webhooks', { signal }), (answer) =>
    table('Webhook endpoints', ['URL', 'Table', 'Operations', 'State', ''],
      (answer.webhooks || []).map((w) => [
        h('span', { class: 'url' }, w.url), w.table_name, (w.operations || []).join(', '),
        w.enabled ? (w.failing_since ? `Failing since ${when(w.failing_since)}` : 'Enabled') : `Disabled: ${w.disabled_reason || ''}`,
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'button button-small', 'aria-label': `Deliveries to ${w.url}`, onclick: () => showLog(w) }, 'Deliveries'),
          h('button', {
            type: 'button', class: 'button button-small', 'aria-label': `Send test to ${w.url}`,
            onclick: (e) => rowAction(e.currentTarget, rowError, async () => {
              await orgFn(org, `/webhooks/${w.id}/test`, { method: 'POST' });
              showLog(w);
            }),
          }, 'Send test'),
          h('button', {
            type: 'button', class: 'button button-small button-danger', 'aria-label': `Delete ${w.url}`,
            onclick: async (e) => {
              const button = e.currentTarget;
              if (!(await confirmDialog(`Delete the webhook to ${w.url}? Its deliveries stop.`, 'Delete'))) return;
              await rowAction(button, rowError, async () => {
                await orgFn(org, `/webhooks/${w.id}`, { method: 'DELETE' });
                log.hidden = true;
                reload();
              });
            },
          }, 'Delete')),
      ]), 'No webhooks yet.'));

  const url = h('input', { type: 'url', name: 'url', required: true, placeholder: 'https://example.com/hooks/wakit' });
  const tableName = h('select', { name: 'table' }, h('option', { value: 'messages' }, 'messages'), h('option', { value: 'conversations' }, 'conversations'));
  const ops = [checkbox('insert', 'insert', true), checkbox('update', 'update', true)];
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off' });
  const create = form({ class: 'card', 'aria-labelledby': 'new-hook-title' }, [
    h('h2', { id: 'new-hook-title' }, 'New webhook'),
    field('Endpoint URL', url),
    field('Table', tableName, 'Which rows’ changes are sent.'),
    h('fieldset', { class: 'field' }, h('legend', {}, 'Operations'), ops),
    field('Bearer token (optional)', token, 'Sent as Authorization: Bearer …; stored sealed, never shown again.'),
    h('button', { type: 'submit', class: 'button button-primary' }, 'Create webhook'),
  ], async (el) => {
    const operations = [...el.querySelectorAll('input[name=operations]:checked')].map((i) => i.value);
    if (!operations.length) throw new Error('Choose at least one operation.');
    const body = { url: url.value.trim(), table_name: tableName.value, operations };
    if (token.value) body.token = token.value;
    const hook = await orgFn(org, '/webhooks', { method: 'POST', body });
    mount(created, shownOnce('The signing secret', hook.secret,
      'Copy the signing secret now: it is shown only this once. Verify each delivery’s webhook-signature with it.'));
    url.value = '';
    token.value = '';
    reload();
    return 'Webhook created.';
  });

  mount(root, pageFrame('Webhooks',
    h('p', { class: 'intro' }, 'wakit POSTs each change to your endpoint, signed (Standard Webhooks), retried until it answers 2xx.'),
    created, create,
    h('section', { class: 'card', 'aria-labelledby': 'hooks-title' }, h('h2', { id: 'hooks-title' }, 'Endpoints'), rowError, listBody),
    log));
}
