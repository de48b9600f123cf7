import { type Credentials, credentialsMatch } from '../auth.js';
import type { SessionOwner } from '../sessionStore.js';
import type { Role } from './roles.js';
import type { UserStore } from './userStore.js';

/** Who is acting, as the routes see it (req.auth without how it was proved). */
export interface Principal {
  /** The login: what audit events and assignments name. */
  user: string;
  role: Role;
  /** null: the bootstrap administrator of HTTP_USER/HTTP_PASSWORD, who has no row. */
  userId: number | null;
}

/**
 * The accounts' side of logging in: the bootstrap administrator from the
 * configuration (checked first, without the database, so that it can still
 * reach the health and queue pages when PostgreSQL is down), then the named
 * accounts of the database. The bootstrap login hides an account of the same name.
 */
export class Authenticator {
  constructor(
    private readonly users: UserStore,
    private readonly bootstrap: Credentials,
  ) {}

  private isBootstrap(login: string): boolean {
    return this.bootstrap.user !== '' && login === this.bootstrap.user;
  }

  async password(given: Credentials): Promise<(Principal & { generation: number }) | null> {
    if (this.isBootstrap(given.user)) {
      return credentialsMatch(given, this.bootstrap) && this.bootstrap.password !== ''
        ? { user: given.user, role: 'administrateur', userId: null, generation: 0 }
        : null;
    }
    const account = await this.users.verifyPassword(given.user, given.password);
    return account
      ? { user: account.login, role: account.role, userId: account.id, generation: account.generation }
      : null;
  }

  async token(token: string): Promise<Principal | null> {
    const account = await this.users.byToken(token);
    return account ? { user: account.login, role: account.role, userId: account.id } : null;
  }

  /**
   * Who a session still stands for: its account as it is now (role changes
   * apply at once), or null when the account was disabled, got a new password
   * or is gone. One primary-key lookup per request: a disabled account's open
   * sessions end at their next request, on every replica.
   */
  async session(owner: SessionOwner): Promise<Principal | null> {
    if (owner.userId === null)
      return this.isBootstrap(owner.user) ? { user: owner.user, role: 'administrateur', userId: null } : null;
    const account = await this.users.byId(owner.userId);
    if (!account || account.disabled || account.generation !== owner.generation) return null;
    return { user: account.login, role: account.role, userId: account.id };
  }

  async recordLogin(principal: Principal, at: Date): Promise<void> {
    if (principal.userId !== null) await this.users.recordLogin(principal.userId, at);
  }
}
