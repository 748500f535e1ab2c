// Boot: restore the session from the cookie (or show the sign-in), load the person's
// organizations, draw the shell and follow the #/ fragment.

import * as session from './session.js';
import * as orgs from './orgs.js';
import { h, mount, errorPanel } from './dom.js';
import { drawShell } from './shell.js';
import { resolve, navigate } from './router.js';

const app = document.getElementById('app');
let shell = null; // {main, setActive}
let state = { orgs: [], org: null };
let page = null; // {route, cleanup, controller, module, ctx}

async function boot() {
  leavePage();
  shell = null;
  mount(app, h('p', { class: 'boot', role: 'status' }, 'Loading…'));
  let current;
  try {
    current = session.get() || (await session.refresh());
  } catch (err) {
    mount(app, errorPanel(err, boot));
    return;
  }
  if (!current) return showSignIn();
  try {
    state.orgs = await orgs.load();
  } catch (err) {
    if (err.name === 'SessionEnded') return showSignIn();
    mount(app, errorPanel(err, boot));
    return;
  }
  state.org = orgs.chosen(state.orgs);
  if (!state.org) {
    mount(app, h('main', { class: 'centered' },
      h('h1', {}, 'No organization yet'),
      h('p', {}, `${current.user.email} is not a member of any organization. Ask an owner to invite you.`),
      h('button', { type: 'button', class: 'button', onclick: () => session.signOut() }, 'Sign out')));
    return;
  }
  shell = drawShell(app, {
    user: current.user,
    orgs: state.orgs,
    org: state.org,
    onOrg: (id) => {
      orgs.choose(id);
      state.org = state.orgs.find((o) => o.id === id);
      boot();
    },
    onSignOut: async () => { await session.signOut().catch(() => {}); },
  });
  route();
}

async function showSignIn() {
  leavePage();
  shell = null;
  const { render } = await import('./pages/signin.js');
  render({ root: app, onSignedIn: boot });
}

function leavePage() {
  if (!page) return;
  page.controller.abort();
  try { page.cleanup?.(); } catch (e) { console.error(e); }
  page = null;
}

async function route() {
  if (!shell) return;
  const { route: r, params, redirected } = resolve(location.hash, state.org.role);
  if (redirected && location.hash !== `#/${r.path}`) { navigate(r.path); return; }
  shell.setActive(r.path);
  if (page && page.route === r && page.module.update) {
    page.ctx.params = params;
    page.module.update(page.ctx);
    return;
  }
  leavePage();
  const controller = new AbortController();
  const root = shell.main;
  const ctx = {
    root, params, org: state.org, orgs: state.orgs, user: session.get()?.user,
    signal: controller.signal, navigate,
    setTitle: (t) => { document.title = t ? `${t} · wakit` : 'wakit'; },
  };
  page = { route: r, controller, ctx, module: {}, cleanup: null };
  const mine = page;
  ctx.setTitle(r.title);
  mount(root, h('p', { class: 'boot', role: 'status' }, 'Loading…'));
  try {
    const module = await r.load();
    if (page !== mine) return;
    mine.module = module;
    mine.cleanup = await module.render(ctx);
  } catch (err) {
    if (page !== mine || controller.signal.aborted) return;
    console.error(err);
    mount(root, errorPanel(err, () => { page = null; route(); }));
  }
}

window.addEventListener('hashchange', route);
session.onChange((s) => { if (!s && shell) showSignIn(); });
boot();
