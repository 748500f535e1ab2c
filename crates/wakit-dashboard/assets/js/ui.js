// What the settings, contacts, templates and quick-replies pages share: a section that
// loads with an error panel and retry, tables with a caption, a confirmation dialog, a
// secret shown once with a copy button, forms whose failure shows the server's sentence,
// and the REST API called in the chosen organization.

import { h, mount, errorPanel, announce } from './dom.js';
import { fn } from './api.js';

/** The REST API (/functions/v1/api{path}) in `org` (organization_id names it). */
export function orgFn(org, path, opts = {}) {
  const query = { ...(opts.query || {}), organization_id: org.id };
  return fn(path, { ...opts, query });
}

/**
 * Draws `load()`'s result with `draw(result)` into `el`; while loading a status line, on
 * failure the error panel with a retry. Returns a function that loads again.
 */
export function loader(el, load, draw, what = 'Loading…') {
  const run = async () => {
    mount(el, h('p', { role: 'status', class: 'loading' }, what));
    let result;
    try {
      result = await load();
    } catch (err) {
      if (err.name === 'AbortError') return;
      mount(el, errorPanel(err, run));
      return;
    }
    mount(el, draw(result));
  };
  run();
  return run;
}

/** A table: caption (for screen readers too), column headers, rows of cells. */
export function table(caption, headers, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c)))))));
}

/** Asks in a modal dialog; resolves true when `confirmLabel` is chosen. */
export function confirmDialog(question, confirmLabel) {
  return new Promise((resolve) => {
    const title = `cd-${Math.random().toString(36).slice(2, 8)}`;
    let answer = false;
    const yes = h('button', { type: 'button', class: 'button button-danger', onclick: () => { answer = true; dialog.close(); } }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': title, class: 'confirm' },
      h('div', { class: 'dialog-body' },
        h('h2', { id: title }, question),
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'),
          yes)));
    dialog.addEventListener('close', () => { dialog.remove(); resolve(answer); });
    document.body.append(dialog);
    dialog.showModal();
    yes.focus();
  });
}

/** A secret shown once: its value, a copy button, and what to do with it. */
export function shownOnce(label, value, note) {
  const status = h('span', { role: 'status', class: 'copy-status' });
  const code = h('code', { class: 'secret', tabindex: '0', 'aria-label': label }, value);
  return h('div', { class: 'once', role: 'region', 'aria-label': label },
    h('p', {}, h('strong', {}, note)),
    h('div', { class: 'once-row' }, code,
      h('button', {
        type: 'button', class: 'button button-small',
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(value);
            status.textContent = 'Copied.';
          } catch {
            getSelection().selectAllChildren(code);
            status.textContent = 'Selected: press Ctrl+C to copy.';
          }
          announce(status.textContent);
        },
      }, 'Copy'),
      status));
}

/**
 * A form: onsubmit runs `action(form)` with the button disabled; its error (the
 * server's sentence) shows in the form's alert line; `done` text is announced.
 */
export function form(props, children, action) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const el = h('form', {
    ...props,
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const buttons = el.querySelectorAll('button');
      buttons.forEach((b) => { b.disabled = true; });
      try {
        const done = await action(el);
        if (done) announce(done);
      } catch (err) {
        error.textContent = err.message;
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    },
  }, children, error);
  return el;
}

/** Runs `action` for a row's button; a failure shows in `where` (an alert line). */
export async function rowAction(button, where, action) {
  where.textContent = '';
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    where.textContent = err.message;
  } finally {
    button.disabled = false;
  }
}

/** A date and time in the person's locale ('' for none). */
export function when(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The page frame: a heading, an optional intro and sections. */
export function pageFrame(title, ...children) {
  return h('div', { class: 'page' }, h('h1', {}, title), children);
}
