import { describe, expect, it } from '@jest/globals';
import { applyPatch, PatchError } from '../../src/cloud/sandbox/kubernetes/patch.ts';
import type { Json } from '../../src/cloud/sandbox/kubernetes/patch.ts';

/** The emulator's three PATCH formats, as the API server applies them. */

const doc: Json = {
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'app', image: 'web:1' },
          { name: 'proxy', image: 'envoy:1' },
        ],
      },
    },
  },
};

describe('sandbox PATCH formats', () => {
  it('applies JSON patch operations and refuses a replace of a missing key or a failed test', () => {
    const out = applyPatch(doc, 'application/json-patch+json', [
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'add', path: '/metadata/annotations', value: { a: 'b' } },
      { op: 'remove', path: '/metadata/labels/tier' },
      { op: 'test', path: '/metadata/name', value: 'web' },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'x', image: 'x:1' } },
    ]) as { spec: { replicas: number; template: { spec: { containers: unknown[] } } }; metadata: Json };
    expect(out.spec.replicas).toBe(5);
    expect(out.metadata).toEqual({ name: 'web', labels: { app: 'web' }, annotations: { a: 'b' } });
    expect(out.spec.template.spec.containers).toHaveLength(3);
    expect((doc as { spec: { replicas: number } }).spec.replicas).toBe(2);
    expect(() =>
      applyPatch(doc, 'application/json-patch+json', [{ op: 'replace', path: '/spec/paused', value: true }]),
    ).toThrow(/missing key/);
    expect(() =>
      applyPatch(doc, 'application/json-patch+json', [{ op: 'test', path: '/spec/replicas', value: 3 }]),
    ).toThrow(PatchError);
  });

  it('merge patch replaces lists and deletes on null; strategic merge merges containers by name', () => {
    const body = {
      metadata: { labels: { tier: null } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } },
    };
    const merged = applyPatch(doc, 'application/merge-patch+json', body) as {
      metadata: { labels: Json };
      spec: { template: { spec: { containers: { name: string; image: string }[] } } };
    };
    expect(merged.metadata.labels).toEqual({ app: 'web' });
    expect(merged.spec.template.spec.containers).toEqual([{ name: 'app', image: 'web:2' }]);
    const strategic = applyPatch(doc, 'application/strategic-merge-patch+json; charset=utf-8', body) as typeof merged;
    expect(strategic.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'web:2' },
      { name: 'proxy', image: 'envoy:1' },
    ]);
  });

  it('refuses an unknown patch type with 415 and a merge body sent as JSON patch with 400', () => {
    const e415 = (() => {
      try {
        applyPatch(doc, 'application/apply-patch+yaml', {});
      } catch (e) {
        return e as PatchError;
      }
    })();
    expect(e415?.status).toBe(415);
    const e400 = (() => {
      try {
        applyPatch(doc, 'application/json-patch+json', { spec: { replicas: 1 } });
      } catch (e) {
        return e as PatchError;
      }
    })();
    expect(e400?.status).toBe(400);
  });
});
