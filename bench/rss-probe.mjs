// Plain JavaScript on purpose: a .ts preload would load the type stripper and add ~20 MiB to what it measures.
// Preloaded into the action's process by the benchmarks (node --import): on exit, writes the peak RSS to the
// file named by RSS_PROBE_FILE. process.resourceUsage().maxRSS is in KiB.
import { writeFileSync } from 'node:fs';

const target = process.env['RSS_PROBE_FILE'];
if (target) {
  process.on('exit', () => {
    writeFileSync(target, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, uptimeMs: Math.round(process.uptime() * 1000) }));
  });
}
