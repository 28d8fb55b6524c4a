// An open-loop load at a fixed rate (a request every 1/RATE s, whether or not the last one has
// answered), so latency under a sustained rate is measured without the coordinated omission of a
// closed loop. Run as a separate process by run.ts: node paced.js URL BODYFILE CAFILE RATE SECONDS.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [url, bodyFile, caFile, rateText, secondsText] = process.argv.slice(2) as [string, string, string, string, string];
const body = readFileSync(bodyFile);
const ca = readFileSync(caFile);
const rate = Number(rateText);
const total = rate * Number(secondsText);
// A bounded pool of keep-alive connections, as the API server's webhook client keeps.
const agent = new Agent({ keepAlive: true, maxSockets: 16, ca });
const latencies: number[] = [];
let failed = 0;
// Connections first (a TLS handshake each), as the API server's keep-alive connections would already be up.
const once = (): Promise<void> => new Promise((resolve, reject) => {
  request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.byteLength } }, (res) => { res.resume(); res.on('end', resolve); })
    .on('error', reject).end(body);
});
for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 4 }, once));
const t0 = performance.now();
await new Promise<void>((done) => {
  let sent = 0;
  let settled = 0;
  const fire = (): void => {
    const started = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.byteLength } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(performance.now() - started);
        else failed++;
        if (++settled === total) done();
      });
    });
    req.on('error', () => { failed++; if (++settled === total) done(); });
    req.end(body);
  };
  const tick = (): void => {
    // Catch up to the schedule: every request due by now is sent.
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (sent < due) { sent++; fire(); }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
});
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? Number.NaN;
process.stdout.write(JSON.stringify({ sent: total, ok: latencies.length, failed, seconds: elapsed, p50: pct(50), p99: pct(99), max: latencies.at(-1), over10ms: latencies.filter((l) => l > 10).length, over100ms: latencies.filter((l) => l > 100).length }) + '\n');
agent.destroy();
