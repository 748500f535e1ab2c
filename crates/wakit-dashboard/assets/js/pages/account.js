// The signed-in person: who they are, their role here, and a password change
// (PUT /auth/v1/user).

import { h, mount, field, announce } from '../dom.js';
import { auth } from '../api.js';

export function render({ root, user, org, setTitle }) {
  setTitle('Account');
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 6 });
  const confirm = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 6 });
  const status = h('p', { role: 'status', class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Change password');
  const form = h('form', {
    class: 'card',
    'aria-labelledby': 'password-title',
    onsubmit: async (e) => {
      e.preventDefault();
      status.className = 'form-status';
      if (password.value !== confirm.value) {
        status.textContent = 'The two passwords differ.';
        status.classList.add('form-error');
        confirm.focus();
        return;
      }
      submit.disabled = true;
      try {
        await auth('/user', { method: 'PUT', body: { password: password.value } });
        form.reset();
        status.textContent = 'Password changed.';
        announce('Password changed.');
      } catch (err) {
        status.textContent = err.message;
        status.classList.add('form-error');
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2', { id: 'password-title' }, 'Change password'),
  field('New password', password),
  field('Repeat the new password', confirm),
  status,
  submit);
  mount(root, h('div', { class: 'page narrow' },
    h('h1', {}, 'Account'),
    h('section', { class: 'card', 'aria-labelledby': 'me-title' },
      h('h2', { id: 'me-title' }, 'You'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'E-mail'), h('dd', {}, user.email),
        h('dt', {}, 'Organization'), h('dd', {}, org.name),
        h('dt', {}, 'Role'), h('dd', {}, org.role))),
    form));
}
