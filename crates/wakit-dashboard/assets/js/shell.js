// The frame around every page: skip link, header with the organization switcher, the
// nav (only the pages the person's role sees), account and sign-out; <main> for pages.

import { h, mount } from './dom.js';
import { routes } from './routes.js';
import { atLeast } from './orgs.js';

export function drawShell(root, { user, orgs, org, onOrg, onSignOut }) {
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const links = new Map();
  const link = (r) => {
    const a = h('a', { href: `#/${r.path}`, class: 'nav-link' }, r.title);
    links.set(r.path, a);
    return a;
  };
  const visible = routes.filter((r) => r.nav && atLeast(org.role, r.role));
  const sections = new Map();
  for (const r of visible.filter((r) => r.nav !== 'user')) {
    if (!sections.has(r.nav)) sections.set(r.nav, []);
    sections.get(r.nav).push(r);
  }
  const switcher = orgs.length > 1
    ? h('div', { class: 'org-switch' },
        h('label', { for: 'org-select', class: 'visually-hidden' }, 'Organization'),
        h('select', { id: 'org-select', onchange: (e) => onOrg(e.target.value) },
          orgs.map((o) => h('option', { value: o.id, selected: o.id === org.id }, `${o.name} (${o.role})`))))
    : h('span', { class: 'org-name' }, org.name);
  const nav = h('nav', { class: 'nav', 'aria-label': 'Main' },
    [...sections.entries()].map(([section, list]) => h('ul', { class: `nav-list nav-${section}` },
      list.map((r) => h('li', {}, link(r))))));
  const userMenu = h('div', { class: 'user-menu' },
    visible.filter((r) => r.nav === 'user').map(link),
    h('span', { class: 'user-email', title: user.email }, user.email),
    h('button', { type: 'button', class: 'button button-quiet', onclick: onSignOut }, 'Sign out'));
  mount(root,
    h('a', { href: '#main', class: 'skip-link', onclick: (e) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
    h('header', { class: 'topbar' },
      h('span', { class: 'brand' }, h('img', { src: document.querySelector('link[rel=icon]')?.href, alt: '', width: 24, height: 24 }), h('span', { class: 'brand-text' }, 'wakit')),
      switcher, nav, userMenu),
    main);
  return {
    main,
    setActive(path) {
      for (const [p, a] of links) {
        if (p === path) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
    },
  };
}
