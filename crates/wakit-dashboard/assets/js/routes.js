// The pages. Each entry: path (the first segments of the #/ fragment), title, the
// least role that sees it (member < admin < owner), the nav section (none: not in the
// nav), and load() importing its module. A page module exports
//   render(ctx)   draws into ctx.root; may return a cleanup function;
//   update(ctx)   optional: the same page with other params (e.g. another conversation)
// where ctx = {root, params, org, orgs, user, signal, navigate, setTitle}.

export const routes = [
  { path: 'inbox', title: 'Inbox', role: 'member', nav: 'main', load: () => import('./pages/inbox.js') },
  { path: 'account', title: 'Account', role: 'member', nav: 'user', load: () => import('./pages/account.js') },
];

export const DEFAULT = 'inbox';
