import { describe, expect, it } from 'vitest';
import { allows, ROLES, type RouteRole, roleOf } from './roles.js';

describe('allows: who may use a route', () => {
  it('follows technicien < superviseur < administrateur; comite reads only comite routes', () => {
    const needed: RouteRole[] = ['public', 'comite', 'technicien', 'superviseur', 'administrateur'];
    const table = Object.fromEntries(
      ROLES.map((granted) => [granted, needed.filter((n) => allows(granted, n))]),
    );
    expect(table).toEqual({
      technicien: ['public', 'comite', 'technicien'],
      superviseur: ['public', 'comite', 'technicien', 'superviseur'],
      administrateur: ['public', 'comite', 'technicien', 'superviseur', 'administrateur'],
      comite: ['public', 'comite'],
    });
  });

  it('reads a typed role with or without its accent, and nothing else', () => {
    expect(roleOf('Comité')).toBe('comite');
    expect(roleOf(' superviseur ')).toBe('superviseur');
    expect(roleOf('admin')).toBeNull();
    expect(roleOf('public')).toBeNull();
  });
});
