import { describe, expect, test } from '@jest/globals';
import { scoreFramework } from '../../src/scans/compliance.ts';
import type { Framework } from '../../src/scans/frameworks/index.ts';
import {
  complianceHtml,
  csvColumns,
  csvField,
  findingsCsv,
  findingsOcsf,
  type RuleInfo,
} from '../../src/scans/reports.ts';
import type { Finding } from '../../src/scans/repository.ts';

const t0 = new Date('2026-11-01T10:00:00.000Z');
const t1 = new Date('2026-11-20T08:30:00.000Z');

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'a1b2c3d4e5f6',
  ruleId: 'aws.s3.public_block',
  category: 'security',
  severity: 'high',
  provider: 'aws',
  account: '123456789012',
  region: 'eu-west-1',
  resourceType: 'bucket',
  resourceId: 'arn:aws:s3:::logs',
  resourceName: 'logs',
  environment: 'prod',
  tags: { team: 'web' },
  verdict: 'fail',
  detail: 'Public access is not blocked.',
  evidence: { blockPublicAcls: false },
  savingCents: 0,
  fixParams: null,
  status: 'open',
  firstSeenAt: t0,
  lastSeenAt: t1,
  resolvedAt: null,
  suppressionId: null,
  ...over,
});

const rules: RuleInfo[] = [
  { id: 'aws.s3.public_block', title: 'S3 buckets block public access', remediation: 'Turn on Block Public Access.' },
  { id: 'cost.ebs.unattached', title: 'Unattached volumes', remediation: 'Snapshot, then delete the volume.' },
];

/** Splits RFC 4180 text into records of fields (quoted fields may hold commas, quotes and line breaks). */
const parseCsv = (text: string): string[][] => {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  while (i < text.length) {
    expect(text[i]).toBe('"');
    let value = '';
    i++;
    for (;;) {
      if (text[i] === '"' && text[i + 1] === '"') {
        value += '"';
        i += 2;
      } else if (text[i] === '"') {
        i++;
        break;
      } else {
        value += text[i];
        i++;
      }
    }
    fields.push(value);
    if (text[i] === ',') i++;
    else {
      expect(text.slice(i, i + 2)).toBe('\r\n');
      i += 2;
      records.push(fields);
      fields = [];
    }
  }
  return records;
};

describe('findingsCsv', () => {
  test('a header row and one quoted record per finding, CRLF after each', () => {
    const csv = findingsCsv(
      [
        finding(),
        finding({
          id: 'ffff00001111',
          ruleId: 'cost.ebs.unattached',
          category: 'cost',
          severity: 'medium',
          resourceType: 'volume',
          resourceId: 'vol-1',
          resourceName: 'vol-1',
          savingCents: 1234,
          status: 'resolved',
          resolvedAt: t1,
        }),
        finding({ id: 'eeee00001111', suppressionId: 4 }),
      ],
      { rules },
    );
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    const [header, first, second, third] = parseCsv(csv);
    expect(header).toEqual([...csvColumns]);
    expect(first).toEqual([
      'F-a1b2c3d4e5f6',
      'open',
      'high',
      'security',
      'aws.s3.public_block',
      'S3 buckets block public access',
      'aws',
      '123456789012',
      'eu-west-1',
      'bucket',
      'arn:aws:s3:::logs',
      'logs',
      'prod',
      'fail',
      'Public access is not blocked.',
      '0.00',
      '2026-11-01T10:00:00.000Z',
      '2026-11-20T08:30:00.000Z',
      '',
    ]);
    expect(second?.[1]).toBe('resolved');
    expect(second?.[5]).toBe('Unattached volumes');
    expect(second?.[15]).toBe('12.34');
    expect(second?.[18]).toBe('2026-11-20T08:30:00.000Z');
    expect(third?.[1]).toBe('suppressed');
  });

  test('quotes, commas and line breaks survive inside one field', () => {
    const detail = 'Says "hello", then\r\nleaves\nagain';
    const csv = findingsCsv([finding({ detail })], { rules });
    expect(csv).toContain('"Says ""hello"", then\r\nleaves\nagain"');
    expect(parseCsv(csv)[1]?.[14]).toBe(detail);
  });

  test.each(['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd'])(
    'a field starting like a formula (%j) gets a leading apostrophe',
    (name) => {
      expect(csvField(name)).toBe(`"'${name.replaceAll('"', '""')}"`);
      const csv = findingsCsv([finding({ resourceName: name })], { rules });
      expect(parseCsv(csv)[1]?.[11]).toBe(`'${name}`);
    },
  );

  test('ordinary values are left alone, and an empty list is the header only', () => {
    expect(csvField('web-1 = main')).toBe('"web-1 = main"');
    expect(csvField('')).toBe('""');
    expect(parseCsv(findingsCsv([], { rules }))).toEqual([[...csvColumns]]);
  });
});

describe('findingsOcsf', () => {
  test('a Detection Finding with its classification, times in ms, resource, cloud and remediation', () => {
    const [e] = findingsOcsf([finding()], rules, { vendorName: 'Example Ltd' });
    expect(e).toMatchObject({
      class_uid: 2004,
      class_name: 'Detection Finding',
      category_uid: 2,
      category_name: 'Findings',
      activity_id: 2,
      activity_name: 'Update',
      type_uid: 200402,
      severity_id: 4,
      severity: 'High',
      status_id: 1,
      status: 'New',
      time: t1.getTime(),
      message: 'Public access is not blocked.',
      finding_info: {
        uid: 'F-a1b2c3d4e5f6',
        title: 'S3 buckets block public access',
        desc: 'Public access is not blocked.',
        first_seen_time: t0.getTime(),
        last_seen_time: t1.getTime(),
        types: ['security'],
        analytic: { uid: 'aws.s3.public_block', type_id: 1, type: 'Rule' },
      },
      resources: [
        {
          uid: 'arn:aws:s3:::logs',
          name: 'logs',
          type: 'bucket',
          region: 'eu-west-1',
          cloud_partition: 'aws',
          labels: ['team:web'],
        },
      ],
      cloud: { provider: 'AWS', account: { uid: '123456789012' }, region: 'eu-west-1' },
      remediation: { desc: 'Turn on Block Public Access.' },
      metadata: { product: { name: 'DevOps Agent', vendor_name: 'Example Ltd' }, version: '1.3.0' },
      unmapped: { rule_id: 'aws.s3.public_block', verdict: 'fail', evidence: { blockPublicAcls: false } },
    });
    expect(String((e?.metadata as { version: string }).version)).toMatch(/^1\.\d+\.0$/);
  });

  test.each([
    ['critical', 5, 'Critical'],
    ['high', 4, 'High'],
    ['medium', 3, 'Medium'],
    ['low', 2, 'Low'],
    ['info', 1, 'Informational'],
  ])('severity %s → severity_id %d', (severity, id, name) => {
    const [e] = findingsOcsf([finding({ severity })], rules);
    expect(e?.severity_id).toBe(id);
    expect(e?.severity).toBe(name);
  });

  test('activity and status follow the finding: new, updated, suppressed, closed', () => {
    const [created, suppressed, closed] = findingsOcsf(
      [
        finding({ lastSeenAt: t0 }),
        finding({ suppressionId: 3 }),
        finding({ status: 'resolved', resolvedAt: new Date('2026-11-21T00:00:00Z') }),
      ],
      rules,
    );
    expect([created?.activity_id, created?.type_uid, created?.status_id]).toEqual([1, 200401, 1]);
    expect([suppressed?.activity_id, suppressed?.status_id, suppressed?.status]).toEqual([2, 3, 'Suppressed']);
    expect([closed?.activity_id, closed?.type_uid, closed?.status_id, closed?.status]).toEqual([
      3,
      200403,
      4,
      'Resolved',
    ]);
    expect(closed?.time).toBe(Date.parse('2026-11-21T00:00:00Z'));
  });

  test('partitions and providers: China regions, other clouds without a partition, an unknown rule without remediation', () => {
    const [cn, az] = findingsOcsf(
      [
        finding({ region: 'cn-north-1' }),
        finding({ provider: 'azure', account: 'sub-1', region: 'westeurope', ruleId: 'az.gone', tags: {} }),
      ],
      rules,
    );
    expect((cn?.resources as Array<Record<string, unknown>>)[0]?.cloud_partition).toBe('aws-cn');
    const res = (az?.resources as Array<Record<string, unknown>>)[0];
    expect(res).not.toHaveProperty('cloud_partition');
    expect(res).not.toHaveProperty('labels');
    expect(az?.cloud).toEqual({ provider: 'Azure', account: { uid: 'sub-1' }, region: 'westeurope' });
    expect(az).not.toHaveProperty('remediation');
    expect(az?.finding_info.title).toBe('az.gone');
  });

  test('the saving is in dollars per month in unmapped', () => {
    const [e] = findingsOcsf([finding({ category: 'cost', savingCents: 4599 })], rules);
    expect((e?.unmapped as { saving_usd_per_month: number }).saving_usd_per_month).toBe(45.99);
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });
});

describe('complianceHtml', () => {
  const framework: Framework = {
    id: 'demo',
    name: 'Demo <Benchmark> & "Co"',
    version: '1.0',
    source: 'Publisher, https://example.org/demo <v1>',
    sections: [
      { id: '1', title: 'Identity & <access>' },
      { id: '2', title: 'Logging' },
    ],
    requirements: [
      { id: '1.1', section: '1', title: 'MFA <on> root', rules: ['aws.iam.root_mfa'] },
      { id: '1.2', section: '1', title: 'No keys', rules: ['aws.iam.root_access_key'] },
      { id: '2.1', section: '2', title: 'Trails', rules: ['aws.trail.multi_region'] },
      { id: '2.2', section: '2', title: 'Flow logs', rules: ['aws.vpc.flow_logs'] },
    ],
  };
  const report = scoreFramework(
    framework,
    {
      'aws.iam.root_mfa': { pass: 1, fail: 0, manual: 0, error: 0 },
      'aws.trail.multi_region': { pass: 2, fail: 0, manual: 0, error: 0 },
    },
    new Map([
      [
        'aws.iam.root_access_key',
        {
          failed: [
            {
              findingId: 'abc123abc123',
              ruleId: 'aws.iam.root_access_key',
              resource: '<script>alert(1)</script>',
              account: '1"2',
            },
          ],
          manual: 0,
        },
      ],
      ['aws.vpc.flow_logs', { failed: [], manual: 2 }],
    ]),
    42,
  );
  const html = complianceHtml(report, { generatedAt: t1, workspace: 'console' });

  test('one document with the framework, its source, the time, the scores and each requirement', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Demo &lt;Benchmark&gt; &amp; &quot;Co&quot; 1.0: compliance report</title>');
    expect(html).toContain('Source: Publisher, https://example.org/demo &lt;v1&gt;');
    expect(html).toContain('2026-11-20T08:30:00.000Z');
    expect(html).toContain('Overall score: 67%');
    expect(html).toContain('From scan 42');
    // Section 1: 1.1 passing, 1.2 failing → 50%; section 2: 2.1 passing, 2.2 manual → 100%.
    expect(html).toMatch(/<td>1<\/td><td>Identity &amp; &lt;access&gt;<\/td><td class="num">50%<\/td>/);
    expect(html).toMatch(/<td>2<\/td><td>Logging<\/td><td class="num">100%<\/td>/);
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;, account <code>1&quot;2</code>: <code>F-abc123abc123</code>',
    );
    // One rule per requirement: the rules column names it, the failing resource does not repeat it.
    expect(html).not.toContain('(aws.iam.root_access_key)');
  });

  test('statuses are words, not colour alone', () => {
    const statusCells = [...html.matchAll(/<span class="status [^"]+">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(statusCells).toEqual(['Passing', 'Failing', 'Passing', 'Check by hand']);
  });

  test('no script, no external request, printable', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\son\w+=/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    // The only "http" text is the escaped source the framework names, never an attribute.
    expect(html.match(/https?:\/\//g)).toEqual(['https://']);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).toContain('@media print');
  });

  test('without a scan every requirement is not checked and nothing is scored', () => {
    const empty = complianceHtml(scoreFramework(framework, {}, new Map(), null), { generatedAt: t1 });
    expect(empty).toContain('Overall score: not scored');
    expect(empty).toContain('No security scan has run');
    expect([...empty.matchAll(/>Not checked<\/span>/g)]).toHaveLength(4);
    expect(empty).not.toContain('Workspace:');
  });
});
