import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findAction } from '../../src/cloud/actions.ts';
import { kubernetesActions } from '../../src/cloud/kubernetes/actions.ts';
import { loadTemplates } from '../../src/workflows/registry.ts';

const actions = (provider: string, type: string, action: string) =>
  provider === 'kubernetes' ? findAction(kubernetesActions, type, action) : undefined;

const restart = (version: number, title = 'Restart') => `
name: restart
version: ${version}
category: release
description: Restart a deployment.
provider: kubernetes
inputs:
  deployment: { type: resource, description: The deployment, resource: { type: deployment } }
steps:
  - id: restart
    title: ${title}
    action: rollout_restart
    target: { type: deployment, id: "\${inputs.deployment}" }
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'templates-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('the template registry', () => {
  it('keeps every version, offers the newest, and finds the one a run was planned from', async () => {
    await writeFile(path.join(dir, 'restart-v1.yaml'), restart(1, 'Restart (old)'));
    await writeFile(path.join(dir, 'restart-v2.yml'), restart(2));
    await writeFile(path.join(dir, 'README.md'), 'not a template');
    const r = await loadTemplates([dir], actions);
    expect(r.list().map((t) => [t.name, t.version])).toEqual([['restart', 2]]);
    expect(r.latest('restart')?.version).toBe(2);
    expect(r.get('restart', 1)?.steps[0]?.title).toBe('Restart (old)');
    expect(r.get('restart', 3)).toBeUndefined();
    expect(r.latest('nope')).toBeUndefined();
  });

  it('stops with one line per problem: a bad file, a version defined twice, a directory that is not there', async () => {
    await writeFile(path.join(dir, 'a.yaml'), restart(1));
    await writeFile(path.join(dir, 'b.yaml'), restart(1));
    await writeFile(path.join(dir, 'c.yaml'), restart(3).replace('rollout_restart', 'explode'));
    const missing = path.join(dir, 'missing');
    const err = await loadTemplates([dir, missing], actions).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'config_invalid' });
    expect((err as Error).message.split('\n')).toEqual([
      'workflow templates:',
      `${path.join(dir, 'b.yaml')}: restart v1 is also defined in ${path.join(dir, 'a.yaml')}; give this one a new version`,
      `${path.join(dir, 'c.yaml')}:12 steps[0].action: kubernetes has no action explode for a deployment`,
      `${missing}: cannot read the template directory (ENOENT)`,
    ]);
  });
});
