// Who holds a write lease (SQLite's `gun_locks`), named so that another process on the same machine
// can tell at once whether the holder still runs: a random token, the kernel's boot id, the pid
// namespace, the pid and the process start time (clock ticks since boot, field 22 of
// /proc/PID/stat, proc(5)). A pid alone is not enough: after a crash and a restart the pid may
// belong to another process; the start time tells them apart, the boot id covers a reboot, and the
// namespace covers containers sharing the file (their pids mean nothing to us).
// Where /proc is missing (not Linux) or the holder is in another namespace or boot, nothing can be
// told and the lease simply runs out.
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';

interface ProcessIdentity {
  boot: string;
  pidNamespace: string;
  pid: number;
  start: string;
}

/** State and start time of a process from /proc/PID/stat, or undefined if there is no such process. */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const start = rest[19]; // field 22 (starttime); rest[0] is field 3
  return state !== undefined && start !== undefined && /^\d+$/.test(start) ? { state, start } : undefined;
}

function readIdentity(): ProcessIdentity | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    const self = procStat(process.pid);
    if (!/^[0-9a-f-]+$/.test(boot) || !/^pid:\[\d+\]$/.test(pidNamespace) || self === undefined) return undefined;
    return { boot, pidNamespace, pid: process.pid, start: self.start };
  } catch {
    return undefined;
  }
}

let cached: ProcessIdentity | null | undefined;

function identity(): ProcessIdentity | undefined {
  if (cached === undefined) cached = readIdentity() ?? null;
  return cached ?? undefined;
}

/** A new lease owner string for this process: unique per lease, naming this process where it can. */
export function newLeaseOwner(): string {
  const me = identity();
  const token = randomUUID();
  return me === undefined ? token : `${token} ${me.boot} ${me.pidNamespace} ${me.pid} ${me.start}`;
}

/** The pid a lease owner string names, if it names one. */
export function leaseOwnerPid(owner: string): number | undefined {
  const pid = Number(owner.split(' ')[3]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * True only when the lease's holder is certainly gone: it ran on this boot in this pid namespace,
 * and its pid is now free, a zombie, or a different process (another start time). Anything that
 * cannot be checked counts as alive.
 */
export function leaseHolderGone(owner: string): boolean {
  const me = identity();
  const [, boot, pidNamespace, pidText, start] = owner.split(' ');
  if (me === undefined || boot !== me.boot || pidNamespace !== me.pidNamespace || start === undefined) return false;
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  const now = procStat(pid);
  return now === undefined || now.state === 'Z' || now.state === 'X' || now.start !== start;
}
