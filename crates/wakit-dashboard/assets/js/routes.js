// The pages. Each entry: path (the first segments of the #/ fragment), title, the
// least role that sees it (member < admin < owner), the nav section (none: not in the
// nav), and load() importing its module. A page module exports
//   render(ctx)   draws into ctx.root; may return a cleanup function;
//   update(ctx)   optional: the same page with other params (e.g. another conversation)
// where ctx = {root, params, org, orgs, user, signal, navigate, setTitle}.

export const routes = [
  { path: 'inbox', title: 'Inbox', role: 'member', nav: 'main', load: () => import('./pages/inbox.js') },
  { path: 'contacts', title: 'Contacts', role: 'member', nav: 'main', load: () => import('./pages/contacts.js') },
  { path: 'templates', title: 'Templates', role: 'member', nav: 'main', load: () => import('./pages/templates.js') },
  { path: 'quick-replies', title: 'Quick replies', role: 'member', nav: 'main', load: () => import('./pages/quick-replies.js') },
  { path: 'settings/organization', title: 'Organization', role: 'admin', nav: 'settings', load: () => import('./pages/organization.js') },
  { path: 'settings/numbers', title: 'Numbers', role: 'admin', nav: 'settings', load: () => import('./pages/numbers.js') },
  { path: 'settings/members', title: 'Members', role: 'admin', nav: 'settings', load: () => import('./pages/members.js') },
  { path: 'settings/webhooks', title: 'Webhooks', role: 'admin', nav: 'settings', load: () => import('./pages/webhooks.js') },
  { path: 'settings/ai-agents', title: 'AI agents', role: 'admin', nav: 'settings', load: () => import('./pages/ai-agents.js') },
  { path: 'settings/keys', title: 'API keys', role: 'owner', nav: 'settings', load: () => import('./pages/keys.js') },
  { path: 'account', title: 'Account', role: 'member', nav: 'user', load: () => import('./pages/account.js') },
];

export const DEFAULT = 'inbox';
