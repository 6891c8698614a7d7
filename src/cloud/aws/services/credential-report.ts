import { AppError } from '../../../errors.ts';
/**
 * IAM's credential report (GetCredentialReport's CSV): one row per user plus `<root_account>`.
 * Pure parsing, no SDK: IAM writes `N/A`, `no_information` or `not_supported` where a date does not
 * apply, and user names may hold commas (IAM allows `+=,.@_-`), so a row is read from both ends:
 * the fixed columns from the right, then user and ARN split at `,arn:`.
 */

export interface CredentialReportRow {
  user: string;
  arn: string;
  userCreationTime: string | null;
  passwordEnabled: boolean | null;
  passwordLastUsed: string | null;
  passwordLastChanged: string | null;
  passwordNextRotation: string | null;
  mfaActive: boolean;
  accessKeys: Array<{ active: boolean; lastRotated: string | null; lastUsedDate: string | null }>;
}

export const rootUser = '<root_account>';

const dateOf = (v: string | undefined): string | null => {
  if (!v || v === 'N/A' || v === 'no_information' || v === 'not_supported') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
const boolOf = (v: string | undefined): boolean | null => (v === 'true' ? true : v === 'false' ? false : null);

/** Parses the report; throws when the header lacks the columns read here (a format this code does not know). */
export const parseCredentialReport = (csv: string): CredentialReportRow[] => {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 2) throw new AppError('cloud_error', `The IAM credential report has no ${name} column.`);
    return i;
  };
  const cols = {
    created: col('user_creation_time'),
    pwEnabled: col('password_enabled'),
    pwUsed: col('password_last_used'),
    pwChanged: col('password_last_changed'),
    pwNext: col('password_next_rotation'),
    mfa: col('mfa_active'),
    k1Active: col('access_key_1_active'),
    k1Rotated: col('access_key_1_last_rotated'),
    k1Used: col('access_key_1_last_used_date'),
    k2Active: col('access_key_2_active'),
    k2Rotated: col('access_key_2_last_rotated'),
    k2Used: col('access_key_2_last_used_date'),
  };
  return lines.map((line) => {
    const raw = line.split(',');
    const fixed = raw.slice(raw.length - (header.length - 2));
    const head = raw.slice(0, raw.length - fixed.length).join(',');
    const at = head.lastIndexOf(',arn:');
    const f = ['', '', ...fixed];
    return {
      user: at >= 0 ? head.slice(0, at) : head,
      arn: at >= 0 ? head.slice(at + 1) : '',
      userCreationTime: dateOf(f[cols.created]),
      passwordEnabled: boolOf(f[cols.pwEnabled]),
      passwordLastUsed: dateOf(f[cols.pwUsed]),
      passwordLastChanged: dateOf(f[cols.pwChanged]),
      passwordNextRotation: dateOf(f[cols.pwNext]),
      mfaActive: f[cols.mfa] === 'true',
      accessKeys: [
        {
          active: f[cols.k1Active] === 'true',
          lastRotated: dateOf(f[cols.k1Rotated]),
          lastUsedDate: dateOf(f[cols.k1Used]),
        },
        {
          active: f[cols.k2Active] === 'true',
          lastRotated: dateOf(f[cols.k2Rotated]),
          lastUsedDate: dateOf(f[cols.k2Used]),
        },
      ],
    };
  });
};
