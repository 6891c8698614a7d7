/**
 * A small XML writer for the emulators' answers: objects become elements, arrays repeat their
 * element, `@_name` keys become attributes, undefined and null are left out. Written for speed: a
 * page of 1000 EC2 instances is ~1.4 MB of XML, and fast-xml-parser's builder spent most of a
 * 10,000-instance listing building it.
 */

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escape = (s: string): string => (/[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => escapes[c]!) : s);

const text = (v: unknown): string => (v instanceof Date ? v.toISOString() : escape(String(v)));

const element = (name: string, value: unknown, out: string[]): void => {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) element(name, v, out);
    return;
  }
  if (typeof value !== 'object' || value instanceof Date) {
    out.push(`<${name}>${text(value)}</${name}>`);
    return;
  }
  let attrs = '';
  const children: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('@_')) {
      if (v !== undefined && v !== null) attrs += ` ${k.slice(2)}="${text(v)}"`;
    } else children.push([k, v]);
  }
  if (children.length === 0) {
    out.push(`<${name}${attrs}></${name}>`);
    return;
  }
  out.push(`<${name}${attrs}>`);
  for (const [k, v] of children) element(k, v, out);
  out.push(`</${name}>`);
};

/** `{ Root: { '@_xmlns': ns, a: 1, b: [{ c: 'x' }, { c: 'y' }] } }` → `<Root xmlns="ns"><a>1</a><b><c>x</c></b><b><c>y</c></b></Root>`. */
export const writeXml = (doc: Record<string, unknown>): string => {
  const out: string[] = [];
  for (const [name, value] of Object.entries(doc)) element(name, value, out);
  return out.join('');
};
