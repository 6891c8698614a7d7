import { createHash } from 'node:crypto';
import { and, eq, gt, lt, lte } from '../../../store/orm.ts';
import type { Db } from '../../../store/db.ts';
import { dashboardSessions, dashboardSignIns } from './schema.ts';

/** SHA-256 in hex: what the tables keep of a session id or a state. */
export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export type SignInVia = 'slack' | 'microsoft' | 'console';

export interface SessionRecord {
  idHash: string;
  surface: string;
  workspaceId: string;
  userId: string;
  displayName: string;
  via: SignInVia;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
}

export interface SignInRecord {
  provider: 'slack' | 'microsoft';
  nonce: string;
  codeVerifier: string;
  next: string;
}

/** The dashboard's persistence: sessions and OpenID sign-ins under way (tables in ./schema.ts). */
export interface DashboardAuthStore {
  /** Stores a session under the hash of `id` (the cookie's value). */
  createSession(id: string, s: Omit<SessionRecord, 'idHash'>): Promise<void>;
  /** The live session of a cookie's id (expired ones count as absent). */
  findSession(id: string, now: Date): Promise<SessionRecord | null>;
  /** Records a use (the caller throttles). */
  touchSession(idHash: string, now: Date): Promise<void>;
  /** Sign-out: the row goes; true when there was one. */
  deleteSession(id: string): Promise<boolean>;
  /** Remembers a sign-in started with `state`, until `expiresAt`. */
  saveSignIn(state: string, s: SignInRecord, now: Date, expiresAt: Date): Promise<void>;
  /** Takes (reads and deletes, in one statement) a live sign-in: a state works once. */
  takeSignIn(state: string, now: Date): Promise<SignInRecord | null>;
  /** Deletes expired sessions and sign-ins; returns how many rows went. */
  sweep(now: Date): Promise<number>;
}

export const createDashboardAuthStore = (db: Db): DashboardAuthStore => ({
  createSession: async (id, s) => {
    await db.insert(dashboardSessions).values({ ...s, idHash: sha256Hex(id) });
  },
  findSession: async (id, now) => {
    const [row] = await db
      .select()
      .from(dashboardSessions)
      .where(and(eq(dashboardSessions.idHash, sha256Hex(id)), gt(dashboardSessions.expiresAt, now)));
    return row ? { ...row, via: row.via as SignInVia } : null;
  },
  touchSession: async (idHash, now) => {
    await db.update(dashboardSessions).set({ lastSeenAt: now }).where(eq(dashboardSessions.idHash, idHash));
  },
  deleteSession: async (id) => {
    const gone = await db
      .delete(dashboardSessions)
      .where(eq(dashboardSessions.idHash, sha256Hex(id)))
      .returning({ idHash: dashboardSessions.idHash });
    return gone.length > 0;
  },
  saveSignIn: async (state, s, now, expiresAt) => {
    await db.insert(dashboardSignIns).values({ ...s, stateHash: sha256Hex(state), createdAt: now, expiresAt });
  },
  takeSignIn: async (state, now) => {
    const [row] = await db
      .delete(dashboardSignIns)
      .where(eq(dashboardSignIns.stateHash, sha256Hex(state)))
      .returning();
    if (!row || row.expiresAt <= now) return null;
    return {
      provider: row.provider as SignInRecord['provider'],
      nonce: row.nonce,
      codeVerifier: row.codeVerifier,
      next: row.next,
    };
  },
  sweep: async (now) => {
    const sessions = await db
      .delete(dashboardSessions)
      .where(lte(dashboardSessions.expiresAt, now))
      .returning({ k: dashboardSessions.idHash });
    const signIns = await db
      .delete(dashboardSignIns)
      .where(lt(dashboardSignIns.expiresAt, now))
      .returning({ k: dashboardSignIns.stateHash });
    return sessions.length + signIns.length;
  },
});
