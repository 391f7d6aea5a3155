/*
 * The control block the calling thread and the workers share: one SharedArrayBuffer
 * holding a few global Int32 words and a ring of job slots. A job is one exported
 * function of one compiled kernel module, called once per task with arguments patched
 * by the task's unit range [start, end):
 *
 *   FIXED   base                       (pointers, strides, constants)
 *   OFFSET  base + start · mult        (a pointer moved to the first unit)
 *   COUNT   end − start                (the size of the split dim)
 *   BEGIN   start, END end             (a block range: matmul's compute)
 *   PER_THREAD base + thread · mult    (scratch private to each thread)
 *
 * The queue. Jobs are numbered in the order the calling thread submits them (a 32-bit
 * sequence, wrapping); job j lives in slot j mod RING. PUBLISHED counts the jobs
 * submitted, FINISHED the jobs completed: job j runs only after job j − 1 has finished
 * (every thread waits for FINISHED to pass j before it starts j + 1), so jobs take effect
 * in submission order, exactly as if the calling thread had run them one by one. The
 * caller writes a slot only when the job that used it RING jobs earlier has finished.
 *
 * Tickets. A slot's TICKET holds (job & 0xffff) << 16 | next task. A thread takes task i
 * by compare-exchange of the ticket, after it has copied the job's arguments; a thread
 * that read the arguments of a job that has since ended finds a ticket of another
 * job and drops its copy. The thread that finishes a job's last task closes its ticket
 * (next task 0xffff) before it advances FINISHED, so a late reader of a slot being
 * rewritten for a later job never takes a task with mixed arguments. DONE counts a
 * job's finished tasks (failed ones included).
 */

export const W = {
  // Line 0: written by the calling thread.
  /** Jobs submitted (the sequence number of the next one). */
  PUBLISHED: 0,
  SHUTDOWN: 1,
  /** Test hook: 1 = a worker throws in its next task, 2 = a worker exits in it. */
  CRASH: 2,
  ERRLEN: 3,
  /** Microseconds a worker spins for the next job before it sleeps. */
  SPIN: 4,
  /** Test hook: milliseconds a worker sleeps when it next enters a job, before reading it. */
  DELAY: 5,
  /** Workers that have started and are waiting for work. */
  ALIVE: 6,
  // Line 1: what completing a job writes.
  /** Jobs completed (the sequence number of the job running now). */
  FINISHED: 16,
  // Line 2: failures and counters.
  STATUS: 32,
  /** Tasks run by workers (not the calling thread), over the pool's life. */
  WORKER_TASKS: 33,
} as const;

/** Words of a slot's header (Int32, from the slot's start). */
export const S = {
  NTASKS: 0,
  KERNEL: 1,
  FUNC: 2,
  NARGS: 3,
  UNITS: 4,
  CHUNK: 5,
  /** 1: the calling thread takes no task of this job (the crash test hooks). */
  WORKERS_ONLY: 6,
  // Own cache line: every thread compare-exchanges it.
  TICKET: 16,
  // Own cache line: every finished task adds to it.
  DONE: 32,
} as const;

/** STATUS values. */
export const STATUS = { OK: 0, THREW: 1, EXITED: 2 } as const;

/** Argument kinds. */
export const ARG = { FIXED: 0, OFFSET: 1, COUNT: 2, BEGIN: 3, END: 4, PER_THREAD: 5 } as const;

export const MAX_ARGS = 256;
/** Most tasks in one job (the low 16 bits of a ticket; 0xffff marks a closed job). */
export const MAX_TASKS = 0xfff0;
/** Functions a job can call, by index. */
export const FUNCS = ['run', 'packA', 'packB', 'computeBlocks'] as const;
/** Job slots: how many jobs can wait before the calling thread helps run them. */
export const RING = 64;

export const LAYOUT = {
  /** Int32 words of the global header: three 64-byte cache lines. */
  words: 48,
  /** Byte offset of slot 0. */
  slotsByte: 192,
  /** Bytes of a slot's header (three cache lines), then Float64 bases, Float64 multipliers, Int32 kinds. */
  slotHeader: 192,
  slotBytes: 192 + 20 * MAX_ARGS,
  errByte: 192 + RING * (192 + 20 * MAX_ARGS),
  errBytes: 1024,
} as const;

export const CONTROL_BYTES = LAYOUT.errByte + LAYOUT.errBytes;

/** Byte offset of slot `i`'s header, bases, multipliers and kinds. */
export function slotLayout(i: number): { header: number; base: number; mult: number; kind: number } {
  const header = LAYOUT.slotsByte + i * LAYOUT.slotBytes;
  const base = header + LAYOUT.slotHeader;
  return { header, base, mult: base + 8 * MAX_ARGS, kind: base + 16 * MAX_ARGS };
}
