// The organizations the signed-in person belongs to, their role in each (from
// rpc/get_authorized_orgs, asked per role), and the one being worked in. /rest/v1 shows
// a person the rows of all their organizations, so every page filters by the chosen
// one (organization_id=eq.<id>) and names it on writes.

import { request, rest } from './api.js';

export const ROLES = ['member', 'admin', 'owner'];
const KEY = 'wakit.org';

/** Whether `role` is at least `needed` (member < admin < owner). */
export function atLeast(role, needed) {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed || 'member');
}

function authorized(role) {
  return request('/rest/v1/rpc/get_authorized_orgs', { method: 'POST', body: { role } });
}

/** [{id, name, timezone, role}], by name. */
export async function load() {
  const [rows, ...byRole] = await Promise.all([
    rest('organizations', { select: 'id,name,timezone', order: 'name.asc' }),
    ...ROLES.map(authorized),
  ]);
  return rows
    .map((org) => {
      // The highest role whose list names the organization.
      const role = ROLES.filter((r, i) => byRole[i].includes(org.id)).pop();
      return { ...org, role };
    })
    .filter((org) => org.role);
}

/** The chosen organization among `orgs` (remembered per browser). */
export function chosen(orgs) {
  const id = localStorage.getItem(KEY);
  return orgs.find((o) => o.id === id) || orgs[0] || null;
}

/** Remembers the chosen organization. */
export function choose(id) {
  localStorage.setItem(KEY, id);
}
