/* global AbortSignal */
// The container image's HEALTHCHECK (slim images have no curl): GET /healthz (or the path given as
// the first argument) on this container's PORT over loopback; exit 0 on a 2xx answer, 1 otherwise.
const path = process.argv[2] ?? '/healthz';
const port = process.env.PORT || '3000';
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4_000) });
  if (!res.ok) {
    process.stderr.write(`healthcheck: GET ${path} answered ${res.status}\n`);
    process.exit(1);
  }
} catch (err) {
  process.stderr.write(`healthcheck: GET ${path} on port ${port} failed: ${err.cause?.code ?? err.message}\n`);
  process.exit(1);
}
