// `npm run sandbox`: the local EC2 emulator on its own, for pointing any EC2 client at it:
//   AWS_ENDPOINT_URL=http://127.0.0.1:4599 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws ec2 describe-instances
// (or run the bot against it with those variables: it then treats it like a real AWS endpoint).
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
const sandbox = await startSandbox({ port });
const count =
  sandbox.fleet.instances.length +
  sandbox.fleet.volumes.length +
  sandbox.fleet.snapshots.length +
  sandbox.fleet.securityGroups.length;
console.log(`EC2 sandbox listening at ${sandbox.url} with ${count} demo resources (Ctrl-C to stop)`);
const stop = () => void sandbox.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
