/**
 * The roles of the technicians' workspace (users.role) and what a route asks
 * for. technicien < superviseur < administrateur, each one allowed what the
 * one before it is; comite reads only the indicators and the report.
 */
export const ROLES = ['technicien', 'superviseur', 'administrateur', 'comite'] as const;
export type Role = (typeof ROLES)[number];

/** What a route declares in its config: `{ config: { role } }`. */
export type RouteRole = 'public' | Role;

const RANK: Record<Exclude<Role, 'comite'>, number> = { technicien: 1, superviseur: 2, administrateur: 3 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isRouteRole(value: unknown): value is RouteRole {
  return value === 'public' || isRole(value);
}

/**
 * Whether an account of role `granted` may use a route declared `needed`.
 * A 'comite' route is open to every account (the committee's pages are the
 * least anybody may read); the others follow the order of the ranks.
 */
export function allows(granted: Role, needed: RouteRole): boolean {
  if (needed === 'public' || needed === 'comite') return true;
  if (granted === 'comite') return false;
  return RANK[granted] >= RANK[needed];
}

/** The role as people read it. */
export const roleLabels: Record<Role, string> = {
  technicien: 'technicien',
  superviseur: 'superviseur',
  administrateur: 'administrateur',
  comite: 'comité',
};

/** A role typed on the command line, with or without its accent. */
export function roleOf(typed: string): Role | null {
  const plain = typed.trim().toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
  return isRole(plain) ? plain : null;
}
