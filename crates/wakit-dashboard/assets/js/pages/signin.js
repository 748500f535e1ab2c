// The sign-in form: e-mail and password through POST /dashboard/session (which calls
// /auth/v1/token?grant_type=password and keeps the refresh token in a cookie).

import { h, mount } from '../dom.js';
import * as session from '../session.js';

export function render({ root, onSignedIn }) {
  document.title = 'Sign in · wakit';
  const email = h('input', { id: 'email', type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Sign in');
  const form = h('form', {
    class: 'card signin',
    'aria-labelledby': 'signin-title',
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      submit.textContent = 'Signing in…';
      try {
        await session.signIn(email.value.trim(), password.value);
        onSignedIn();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        submit.disabled = false;
        submit.textContent = 'Sign in';
        password.select();
      }
    },
  },
  h('h1', { id: 'signin-title' }, 'Sign in to wakit'),
  h('div', { class: 'field' }, h('label', { for: 'email' }, 'E-mail'), email),
  h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
  error,
  submit);
  mount(root, h('main', { class: 'centered' }, h('span', { class: 'brand brand-large' }, 'wakit'), form));
  email.focus();
}
