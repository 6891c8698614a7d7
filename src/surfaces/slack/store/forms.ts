import { createHash } from 'node:crypto';
import { eq } from '../../../store/orm.ts';
import { Form, type Reply } from '../../../chat/reply.ts';
import { canonicalJson } from '../../../util/canonical-json.ts';
import type { Db } from '../../../store/db.ts';
import { slackForms } from './schema.ts';

/**
 * Buttons that collect input first (a neutral `Button.form`): Slack has nowhere on a button for
 * the form, so before a Reply is rendered each such button's value becomes
 * `~f1:<key>:<original value>` and the form is stored under `key` (the hash of its content, so
 * storing it again is a no-op). A click decodes the value, loads the form and opens the modal.
 */
const PREFIX = '~f1:';
const KEY = /^~f1:([0-9a-f]{24}):/;
const CACHE_MAX = 500;

export interface FormStore {
  /** The Reply with every form button's value encoded and its `form` removed (forms stored first). */
  encode(reply: Reply): Promise<Reply>;
  /** A button value as clicked: the original value and, when it had one, the form to show first. */
  decode(value: string): Promise<{ value: string; form?: Form; missingForm?: boolean }>;
}

export const formKey = (form: Form): string =>
  createHash('sha256').update(canonicalJson(form)).digest('hex').slice(0, 24);

export const createFormStore = (db: Db): FormStore => {
  // Insertion-ordered map as an LRU: hot forms (the reject form of the day's cards) skip the database.
  const cache = new Map<string, Form>();
  const remember = (key: string, form: Form): void => {
    cache.delete(key);
    cache.set(key, form);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
  };

  const save = async (form: Form): Promise<string> => {
    const key = formKey(form);
    if (!cache.has(key)) await db.insert(slackForms).values({ key, form }).onConflictDoNothing();
    remember(key, form);
    return key;
  };

  const load = async (key: string): Promise<Form | undefined> => {
    const hit = cache.get(key);
    if (hit) return hit;
    const [row] = await db.select({ form: slackForms.form }).from(slackForms).where(eq(slackForms.key, key));
    const parsed = Form.safeParse(row?.form);
    if (!parsed.success) return undefined;
    remember(key, parsed.data);
    return parsed.data;
  };

  return {
    encode: async (reply) => {
      if (!reply.blocks.some((b) => b.type === 'actions' && b.buttons.some((x) => x.form))) return reply;
      const blocks = [];
      for (const b of reply.blocks) {
        if (b.type !== 'actions') {
          blocks.push(b);
          continue;
        }
        const buttons = [];
        for (const { form, ...button } of b.buttons)
          buttons.push(form ? { ...button, value: `${PREFIX}${await save(form)}:${button.value}` } : button);
        blocks.push({ ...b, buttons });
      }
      return { ...reply, blocks };
    },
    decode: async (value) => {
      const m = KEY.exec(value);
      if (!m) return { value };
      const rest = value.slice(m[0].length);
      const form = await load(m[1]!);
      return form ? { value: rest, form } : { value: rest, missingForm: true };
    },
  };
};
