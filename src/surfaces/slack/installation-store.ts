import { eq, sql } from 'drizzle-orm';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Db } from '../../store/db.ts';
import { slackInstallations } from './schema.ts';

/**
 * Bolt's InstallationStore in our database: the OAuth callback stores a workspace's installation
 * (bot token included), `authorize` fetches it for every request from that workspace, uninstalling
 * deletes it. An org-wide (Enterprise Grid) install is one row for every workspace of the org.
 */
export class InstallationMissingError extends Error {
  constructor(what: string) {
    super(`no Slack installation for ${what}: install the app (GET /slack/install) in that workspace first`);
    this.name = 'InstallationMissingError';
  }
}

const idFor = (q: { isEnterpriseInstall?: boolean; enterpriseId?: string | undefined; teamId?: string | undefined }): string => {
  if (q.isEnterpriseInstall) {
    if (!q.enterpriseId) throw new InstallationMissingError('an org install without an enterprise id');
    return `enterprise:${q.enterpriseId}`;
  }
  if (!q.teamId) throw new InstallationMissingError('a request without a team id');
  return `team:${q.teamId}`;
};

export const createInstallationStore = (db: Db): InstallationStore => ({
  storeInstallation: async (installation) => {
    const isEnterpriseInstall = installation.isEnterpriseInstall === true;
    const row = {
      id: idFor({ isEnterpriseInstall, enterpriseId: installation.enterprise?.id, teamId: installation.team?.id }),
      teamId: installation.team?.id ?? null,
      enterpriseId: installation.enterprise?.id ?? null,
      isEnterpriseInstall,
      installation: installation as unknown as Record<string, unknown>,
    };
    // Reinstalling (new scopes, a rotated token) replaces the old installation.
    await db
      .insert(slackInstallations)
      .values(row)
      .onConflictDoUpdate({ target: slackInstallations.id, set: { ...row, updatedAt: sql`now()` } });
  },

  fetchInstallation: async (query: InstallationQuery<boolean>) => {
    const own = await db.select().from(slackInstallations).where(eq(slackInstallations.id, idFor(query)));
    // A workspace of an org that installed the app org-wide has no row of its own.
    const row = own[0] ?? (query.enterpriseId && !query.isEnterpriseInstall
      ? (await db.select().from(slackInstallations).where(eq(slackInstallations.id, `enterprise:${query.enterpriseId}`)))[0]
      : undefined);
    if (!row) throw new InstallationMissingError(query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId}`);
    return row.installation as unknown as Installation;
  },

  deleteInstallation: async (query: InstallationQuery<boolean>) => {
    await db.delete(slackInstallations).where(eq(slackInstallations.id, idFor(query)));
  },
});

/** The bot token for a workspace (throws InstallationMissingError when the app is not installed there). */
export const botTokenFor = async (store: InstallationStore, teamId: string): Promise<string> => {
  const installation = await store.fetchInstallation({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
  const token = installation.bot?.token;
  if (!token) throw new InstallationMissingError(`team ${teamId} (it has no bot token)`);
  return token;
};
