/**
 * Deduplication of identical concurrent reads: while a call for a key is out, later callers with the
 * same key wait for that call instead of making their own. Nothing is kept once the call settles,
 * so this is not a cache: a caller only ever gets an answer to a call that was out while it waited.
 *
 * The key decides who may share an answer; it must hold everything that can change the answer,
 * the caller's identity included, or one user could see another's data.
 */
export class InflightCalls<T> {
  private readonly pending = new Map<string, { call: Promise<T>; joined: number }>();

  /**
   * Joins the call out for `key`, or starts one with `start`. `settled` hears, before any caller
   * resumes, the answer and how many callers share it (no one can join any more by then).
   */
  run(key: string, start: () => Promise<T>, settled?: (value: T, callers: number) => void): Promise<T> {
    const existing = this.pending.get(key);
    if (existing) {
      existing.joined++;
      return existing.call;
    }
    const entry = { call: undefined as unknown as Promise<T>, joined: 0 };
    const forget = () => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    };
    entry.call = start().then(
      (value) => {
        forget();
        settled?.(value, entry.joined + 1);
        return value;
      },
      (err: unknown) => {
        forget();
        throw err;
      },
    );
    this.pending.set(key, entry);
    return entry.call;
  }

  /**
   * Calls already out stay unjoinable from now on. Called when a write finishes, so that a read
   * that arrives after the write never gets the answer of a read that started before it.
   */
  forgetAll(): void {
    this.pending.clear();
  }

  /** Calls out that a new caller could join. */
  get size(): number {
    return this.pending.size;
  }
}
