// What the registry holds, counted in memory so every write can be checked before it happens:
// bytes on disk against the disk budget, and open upload sessions per repository and in total
// (count and bytes). Rebuilt from the files at start-up (FsStorage.init).
import { DiskBudgetError, UploadLimitError, type RegistryLimits } from './limits.js';

/** Bytes of files under the registry's root, against its budget. */
export class DiskUse {
  private used = 0;
  constructor(private readonly budget: number) {}

  get bytes(): number { return this.used; }

  /** Whether `n` more bytes fit; throws the refusal when they do not. */
  check(n: number): void {
    if (this.used + n > this.budget) {
      throw new DiskBudgetError(`the registry's disk budget of ${this.budget} bytes is used up (${this.used} in use, ${n} more asked for); delete images or start it with a larger --disk-budget`);
    }
  }

  take(n: number): void {
    this.check(n);
    this.used += n;
  }

  /** Counts bytes found on disk (start-up): never refused. */
  found(n: number): void {
    this.used += n;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

interface Session {
  repo: string;
  bytes: number;
  lastActive: number;
}

/** Open upload sessions, bounded per repository and in total, in count and in bytes. */
export class UploadTable {
  private readonly sessions = new Map<string, Session>();
  private readonly perRepo = new Map<string, { count: number; bytes: number }>();
  private totalBytes = 0;

  constructor(private readonly limits: RegistryLimits) {}

  get count(): number { return this.sessions.size; }
  get bytes(): number { return this.totalBytes; }

  /** Throws the refusal when `repo` may not open one more session. */
  checkOpen(repo: string): void {
    const r = this.perRepo.get(repo);
    if ((r?.count ?? 0) >= this.limits.maxUploadsPerRepository) {
      throw new UploadLimitError(`repository '${repo}' has ${this.limits.maxUploadsPerRepository} open upload sessions, its limit (--max-uploads-per-repo); finish or cancel one, or wait for idle ones to expire`);
    }
    if (this.sessions.size >= this.limits.maxUploads) {
      throw new UploadLimitError(`the registry has ${this.limits.maxUploads} open upload sessions, its limit (--max-uploads); try again later`);
    }
  }

  add(id: string, repo: string, bytes: number, lastActive: number): void {
    this.sessions.set(id, { repo, bytes, lastActive });
    const r = this.perRepo.get(repo) ?? { count: 0, bytes: 0 };
    r.count++;
    r.bytes += bytes;
    this.perRepo.set(repo, r);
    this.totalBytes += bytes;
  }

  /** Throws the refusal when session `id` may not grow by `n` bytes. */
  checkGrow(id: string, n: number): void {
    const s = this.sessions.get(id);
    if (!s) return;
    const r = this.perRepo.get(s.repo)!;
    if (r.bytes + n > this.limits.maxUploadBytesPerRepository) {
      throw new UploadLimitError(`the upload sessions of '${s.repo}' would hold more than ${this.limits.maxUploadBytesPerRepository} bytes (--max-upload-bytes-per-repo); finish or cancel other uploads first`);
    }
    if (this.totalBytes + n > this.limits.maxUploadBytes) {
      throw new UploadLimitError(`the registry's upload sessions would hold more than ${this.limits.maxUploadBytes} bytes (--max-upload-bytes); try again later`);
    }
  }

  /** Adds (or, negative, removes) bytes of session `id`. */
  grow(id: string, n: number): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.bytes += n;
    this.perRepo.get(s.repo)!.bytes += n;
    this.totalBytes += n;
  }

  touch(id: string, now: number): void {
    const s = this.sessions.get(id);
    if (s) s.lastActive = now;
  }

  remove(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    const r = this.perRepo.get(s.repo)!;
    r.count--;
    r.bytes -= s.bytes;
    if (r.count === 0) this.perRepo.delete(s.repo);
    this.totalBytes -= s.bytes;
  }

  /** Sessions untouched since `before`. */
  idleSince(before: number): string[] {
    return [...this.sessions].filter(([, s]) => s.lastActive < before).map(([id]) => id);
  }

  isIdleSince(id: string, before: number): boolean {
    const s = this.sessions.get(id);
    return s !== undefined && s.lastActive < before;
  }
}
