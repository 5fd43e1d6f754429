/** CPU time of processes from /proc (Linux): the benchmark charges each batch the CPU it cost. */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Name and utime + stime (ms) of a /proc stat line (a process's, or one thread's under task/). */
function parseStat(stat: string): { name: string; ms: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000 };
}

/** utime + stime of a process (all its threads), ms; null where /proc is not available. */
export function processCpuMs(pid: number): number | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ms;
  } catch {
    return null;
  }
}

/** The pid of the dev server listening on `port` (the SDK starts it; it does not tell us the pid). */
export function devServerPid(port: number): number | undefined {
  if (os.platform() !== 'linux') return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('--port');
      if (args.includes('start-dev') && i >= 0 && args[i + 1] === String(port)) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/** CPU time of the whole machine (all processes, all cores), ms, and the busy part of it. */
export function machineCpuMs(): { total: number; busy: number } {
  let total = 0;
  let idle = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
    idle += t.idle;
  }
  return { total, busy: total - idle };
}

/** CPU time of each thread of a process (utime + stime, ms) with its name, by thread id; empty where /proc is not available. */
export function threadCpuMs(pid: number): Map<number, { name: string; ms: number }> {
  const threads = new Map<number, { name: string; ms: number }>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threads.set(Number(tid), parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // no /proc, or the process is gone
  }
  return threads;
}

/** The threads that used the most CPU between two readings of threadCpuMs: name, ms, and share of `wallMs`. */
export function busiestThreads(
  before: Map<number, { name: string; ms: number }>, after: Map<number, { name: string; ms: number }>, wallMs: number, top = 4,
): { tid: number; name: string; ms: number; pctOfWall: number }[] {
  return [...after.entries()]
    .map(([tid, t]) => ({ tid, name: t.name, ms: Math.round(t.ms - (before.get(tid)?.ms ?? 0)) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((t) => ({ ...t, pctOfWall: wallMs > 0 ? Math.round((t.ms / wallMs) * 1000) / 10 : 0 }));
}
