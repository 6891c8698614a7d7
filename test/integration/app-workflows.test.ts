import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listSteps } from '../../src/workflows/repository.ts';
import { quietDevYaml } from '../fixtures/workflow-sandbox.ts';
import { click, startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';

// Workflow templates through the whole app over the console API: a workspace's own template dir
// (WORKFLOW_TEMPLATES_DIR) beside the built-in ones, `templates`, `template show`, `run` with a
// form and with typed inputs, one change request whose card previews the steps, the approval that
// runs them on the sandbox's EC2, run statistics, `cancel`, and the refusals on the way.
let app: TestApp;
let dir: string;

type Button = { actionId: string; value: string; label: string; form?: { fields: Array<Record<string, unknown>> } };
const buttonsOf = (r: ReplyLike | undefined): Button[] =>
  (r?.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.buttons ?? []) ?? []) as Button[];
const textOf = (r: ReplyLike | undefined): string =>
  [r?.text ?? '', ...(r?.blocks ?? []).map((b) => b.text ?? '')].join('\n');
const instanceState = async (name: string): Promise<string | undefined> => {
  const [shown] = await turn(app, 'dave', `show ${name}`);
  return /\bstate\b[^\n]*?\b(running|stopped|stopping|pending)\b/i.exec(JSON.stringify(shown?.blocks))?.[1];
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'templates-'));
  writeFileSync(path.join(dir, 'quiet-dev.yaml'), quietDevYaml);
  app = await startTestApp({ WORKFLOW_TEMPLATES_DIR: dir }, { workflowPollMs: 5 });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('workflow templates in chat', () => {
  it('lists the templates and shows one with a Run button whose form asks for its inputs', async () => {
    const [list] = await turn(app, 'dave', 'templates');
    const table = list?.blocks.find((b) => b.type === 'table') as unknown as { rows: string[][] };
    expect(table.rows.find((r) => r[0] === 'quiet-dev v1')).toEqual([
      'quiet-dev v1',
      'other',
      'aws',
      '3',
      'never run here',
    ]);

    const [shown] = await turn(app, 'dave', 'template show quiet-dev');
    expect(shown?.blocks[0]).toMatchObject({ type: 'header', text: 'quiet-dev v1 · other · aws' });
    expect(textOf(shown)).toContain('3. *Stop the second*: stop on a instance');
    const run = buttonsOf(shown).find((b) => b.label === 'Run quiet-dev…')!;
    expect(JSON.parse(run.value)).toEqual({ tool: 'run_template', input: { template: 'quiet-dev' } });
    expect(run.form!.fields).toEqual([
      expect.objectContaining({ name: 'first', kind: 'search', source: 'resources?type=instance', required: true }),
      expect.objectContaining({ name: 'second', kind: 'search', source: 'resources?type=instance', required: true }),
    ]);

    // A built-in one that names the same plan on other clouds.
    const [eks] = await turn(app, 'dave', 'template show k8s-production-cluster');
    expect(textOf(eks)).toMatch(/\*The same plan on other clouds\*\n• azure: .*AKS/);

    const [unknown] = await turn(app, 'dave', 'template show quiet-prod');
    expect(unknown?.text).toMatch(/There is no template “quiet-prod”\. Templates: .*quiet-dev/);
  });

  it('asks for the inputs with the form when none are given, and names every bad one', async () => {
    const [ask] = await turn(app, 'alice', 'run quiet-dev');
    expect(ask?.text).toMatch(/quiet-dev needs `first`, `second`/);
    expect(buttonsOf(ask)[0]?.label).toBe('Run quiet-dev…');
    expect(ask?.changeId).toBeUndefined();

    const [bad] = await turn(app, 'alice', 'run quiet-dev first=web-dev-1 third=x');
    expect(bad?.text).toMatch(/third: quiet-dev has no such input/);
    expect(bad?.text).toMatch(/second: required/);

    // The form's submission: the message shows on the field at fault.
    const [field] = await click(
      app,
      'alice',
      'command.run',
      JSON.stringify({ tool: 'run_template', input: { template: 'quiet-dev' } }),
      {
        first: 'web-dev-1',
        second: '',
      },
    );
    expect(field?.fieldErrors?.second).toMatch(/- second: required/);

    const [viewer] = await turn(app, 'dave', 'run quiet-dev first=web-dev-1 second=api-dev-1');
    expect(viewer?.text).toMatch(/operator/);
  });

  it('files one change request whose card previews the steps; its approval runs them, and the run is counted', async () => {
    const [card] = await click(
      app,
      'alice',
      'command.run',
      JSON.stringify({ tool: 'run_template', input: { template: 'quiet-dev' } }),
      { first: 'web-dev-1', second: 'api-dev-1' },
    );
    const id = card!.changeId!;
    expect(id).toMatch(/^CR-\d+$/);
    const text = textOf(card);
    expect(text).toContain('Run quiet-dev (v1), 3 steps');
    expect(text).toContain('*Steps of quiet-dev v1:*');
    expect(text).toMatch(/1\. \*Stop the first\*: Stop .*web-dev-1/);
    expect(text).toMatch(/2\. \*Wait for the first to stop\*: wait until web-dev-1 is stopped/);
    expect(text).toMatch(/Plan [0-9a-f]{12}: re-checked before it runs/);
    expect(buttonsOf(card).map((b) => b.label)).toEqual(['Approve', 'Reject']);

    // The requester cannot approve their own run; an approver can, and the steps run.
    const [own] = await turn(app, 'alice', `approve ${id}`);
    expect(own?.text).toMatch(/cannot approve it yourself/);
    const [done] = await turn(app, 'bob', `approve ${id}`);
    expect(textOf(done)).toMatch(/quiet-dev: all 3 steps done/);
    expect((await app.changes.get(id))?.status).toBe('succeeded');
    const steps = await listSteps(app.store.db, id);
    expect(steps.map((s) => [s.id, s.status])).toEqual([
      ['stop_first', 'succeeded'],
      ['first_stopped', 'succeeded'],
      ['stop_second', 'succeeded'],
    ]);
    await app.syncNow();
    expect(await instanceState('web-dev-1')).toBe('stopped');

    const [list] = await turn(app, 'dave', 'templates');
    const table = list?.blocks.find((b) => b.type === 'table') as unknown as { rows: string[][] };
    expect(table.rows.find((r) => r[0] === 'quiet-dev v1')?.[4]).toMatch(/^1 run, 100% succeeded/);

    // A finished run is not rolled back as one change.
    const [rollback] = await turn(app, 'bob', `rollback ${id}`);
    expect(rollback?.text).toMatch(/is a run of quiet-dev; a run is not rolled back as one change/);
  });

  it('cancel withdraws a request still waiting, and refuses one that has ended', async () => {
    const [card] = await turn(app, 'alice', 'run quiet-dev first=db-dev-1 second=ml-dev-1');
    const id = card!.changeId!;
    expect(card?.text).toMatch(/^CR-\d+ waiting for approval/);
    const [viewer] = await turn(app, 'dave', `cancel ${id}`);
    expect(viewer?.text).toMatch(/needs the operator role|viewer/);
    const [withdrawn] = await turn(app, 'alice', `cancel ${id} wrong instances`);
    expect(withdrawn?.text).toMatch(new RegExp(`${id} is rejected`));
    expect((await app.changes.get(id))?.reason).toBe('wrong instances');
    const [again] = await turn(app, 'alice', `cancel ${id}`);
    expect(again?.text).toMatch(/was withdrawn by Alice/);
  });
});

describe('templates added in chat', () => {
  const upload = (yaml: string) => `template add\n\`\`\`yaml\n${yaml}\`\`\``;
  const v2 = quietDevYaml
    .replace('name: quiet-dev\nversion: 1', 'name: quiet-dev\nversion: 2')
    .replace('title: Stop the second', 'title: Stop the other one');

  it('an admin adds a new version, checked first; the workspace runs it, and a run filed before keeps its version', async () => {
    // A run of v1 filed before the upload.
    const [before] = await turn(app, 'alice', 'run quiet-dev first=db-dev-1 second=ml-dev-1');
    expect(textOf(before)).toContain('Run quiet-dev (v1)');

    const [operator] = await turn(app, 'alice', upload(v2));
    expect(operator?.text).toMatch(/admin/);
    const [bad] = await turn(app, 'carol', upload(v2.replace('action: stop\n', 'action: explode\n')));
    expect(bad?.text).toMatch(
      /That template was not added\. Every problem:\n- upload\.yaml:\d+ steps\[0\]\.action: aws has no action explode/,
    );
    const [taken] = await turn(app, 'carol', upload(quietDevYaml));
    expect(taken?.text).toMatch(/quiet-dev v1 already exists here: give this one version 2/);

    const [added] = await turn(app, 'carol', upload(v2));
    expect(added?.text).toMatch(/^Added \*quiet-dev v2\* \(other, aws, 3 steps\)/);
    const [again] = await turn(app, 'carol', upload(v2));
    expect(again?.text).toMatch(/quiet-dev v2 already exists here: give this one version 3/);

    const [shown] = await turn(app, 'dave', 'template show quiet-dev');
    expect(shown?.blocks[0]).toMatchObject({ text: 'quiet-dev v2 · other · aws' });
    expect(textOf(shown)).toContain('Stop the other one');
    // The v1 run filed before executes v1, the version its approval saw.
    const [done] = await turn(app, 'bob', `approve ${before!.changeId}`);
    expect(textOf(done)).toMatch(/quiet-dev: all 3 steps done/);
    const steps = await listSteps(app.store.db, before!.changeId!);
    expect(steps.map((x) => x.title)).toContain('Stop the second');

    const [audit] = await turn(app, 'carol', 'audit');
    expect(JSON.stringify(audit?.blocks)).toContain('template.added');
  });
});

describe('a template directory that does not validate', () => {
  it('stops the start with the file, line, path and reason of every problem', async () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'templates-bad-'));
    try {
      writeFileSync(path.join(bad, 'broken.yaml'), quietDevYaml.replace('action: stop\n', 'action: explode\n'));
      await expect(startTestApp({ WORKFLOW_TEMPLATES_DIR: bad })).rejects.toThrow(
        /broken\.yaml:\d+ steps\[0\]\.action: aws has no action explode for a instance/,
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  }, 60_000);
});
