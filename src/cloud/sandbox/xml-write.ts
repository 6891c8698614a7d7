/**
 * A small XML writer for the emulators' answers: objects become elements, arrays repeat their
 * element, `@_name` keys become attributes, undefined and null are left out. Written for speed: a
 * page of 1000 EC2 instances is ~1.4 MB of XML, and fast-xml-parser's builder spent most of a
 * 10,000-instance listing building it.
 */

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escape = (s: string): string => (/[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => escapes[c]!) : s);

const text = (v: unknown): string => (v instanceof Date ? v.toISOString() : escape(String(v)));

/** Appends to one string (V8 ropes): cheaper than collecting parts for a megabyte-sized answer. */
const element = (name: string, value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    let all = '';
    for (const v of value) all += element(name, v);
    return all;
  }
  if (typeof value !== 'object' || value instanceof Date) return `<${name}>${text(value)}</${name}>`;
  let attrs = '';
  let body = '';
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (k.startsWith('@_')) {
      if (v !== undefined && v !== null) attrs += ` ${k.slice(2)}="${text(v)}"`;
    } else body += element(k, v);
  }
  return `<${name}${attrs}>${body}</${name}>`;
};

/** `{ Root: { '@_xmlns': ns, a: 1, b: [{ c: 'x' }, { c: 'y' }] } }` → `<Root xmlns="ns"><a>1</a><b><c>x</c></b><b><c>y</c></b></Root>`. */
export const writeXml = (doc: Record<string, unknown>): string => {
  let out = '';
  for (const name in doc) out += element(name, doc[name]);
  return out;
};
