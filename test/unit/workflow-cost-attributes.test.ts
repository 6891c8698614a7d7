import { describe, expect, it } from '@jest/globals';
import { staticActionLookup } from '../../src/cloud/catalogs.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import {
  checkTemplate,
  costResourceInputs,
  describeProblems,
  estimateMonthlyCents,
  resolveValue,
  type Template,
} from '../../src/workflows/template.ts';

// A cost line may read an attribute of the resource a resource input picks
// (`${inputs.database.allocatedStorage}`): checked when the template is read, resolved when the
// plan is built, and a line whose attribute is missing is listed as unpriced, never counted as 0.
const yaml = (cost: string, step = '') => `
name: db-copy
version: 1
category: resilience
description: Snapshot a database.
provider: aws
inputs:
  database: { type: resource, description: The database, resource: { type: database } }
  region: { type: string, description: A region }
steps:
  - id: snap
    title: Snapshot
    action: create_snapshot
    target: { type: database, id: "\${inputs.database}" }${step}
cost:
${cost}
`;

const checked = (text: string) => checkTemplate(text, 'db-copy.yaml', staticActionLookup);

describe('cost lines that read a picked resource', () => {
  it('accepts an attribute of a resource input in a cost line, and nothing of the kind elsewhere', () => {
    const ok = checked(
      yaml(`  - { kind: db_backup, item: standard, quantity: "\${inputs.database.allocatedStorage}", region: "\${inputs.database.region}" }
  - { kind: database, item: "\${inputs.database.class}:\${inputs.database.engine}" }`),
    );
    expect(ok.ok).toBe(true);
    expect(costResourceInputs((ok as { template: Template }).template)).toEqual(['database']);
    const bad = checked(
      yaml(
        `  - { kind: db_backup, item: standard, quantity: "\${inputs.region.size}" }
  - { kind: db_backup, item: standard, quantity: "\${inputs.nothing.size}" }`,
        `\n    params: { snapshot: "\${inputs.database.name}" }`,
      ),
    );
    expect(bad.ok).toBe(false);
    expect(describeProblems('db-copy.yaml', bad.ok ? [] : bad.problems)).toBe(
      [
        'db-copy.yaml:15 steps[0].params.snapshot: ${inputs.database.name} is not a reference (use ${inputs.<name>} or ${steps.<id>.<output>})',
        'db-copy.yaml:17 cost[0].quantity: ${inputs.region.size}: only a resource input has attributes (region is string)',
        'db-copy.yaml:18 cost[1].quantity: ${inputs.nothing.size} names no input of this template',
      ].join('\n'),
    );
  });

  it('prices from the attributes given, and lists a line apart when an attribute is missing', () => {
    const t = (
      checked(
        yaml(`  - { kind: db_backup, item: standard, quantity: "\${inputs.database.allocatedStorage}", region: "\${inputs.database.region}" }
  - { kind: db_storage, item: "\${inputs.database.storageType}", quantity: "\${inputs.database.allocatedStorage}" }`),
      ) as { template: Template }
    ).template;
    const inputs = { database: 'orders-db', region: 'eu-west-1' };
    const database = { allocatedStorage: 100, region: 'us-east-1', storageType: 'gp3' };
    expect(estimateMonthlyCents(t, inputs, { database })).toEqual({
      cents:
        monthlyCents('aws', 'db_backup', 'standard', 'us-east-1', 100)! +
        monthlyCents('aws', 'db_storage', 'gp3', 'eu-west-1', 100)!,
      unpriced: [],
    });
    expect(estimateMonthlyCents(t, inputs, { database: { allocatedStorage: 100, region: 'us-east-1' } })).toEqual({
      cents: monthlyCents('aws', 'db_backup', 'standard', 'us-east-1', 100)!,
      unpriced: ['db_storage ${inputs.database.storageType} in eu-west-1'],
    });
    expect(
      resolveValue('${inputs.database.allocatedStorage} GiB', { inputs, steps: {}, resources: { database } }),
    ).toBe('100 GiB');
    expect(() => resolveValue('${inputs.database.nothing}', { inputs, steps: {}, resources: { database } })).toThrow(
      '${inputs.database.nothing} has no value yet',
    );
  });
});
