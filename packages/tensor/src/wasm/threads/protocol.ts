/*
 * The control block the calling thread and the workers share: one SharedArrayBuffer,
 * read as Int32 words (state, counters), Float64 argument slots and the bytes of an
 * error message. A job is one exported function of one compiled kernel module, called
 * once per task with arguments patched by the task's unit range [start, end):
 *
 *   FIXED   base                       (pointers, strides, constants)
 *   OFFSET  base + start · mult        (a pointer moved to the first unit)
 *   COUNT   end − start                (the size of the split dim)
 *   BEGIN   start, END end             (a block range: matmul's compute)
 *   PER_THREAD base + thread · mult    (scratch private to each thread)
 *
 * Tickets. TICKET holds (generation & 0xffff) << 16 | next task. A thread takes task i
 * by compare-exchange of its ticket, after it has copied the job's arguments; a thread
 * that read the arguments of a job that has since ended finds a ticket of another
 * generation and drops its copy. Before the caller overwrites a finished job's fields it
 * closes that job's ticket (next task 0xffff): a worker that woke for the finished job
 * late and read the new job's fields half-written (NTASKS read with Atomics.load) then
 * finds no task to take — without it, it took a task that did not exist, with mixed
 * arguments (an out-of-bounds trap, or a miscounted DONE). DONE counts finished tasks
 * (failed ones included).
 */

export const W = {
  // Cache line 0: the job, written by the caller before it is published, then only read.
  GEN: 0,
  NTASKS: 3,
  KERNEL: 4,
  FUNC: 5,
  NARGS: 6,
  UNITS: 8,
  CHUNK: 9,
  SHUTDOWN: 10,
  /** Test hook: 1 = a worker throws in its next task, 2 = a worker exits in it. */
  CRASH: 11,
  ERRLEN: 12,
  /** Workers that have started and are waiting for work. */
  ALIVE: 13,
  /** Microseconds a worker spins on GEN before it sleeps. */
  SPIN: 14,
  /** Test hook: milliseconds a worker sleeps when it next enters a job, before reading it. */
  DELAY: 15,
  // Line 1: the ticket every thread compare-exchanges (alone, so that it does not evict the job).
  TICKET: 16,
  // Line 2: what finishing a task writes.
  DONE: 32,
  STATUS: 33,
  /** Tasks run by workers (not the calling thread), over the pool's life. */
  WORKER_TASKS: 34,
} as const;

/** STATUS values. */
export const STATUS = { OK: 0, THREW: 1, EXITED: 2 } as const;

/** Argument kinds. */
export const ARG = { FIXED: 0, OFFSET: 1, COUNT: 2, BEGIN: 3, END: 4, PER_THREAD: 5 } as const;

export const MAX_ARGS = 256;
/** Most tasks in one job (the low 16 bits of a ticket; 0xffff marks an aborted job). */
export const MAX_TASKS = 0xfff0;
/** Functions a job can call, by index. */
export const FUNCS = ['run', 'packA', 'packB', 'computeBlocks'] as const;

export const LAYOUT = {
  /** Int32 words at the start: three 64-byte cache lines. */
  words: 48,
  /** Byte offset of the Float64 bases, then the Float64 multipliers. */
  argsByte: 192,
  /** Byte offset of the Int32 kinds. */
  kindsByte: 192 + 16 * MAX_ARGS,
  errByte: 192 + 16 * MAX_ARGS + 4 * MAX_ARGS,
  errBytes: 1024,
} as const;

export const CONTROL_BYTES = LAYOUT.errByte + LAYOUT.errBytes;
