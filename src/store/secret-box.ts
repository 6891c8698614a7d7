import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { AppError, type ErrorCode } from '../errors.ts';

/** Another key is a configuration problem (TOKEN_ENCRYPTION_KEY changed); a damaged or foreign value is not ours to fix. */
const codeByReason: Record<SecretBoxError['reason'], ErrorCode> = {
  'wrong-key': 'config_invalid',
  damaged: 'internal',
  format: 'internal',
};

/**
 * Secrets at rest (Slack installations today; Teams and PagerDuty credentials next): AES-256-GCM
 * with the 32-byte TOKEN_ENCRYPTION_KEY, a random 12-byte IV per value and its 16-byte auth tag.
 *
 *   v1:<key id>:<iv>:<tag>:<ciphertext>      (base64url parts)
 *
 * The version prefix lets the format change; the key id (a short HMAC of the key, not the key)
 * tells "sealed with another key" apart from "damaged" and lets a later rotation pick the old key.
 * `context` (e.g. the row's id) is authenticated but not stored: a value copied to another row
 * does not open there. Nothing here knows about SQL or an SDK.
 */
export class SecretBoxError extends AppError {
  /** `wrong-key`: sealed with another key; `damaged`: altered or truncated; `format`: not a sealed value. */
  readonly reason: 'wrong-key' | 'damaged' | 'format';
  constructor(reason: SecretBoxError['reason'], message: string, options?: { cause?: unknown }) {
    super(codeByReason[reason], message, options);
    this.name = 'SecretBoxError';
    this.reason = reason;
  }
}

export interface SecretBox {
  /** Id of the key (8 hex characters), safe to log. */
  readonly keyId: string;
  seal(plaintext: string, context: string): string;
  /** Throws SecretBoxError when the value was sealed with another key, altered, or sealed for another context. */
  open(sealed: string, context: string): string;
  /** Whether a stored value looks sealed by this module (any key). */
  isSealed(value: string): boolean;
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The key from its configured form: standard base64 of exactly 32 bytes (`openssl rand -base64 32`).
 * Returns a one-line problem instead of the key when it is not that.
 */
export const decodeEncryptionKey = (base64: string): Buffer | string => {
  const s = base64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return 'must be base64 (generate one with: openssl rand -base64 32)';
  const key = Buffer.from(s, 'base64');
  // Buffer.from ignores what it cannot decode: compare with the canonical encoding.
  if (key.toString('base64').replace(/=+$/, '') !== s.replace(/=+$/, ''))
    return 'must be base64 (generate one with: openssl rand -base64 32)';
  if (key.length !== KEY_BYTES)
    return `must be base64 of exactly 32 bytes, got ${key.length} (generate one with: openssl rand -base64 32)`;
  return key;
};

export const keyIdOf = (key: Buffer): string =>
  createHmac('sha256', key).update('devops-agent secret-box key id').digest('hex').slice(0, 8);

export const createSecretBox = (base64Key: string): SecretBox => {
  const key = decodeEncryptionKey(base64Key);
  if (typeof key === 'string') throw new AppError('config_invalid', `TOKEN_ENCRYPTION_KEY ${key}`);
  const keyId = keyIdOf(key);
  // The version and key id are authenticated too, so neither can be swapped.
  const aad = (kid: string, context: string): Buffer => Buffer.from(`${VERSION}:${kid}:${context}`, 'utf8');

  return {
    keyId,
    seal: (plaintext, context) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(keyId, context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        VERSION,
        keyId,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        ciphertext.toString('base64url'),
      ].join(':');
    },
    open: (sealed, context) => {
      const parts = sealed.split(':');
      if (parts.length !== 5 || parts[0] !== VERSION)
        throw new SecretBoxError('format', `not a sealed value (expected the ${VERSION}: format)`);
      const [, kid, ivText, tagText, ctText] = parts as [string, string, string, string, string];
      if (kid !== keyId)
        throw new SecretBoxError(
          'wrong-key',
          `sealed with another key (key id ${kid}; TOKEN_ENCRYPTION_KEY has key id ${keyId})`,
        );
      if (![ivText, tagText].every((p) => B64URL.test(p)) || !(ctText === '' || B64URL.test(ctText)))
        throw new SecretBoxError('format', 'not a sealed value (bad encoding)');
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
        throw new SecretBoxError('format', 'not a sealed value (bad IV or tag length)');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(kid, context));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
      } catch (e) {
        throw new SecretBoxError('damaged', 'does not authenticate: altered, truncated, or sealed for another record', {
          cause: e,
        });
      }
    },
    isSealed: (value) => value.startsWith(`${VERSION}:`) && value.split(':').length === 5,
  };
};
