import { describe, expect, test } from '@jest/globals';
import { HELP_SUMMARY } from '../../src/engine/planner/help.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

const fail = (input: string) => {
  const r = parseCommand(input);
  if (r.ok) throw new Error(`${input} parsed as ${JSON.stringify(r.command)}`);
  return r;
};

/** Typos get a corrected command that keeps the user's own arguments. */
const typos: Array<[string, string]> = [
  ['lst instances', 'list instances'],
  ['stp web-1', 'stop web-1'],
  ['aprove CR-3', 'approve CR-3'],
  ['list instanses', 'list instances'],
  ['lsit instaces', 'list instances'],
  ['Lst Instances in aws', 'list Instances in aws'],
  ['strat web-1', 'start web-1'],
  ['reboto "web server"', 'reboot "web server"'],
  ['resise web-1 to t3.large', 'resize web-1 to t3.large'],
  ['rejcet CR-3 too risky', 'reject CR-3 too risky'],
  ['rollbak 4', 'rollback 4'],
  ['grnat alice admin', 'grant alice admin'],
  ['grant alice admn', 'grant alice admin'],
  ['grant alice aprover', 'grant alice approver'],
  ['whoamii', 'whoami'],
  ['usgae 2026-11', 'usage 2026-11'],
  ['chnages pending', 'changes pending'],
  ['changes pendng', 'changes pending'],
  ['cots by env', 'costs by env'],
  ['costs by provder', 'costs by provider'],
  ['audit verfy', 'audit verify'],
  ['list volumes in azur', 'list volumes in azure'],
  ['list instances in asw', 'list instances in aws'],
  ['list asw instances', 'list aws instances'],
  ['list snapshtos', 'list snapshots'],
  ['list instances provider=gpc', 'list instances provider=gcp'],
  ['listinstances', 'list instances'],
  ['instances', 'list instances'],
  ['prod instances', 'list prod instances'],
  ['security groups', 'list security groups'],
  ['i-0ABC12345', 'show i-0abc12345'],
  ['list perf instances', 'list instances env=perf'],
  ['<@U0BOT> lst instances', 'list instances'],
  ['hello', 'help'],
  ['"list" instances', 'list instances'],
];

describe('did you mean', () => {
  test.each(typos)('%j → %j', (input, suggestion) => {
    const r = fail(input);
    expect(r.suggestion).toBe(suggestion);
    expect(r.message).toContain("I didn't understand “");
    expect(r.message).toContain(`Did you mean \`${suggestion}\`?`);
    // A suggestion is only offered when it works as typed.
    expect(parseCommand(suggestion).ok).toBe(true);
  });

  test('the message quotes what the user wrote, without the bot mention', () => {
    expect(fail('<@U0BOT> lst instances').message).toBe(
      "I didn't understand “lst instances”. Did you mean `list instances`?",
    );
  });

  test('long input is quoted shortened', () => {
    const r = fail(`zzz ${'q'.repeat(300)}`);
    expect(r.message).toContain('…”');
    expect(r.message.length).toBeLessThan(300);
  });
});

describe('nothing close: the help summary, no suggestion', () => {
  test.each(['foo bar baz', 'what is the meaning of life', 'hi', '12345', '<@U1> <@U2> xyzzy'])('%j', (input) => {
    const r = fail(input);
    expect(r.suggestion).toBeUndefined();
    expect(r.message).toContain("I didn't understand");
    expect(r.message).toContain(HELP_SUMMARY);
  });
});

/** Wrong arity or a bad argument gets that command's usage line. */
const usages: Array<[string, string, string]> = [
  ['analytics 2026-13', 'usage: analytics [team] [period]', '“2026-13” is not a period: say a month like 2026-11'],
  ['analytics 12d', 'usage: analytics [team] [period]', 'this-month, last-month, 7d, 30d or 90d'],
  ['analytics payments nonsense', 'usage: analytics [team] [period]', '“nonsense” is not a period'],
  ['analytics payments data 7d', 'usage: analytics [team] [period]', 'one team and one period'],
  ['show web server 1', 'usage: show <resource>', 'in quotes'],
  ['stop web-1 web-2', 'usage: stop <resource>', 'in quotes'],
  ['reboot <@U1>', 'usage: reboot <resource>', ''],
  ['resize web-1 to', 'usage: resize <resource> [to <size>]', ''],
  ['resize to t3.large', 'usage: resize <resource> [to <size>]', ''],
  ['resize web-1 to t3.large m5.large', 'usage: resize <resource> [to <size>]', ''],
  ['resize web server to t3.large', 'usage: resize <resource> [to <size>]', 'in quotes'],
  ['approve', 'usage: approve <change>', ''],
  ['approve web-1', 'usage: approve <change>', '“web-1” is not a change id'],
  ['approve CR-0', 'usage: approve <change>', 'not a change id'],
  ['approve CR-1 CR-2', 'usage: approve <change>', 'One change at a time'],
  ['reject', 'usage: reject <change> [reason…]', ''],
  ['reject because', 'usage: reject <change> [reason…]', 'not a change id'],
  ['rollback', 'usage: rollback <change>', ''],
  ['rollback CR-', 'usage: rollback <change>', ''],
  ['grant', 'usage: grant <user> <role>', ''],
  ['grant alice', 'usage: grant <user> <role>', ''],
  ['grant alice bob', 'usage: grant <user> <role>', '“bob” is not a role'],
  ['grant alice admin now', 'usage: grant <user> <role>', ''],
  ['grant alice approver for', 'usage: grant <user> <role> [for <duration> [reason…]]', 'Say for how long'],
  ['grant alice approver for ever', 'usage: grant <user> <role>', '“ever” is not a duration'],
  ['grant alice for 2h', 'usage: grant <user> <role>', ''],
  ['approve CR-3 override', 'usage: approve <change> [override <reason…>]', 'Say why you override'],
  ['approve CR-3 please-now', 'usage: approve <change>', 'One change at a time'],
  ['revoke', 'usage: revoke <user>', ''],
  ['revoke alice bob', 'usage: revoke <user>', ''],
  ['freeze', 'usage: freeze <environment|all>', 'Name the environment'],
  ['freeze prod', 'usage: freeze <environment|all>', 'Say when it ends'],
  ['freeze prod until', 'usage: freeze <environment|all>', 'Say when it ends'],
  ['freeze prod until someday', 'usage: freeze <environment|all>', '“someday” is not a time I can read'],
  ['freeze prod until 2026-02-30', 'usage: freeze <environment|all>', '“2026-02-30” is not a date'],
  [
    'freeze prod until friday tz=Mars/Olympus',
    'usage: freeze <environment|all>',
    '“Mars/Olympus” is not an IANA time zone',
  ],
  ['freeze prod for ages', 'usage: freeze <environment|all>', '“ages” is not a duration'],
  ['freeze "prod env" until friday', 'usage: freeze <environment|all>', 'is not an environment name'],
  ['unfreeze', 'usage: unfreeze <environment|all>', 'Name the environment'],
  ['unfreeze prod staging', 'usage: unfreeze <environment|all>', 'One environment'],
  ['freezes prod', 'usage: freezes', ''],
  ['grants now', 'usage: grants', ''],
  ['whoami now', 'usage: whoami', ''],
  ['usage nonsense', 'usage: usage [YYYY-MM]', '“nonsense” is not a month. Give one month, like 2026-11'],
  ['usage 2026-13', 'usage: usage [YYYY-MM]', '“2026-13” is not a month'],
  ['usage 11-2026', 'usage: usage [YYYY-MM]', 'is not a month'],
  ['usage 2026-11 2026-12', 'usage: usage [YYYY-MM]', 'Give one month, like 2026-11, or nothing'],
  ['usage last month', 'usage: usage [YYYY-MM]', 'Give one month'],
  ['audit everything', 'usage: audit [verify]', ''],
  ['changes yesterday', 'usage: changes [pending|mine]', ''],
  ['changes pending mine', 'usage: changes [pending|mine]', ''],
  ['costs by weekday', 'usage: costs [by service|env|provider]', 'not “weekday”'],
  ['costs by env provider', 'usage: costs [by service|env|provider]', ''],
  ['list foo', 'usage: list <type> [in <provider>] [env=<env>]', 'the type “foo”'],
  ['list instances volumes', 'usage: list <type>', 'One type at a time'],
  ['list aws azure', 'usage: list <type>', 'One provider at a time'],
  ['list instances env=', 'usage: list <type>', 'value after “env”'],
  ['list instances in "a b"', 'usage: list <type>', 'not a provider or an environment'],
];

describe('usage errors', () => {
  test.each(usages)('%j', (input, line, reason) => {
    const r = fail(input);
    expect(r.message).toContain(line);
    expect(r.message).toMatch(/— e\.g\. `[^`]+`$/);
    if (reason) expect(r.message).toContain(reason);
    expect(r.suggestion).toBeUndefined();
  });

  test('the reason comes on its own line before the usage line', () => {
    expect(fail('approve web-1').message).toBe(
      '“web-1” is not a change id (like CR-12).\nusage: approve <change> [override <reason…>] — e.g. `approve CR-12`',
    );
  });

  test('a misspelled command without its arguments names the command and its usage', () => {
    const r = fail('aprove');
    expect(r.message).toBe(
      "I didn't understand “aprove”. Did you mean `approve`? usage: approve <change> [override <reason…>] — e.g. `approve CR-12`",
    );
    expect(r.suggestion).toBeUndefined();
    // A command that works alone (it asks which resource) is simply suggested.
    expect(fail('stp')).toMatchObject({
      message: "I didn't understand “stp”. Did you mean `stop`?",
      suggestion: 'stop',
    });
  });

  test('an over-long message is refused without being parsed', () => {
    expect(fail(`list ${'x'.repeat(1200)}`).message).toContain('too long');
    expect(fail('y'.repeat(50_000)).message).toContain('too long');
  });
});

describe('several typos', () => {
  test.each([
    ['lits instnaces in awsc env=prod', 'list instances in aws env=prod'],
    ['chnages pendng', 'changes pending'],
    ['grnat alice admn', 'grant alice admin'],
  ])('%j → %j', (input, suggestion) => {
    expect(fail(input).suggestion).toBe(suggestion);
  });

  test('a chain of fixes that never parses offers nothing', () => {
    const r = fail('list Y>aws 🙂stop g');
    expect(r.suggestion).toBeUndefined();
    expect(r.message).toContain(HELP_SUMMARY);
  });
});
