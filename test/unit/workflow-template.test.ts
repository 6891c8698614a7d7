import { describe, expect, it } from '@jest/globals';
import { actionsNow, planAction } from '../../src/cloud/change-tools.ts';
import type { CloudProvider } from '../../src/cloud/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { findAction, type ActionCatalog } from '../../src/cloud/actions.ts';
import { awsActions } from '../../src/cloud/aws/actions.ts';
import { kubernetesActions } from '../../src/cloud/kubernetes/actions.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import {
  checkTemplate,
  describeProblems,
  estimateMonthlyCents,
  inputProblem,
  parseDuration,
  resolveValue,
  type Template,
} from '../../src/workflows/template.ts';

const catalogs: Record<string, ActionCatalog> = { aws: awsActions, kubernetes: kubernetesActions };
const actions = (provider: string, type: string, action: string) => {
  const catalog = catalogs[provider];
  return catalog ? findAction(catalog, type, action) : undefined;
};

const restartYaml = `
name: scale-and-restart
version: 2
category: release
description: Scale a deployment out, restart it once a colleague approves, and wait until it is available.
provider: kubernetes
manualMinutes: 20
inputs:
  deployment:
    type: resource
    description: The deployment
    resource: { type: deployment }
  replicas:
    type: integer
    description: Replicas while it restarts
    default: 4
    min: 1
    max: 50
steps:
  - id: scale_out
    title: Scale out
    action: scale
    target: { type: deployment, id: "\${inputs.deployment}" }
    params: { replicas: "\${inputs.replicas}" }
  - id: gate
    title: A second pair of eyes
    approval: { roles: [approver, admin], quorum: 2 }
  - id: restart
    title: Restart
    action: rollout_restart
    target: { type: deployment, id: "\${inputs.deployment}" }
    timeout: 15m
    retries: 2
    compensate: none
  - id: settle
    title: Wait until available
    wait: { target: { type: deployment, id: "\${inputs.deployment}" }, until: available }
`;

describe('a workflow template', () => {
  it('reads a valid file with its defaults filled in', () => {
    const check = checkTemplate(restartYaml, 'restart.yaml', actions);
    expect(check.ok).toBe(true);
    const t = (check as { ok: true; template: Template }).template;
    expect(t.steps.map((s) => s.id)).toEqual(['scale_out', 'gate', 'restart', 'settle']);
    expect(t.steps[0]).toMatchObject({
      timeout: '10m',
      retries: 0,
      compensate: 'inverse',
      params: { replicas: '${inputs.replicas}' },
    });
    expect(t.steps[1]).toMatchObject({ approval: { roles: ['approver', 'admin'], quorum: 2 } });
    expect(t.steps[2]).toMatchObject({ timeout: '15m', retries: 2, compensate: 'none' });
    // A number in YAML is kept as the text a parameter travels as.
    expect(t.inputs.replicas?.default).toBe('4');
  });

  it('refuses a bad file with every problem at once, each with its path and line', () => {
    const bad = `
name: Scale_It
version: 1
category: release
description: d
provider: kubernetes
inputs:
  size:
    type: choice
    description: no choices given
  count:
    type: integer
    description: c
    default: 99
    max: 10
steps:
  - id: first
    title: First
    action: explode
    target: { type: deployment, id: "\${inputs.missing}" }
  - id: second
    title: Second
    action: scale
    target: { type: deployment, id: web }
    params: { replicas: "\${steps.third.count}", colour: blue }
    timeout: 3 weeks
  - id: third
    title: Third
    action: scale
    target: { type: deployment, id: web }
    params: { replicas: lots }
`;
    const check = checkTemplate(bad, 'bad.yaml', actions);
    expect(check.ok).toBe(false);
    const text = describeProblems('bad.yaml', (check as { ok: false; problems: [] }).problems);
    // Shape problems come first (nothing else is checked on a file whose shape is wrong).
    expect(text).toContain('bad.yaml:2 name: lower-kebab');
    expect(text).toContain('inputs.size.choices: a choice input needs its choices');
    expect(text).toContain('inputs.count.default: the default 99 is above the maximum 10');
    expect(text).toMatch(/bad\.yaml:26 steps\[1\]\.timeout: a duration such as 30s/);

    const fixed = bad
      .replace('Scale_It', 'scale-it')
      .replace('3 weeks', '3m')
      .replace(/ {2}size:\n.*\n.*\n/, '')
      .replace('default: 99', 'default: 9');
    const second = checkTemplate(fixed, 'fixed.yaml', actions);
    expect(second.ok).toBe(false);
    const lines = describeProblems('fixed.yaml', (second as { ok: false; problems: [] }).problems).split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^fixed\.yaml:\d+ steps\[0\]\.action: kubernetes has no action explode for a deployment$/),
      expect.stringMatching(
        /^fixed\.yaml:\d+ steps\[0\]\.target\.id: \$\{inputs\.missing\} names no input of this template$/,
      ),
      expect.stringMatching(
        /steps\[1\]\.params\.replicas: \$\{steps\.third\.count\} refers to step third, which runs later$/,
      ),
      expect.stringMatching(/steps\[1\]\.params\.colour: scale takes no parameter colour \(it takes replicas\)$/),
      expect.stringMatching(/steps\[2\]\.params\.replicas: /),
      expect.stringMatching(/steps\[2\]\.params\.replicas: /),
    ]);
  });

  it('refuses YAML that does not parse, naming the line', () => {
    const check = checkTemplate('name: x\nsteps: [\n  - {', 'broken.yaml', actions);
    expect(check.ok).toBe(false);
    const [p] = (check as { ok: false; problems: { line?: number; message: string }[] }).problems;
    expect(p?.message).toMatch(/^not valid YAML: /);
    expect(p?.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses a step id used twice and a reference to the step itself', () => {
    const yaml = restartYaml
      .replace('id: restart', 'id: scale_out')
      .replace('params: { replicas: "${inputs.replicas}" }', 'params: { replicas: "${steps.scale_out.replicas}" }');
    const check = checkTemplate(yaml, 't.yaml', actions);
    const text = describeProblems('t.yaml', (check as { ok: false; problems: [] }).problems);
    expect(text).toContain('steps[0].params.replicas: ${steps.scale_out.replicas} refers to this step itself');
    expect(text).toContain('steps[2].id: step id scale_out is used twice');
  });

  it('refuses a run that starts with an approval gate (the whole plan is approved before it runs)', () => {
    const yaml = restartYaml.replace(
      /steps:\n[\s\S]*? {2}- id: gate\n {4}title: A second pair of eyes\n {4}approval: \{ roles: \[approver, admin\], quorum: 2 \}\n/,
      'steps:\n  - id: gate\n    title: A second pair of eyes\n    approval: { roles: [approver, admin], quorum: 2 }\n',
    );
    const check = checkTemplate(yaml, 't.yaml', actions);
    const text = describeProblems('t.yaml', (check as { ok: false; problems: [] }).problems);
    expect(text).toMatch(/t\.yaml:\d+ steps\[0\]\.approval: a run cannot start with an approval gate/);
  });

  it('takes a target an earlier step makes only as one reference, and moves only such a target to another region', () => {
    const yaml = restartYaml
      .replace(
        'wait: { target: { type: deployment, id: "${inputs.deployment}" }, until: available }',
        'wait: { target: { type: deployment, id: "x-${steps.restart.id}", region: eu-west-1 }, until: available }',
      )
      .replace(
        'target: { type: deployment, id: "${inputs.deployment}" }\n    params',
        'target: { type: deployment, id: "${inputs.deployment}", region: "${inputs.replicas}" }\n    params',
      );
    const check = checkTemplate(yaml, 't.yaml', actions);
    const text = describeProblems('t.yaml', (check as { ok: false; problems: [] }).problems);
    expect(text).toContain('steps[0].target.region: region is only for a target an earlier step makes');
    expect(text).toContain('steps[3].wait.target.id: a target made by an earlier step is one ${steps.<id>.<output>}');
    const fine = restartYaml.replace(
      'wait: { target: { type: deployment, id: "${inputs.deployment}" }, until: available }',
      'wait: { target: { type: deployment, id: "${steps.restart.id}", region: eu-west-1 }, until: available }',
    );
    expect(checkTemplate(fine, 't.yaml', actions).ok).toBe(true);
  });
});

describe('equivalents on other clouds', () => {
  const withEquivalents = (lines: string) => `${restartYaml}${lines}`;

  it('are optional, and read as one line per other cloud', () => {
    const none = checkTemplate(restartYaml, 'e.yaml', actions);
    expect(none.ok && none.template.equivalents).toBeUndefined();
    const check = checkTemplate(
      withEquivalents(
        'equivalents:\n  azure: "AKS with a system node pool and the cluster autoscaler"\n  gcp: "  GKE Standard with a node pool  "\n',
      ),
      'e.yaml',
      actions,
    );
    expect(check.ok && check.template.equivalents).toEqual({
      azure: 'AKS with a system node pool and the cluster autoscaler',
      gcp: 'GKE Standard with a node pool',
    });
  });

  it('refuses an unknown cloud, an empty line, none at all, and the template’s own provider', () => {
    const problems = (lines: string) => {
      const check = checkTemplate(withEquivalents(lines), 'e.yaml', actions);
      return check.ok ? [] : describeProblems('e.yaml', check.problems).split('\n');
    };
    expect(problems('equivalents:\n  oracle: OKE\n')).toEqual([
      expect.stringMatching(/^e\.yaml:\d+ equivalents: Unrecognized key: "oracle"$/),
    ]);
    expect(problems('equivalents:\n  gcp: ""\n').join('\n')).toMatch(/equivalents\.gcp: /);
    expect(problems('equivalents: {}\n')).toEqual([
      expect.stringMatching(/equivalents: name at least one other cloud/),
    ]);
    expect(problems('equivalents:\n  kubernetes: the same\n  gcp: GKE\n')).toEqual([
      expect.stringMatching(
        /^e\.yaml:\d+ equivalents\.kubernetes: the template itself runs on kubernetes; equivalents name the other clouds$/,
      ),
    ]);
  });
});

describe('inputs, values and cost', () => {
  it('checks a value against its input', () => {
    expect(inputProblem({ type: 'integer', description: 'n', optional: false, min: 1, max: 3 }, '2')).toBeUndefined();
    expect(inputProblem({ type: 'integer', description: 'n', optional: false, min: 1 }, '0')).toBe(
      '0 is below the minimum 1',
    );
    expect(inputProblem({ type: 'integer', description: 'n', optional: false }, '2.5')).toBe(
      '"2.5" is not a whole number',
    );
    expect(inputProblem({ type: 'boolean', description: 'b', optional: false }, 'yes')).toBe(
      '"yes" is not true or false',
    );
    expect(inputProblem({ type: 'choice', description: 'c', optional: false, choices: ['a', 'b'] }, 'c')).toBe(
      '"c" is not one of a, b',
    );
    expect(
      inputProblem({ type: 'string', description: 's', optional: false, pattern: '[a-z]+' }, 'abc'),
    ).toBeUndefined();
    expect(inputProblem({ type: 'string', description: 's', optional: false, pattern: '[a-z]+' }, 'abc1')).toBe(
      '"abc1" does not match [a-z]+',
    );
  });

  it('reads durations up to a day', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('25h')).toBeUndefined();
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
  });

  it('resolves references, and says which one has no value', () => {
    const scope = { inputs: { app: 'checkout' }, steps: { tg: { arn: 'arn:aws:tg/1' } } };
    expect(resolveValue('${inputs.app}-blue → ${ steps.tg.arn }', scope)).toBe('checkout-blue → arn:aws:tg/1');
    expect(() => resolveValue('${steps.tg.name}', scope)).toThrow('${steps.tg.name} has no value yet');
  });

  it('prices what a template builds from the price tables, and lists what is not priced', () => {
    const yaml = `
name: two-instances
version: 1
category: deploy
description: d
provider: aws
inputs:
  region: { type: string, description: r, default: us-east-1 }
  count: { type: integer, description: c, default: 2 }
steps:
  - id: stop
    title: Stop
    action: stop
    target: { type: instance, id: i-1 }
cost:
  - { kind: instance, item: t3.small, quantity: "\${inputs.count}" }
  - { kind: load_balancer, item: application, region: eu-west-1 }
  - { kind: instance, item: t3.small, region: mars-north-1 }
`;
    const check = checkTemplate(yaml, 'c.yaml', actions);
    expect(check.ok).toBe(true);
    const t = (check as { ok: true; template: Template }).template;
    const e = estimateMonthlyCents(t, { region: 'us-east-1', count: '3' });
    expect(e.cents).toBe(
      monthlyCents('aws', 'instance', 't3.small', 'us-east-1', 3)! +
        monthlyCents('aws', 'load_balancer', 'application', 'eu-west-1')!,
    );
    expect(e.cents).toBeGreaterThan(0);
    expect(e.unpriced).toEqual(['instance t3.small in mars-north-1']);
    // An item the price table does not have is a problem of the file.
    const unknown = checkTemplate(yaml.replace('item: application', 'item: quantum'), 'c.yaml', actions);
    expect(describeProblems('c.yaml', (unknown as { ok: false; problems: [] }).problems)).toContain(
      'cost[1].item: the aws price table has no load_balancer quantum',
    );
  });
});

describe('actions that only undo', () => {
  const yaml = `
name: apply-then-restore
version: 1
category: other
description: Apply a config map; restoring it by hand is not a step.
provider: kubernetes
inputs:
  ns: { type: resource, description: The namespace, resource: { type: namespace } }
steps:
  - id: apply
    title: Apply
    action: apply_config_map
    target: { type: namespace, id: "\${inputs.ns}" }
    params: { name: settings, key: app.conf, text: "x = 1" }
    compensate: { action: restore_config_map, params: { name: settings, object: "{}" } }
  - id: restore
    title: Restore
    action: restore_config_map
    target: { type: namespace, id: "\${inputs.ns}" }
    params: { name: settings, object: "{}" }
`;
  it('are refused as a step (a compensation may name them), and are never offered or planned on their own', async () => {
    const check = checkTemplate(yaml, 't.yaml', actions);
    const text = describeProblems('t.yaml', (check as { ok: false; problems: [] }).problems);
    expect(text).toMatch(/t\.yaml:\d+ steps\[1\]\.action: restore_config_map only runs to undo an earlier change/);
    expect(text).not.toMatch(/steps\[0\]/);
    const ns = {
      provider: 'kubernetes',
      account: 'dev-us',
      region: 'dev-us',
      type: 'namespace',
      id: 'ns/shop',
      name: 'shop',
      state: 'active',
      tags: {},
      environment: 'dev',
      attributes: {},
      monthlyCostCents: 0,
    } as unknown as Resource;
    const provider = { actions: kubernetesActions } as unknown as CloudProvider;
    expect(actionsNow(provider, ns).map((a) => a.name)).not.toContain('restore_config_map');
    expect(actionsNow(provider, ns).map((a) => a.name)).toContain('apply_config_map');
    await expect(
      planAction({ provider: () => provider }, ns, 'restore_config_map', { name: 'settings', object: '{}' }),
    ).rejects.toThrow(/only runs to undo an earlier change/);
  });
});

describe('the README', () => {
  it('documents a template format example that checks', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Workflow templates'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const check = checkTemplate(yaml, 'README.md', actions);
    expect(check.ok ? [] : describeProblems('README.md', check.problems).split('\n')).toEqual([]);
  });
});
