// `npm run sandbox`: the local AWS emulator (EC2, STS, ELBv2, CloudWatch) on its own, for pointing
// any AWS client at it:
//   AWS_ENDPOINT_URL=http://127.0.0.1:4599 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws ec2 describe-volumes
// (or run the bot against it with those variables: it then treats it like a real AWS endpoint).
// The second account is reached with `aws sts assume-role --role-arn <the role printed below>`.
import { sandboxSecondRoleArn } from '../src/cloud/sandbox/fleet.ts';
import { startSandbox } from '../src/cloud/sandbox/server.ts';
import { ConfigError, loadConfig } from '../src/config.ts';

let port: number;
try {
  port = loadConfig(process.env).SANDBOX_PORT;
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  for (const p of e.problems) process.stderr.write(`sandbox: config ${p}\n`);
  process.exit(1);
}
// Stops and starts take 2 s, as in the app, so `describe-instances` shows them under way.
const sandbox = await startSandbox({ port, transitionMs: 2000 });
const count = [...sandbox.fleets.values()].reduce(
  (n, f) =>
    n +
    f.instances.length +
    f.volumes.length +
    f.snapshots.length +
    f.securityGroups.length +
    f.addresses.length +
    f.natGateways.length +
    f.vpcs.length +
    f.loadBalancers.length,
  0,
);
console.log(
  `AWS sandbox listening at ${sandbox.url} with ${count} demo resources in ${sandbox.fleets.size} accounts ` +
    `(second account: ${sandboxSecondRoleArn}; Ctrl-C to stop)`,
);
const stop = () => void sandbox.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
