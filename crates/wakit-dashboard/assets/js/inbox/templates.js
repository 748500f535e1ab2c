// The template picker: the number's templates (GET /functions/v1/api/templates), one's
// components for its parameters ({{1}} or {{name}}), a preview filled as you type, and
// the send.

import { h, mount, errorPanel, field } from '../dom.js';
import { fn } from '../api.js';

/** The body text of a template's components, and its parameters in order. */
export function bodyOf(components) {
  const body = (components || []).find((c) => String(c.type).toLowerCase() === 'body');
  const text = body?.text || '';
  const names = [...new Set([...text.matchAll(/\{\{\s*([\w]+)\s*\}\}/g)].map((m) => m[1]))];
  return { text, names };
}

/** The template part to send. */
export function templateContent(t, names, values) {
  const positional = names.every((n) => /^\d+$/.test(n));
  const parameters = names.map((n) => (positional
    ? { type: 'text', text: values[n] }
    : { type: 'text', parameter_name: n, text: values[n] }));
  const components = parameters.length ? [{ type: 'body', parameters }] : [];
  return { type: 'data', kind: 'template', data: { name: t.name, language: { code: t.language }, components } };
}

export function openTemplatePicker({ org, number, signal, send }) {
  const body = h('div', { class: 'dialog-body' });
  const dialog = h('dialog', { 'aria-labelledby': 'tpl-title' }, body);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  const query = { organization_id: org.id };
  if (number) query.account_phone = number.phone_number;
  const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel');

  async function list() {
    mount(body, h('h2', { id: 'tpl-title' }, 'Send a template'), h('p', { role: 'status' }, 'Loading templates…'));
    try {
      const answer = await fn('/templates', { query, signal });
      const approved = (answer.templates || []).filter((t) => !t.status || t.status.toUpperCase() === 'APPROVED');
      if (!approved.length) {
        mount(body, h('h2', { id: 'tpl-title' }, 'Send a template'), h('p', {}, 'This number has no approved templates.'), h('div', { class: 'dialog-actions' }, cancel));
        return;
      }
      const select = h('select', {}, approved.map((t, i) => h('option', { value: String(i) }, `${t.name} (${t.language}) · ${t.category || ''}`)));
      const details = h('div', {});
      select.addEventListener('change', () => show(approved[Number(select.value)], details));
      mount(body, h('h2', { id: 'tpl-title' }, 'Send a template'), field('Template', select), details);
      show(approved[0], details);
      select.focus();
    } catch (err) {
      mount(body, h('h2', { id: 'tpl-title' }, 'Send a template'), errorPanel(err, list), h('div', { class: 'dialog-actions' }, cancel));
    }
  }

  async function show(t, details) {
    mount(details, h('p', { role: 'status' }, 'Loading the template…'));
    let detail;
    try {
      detail = await fn('/templates', { query: { ...query, template_id: t.id }, signal });
    } catch (err) {
      mount(details, errorPanel(err, () => show(t, details)));
      return;
    }
    const { text, names } = bodyOf(detail.components);
    const values = {};
    const preview = h('div', { class: 'template-preview', 'aria-live': 'polite' });
    const fill = () => {
      preview.textContent = text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n) => values[n] || `{{${n}}}`);
    };
    const inputs = names.map((n) => {
      const input = h('input', { type: 'text', required: true, oninput: (e) => { values[n] = e.target.value; fill(); } });
      return field(/^\d+$/.test(n) ? `Parameter {{${n}}}` : `Parameter ${n}`, input);
    });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Send template');
    fill();
    mount(details, h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        submit.disabled = true;
        error.textContent = '';
        try {
          await send(templateContent(t, names, values));
          dialog.close();
        } catch (err) {
          error.textContent = err.message;
          submit.disabled = false;
        }
      },
    }, h('p', { class: 'hint' }, 'Preview'), preview, inputs, error, h('div', { class: 'dialog-actions' }, cancel, submit)));
  }

  list();
}
