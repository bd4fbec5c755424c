// Plain JavaScript on purpose: a .ts preload would load the type stripper and add ~20 MiB to what it measures.
// Preloaded into the action's process by the benchmarks (node --import): on exit, writes the peak RSS to the
// file named by RSS_PROBE_FILE.
// VmHWM, not process.resourceUsage().maxRSS: on Linux getrusage's maxrss carries over the high-water mark from
// before exec, i.e. the size of the forked parent (the benchmark, holding gigabytes), not this process's own.
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env['RSS_PROBE_FILE'];
if (target) {
  process.on('exit', () => {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(target, JSON.stringify({ maxRssKiB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS, uptimeMs: Math.round(process.uptime() * 1000) }));
  });
}
