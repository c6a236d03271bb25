/**
 * Deduplication of identical concurrent reads: while a call for a key is out, later callers with the
 * same key wait for that call instead of making their own. Nothing is kept once the call settles,
 * so this is not a cache: a caller only ever gets an answer to a call that was out while it waited.
 *
 * The key decides who may share an answer; it must hold everything that can change the answer,
 * the caller's identity included, or one user could see another's data.
 */
export class InflightCalls<T> {
  private readonly pending = new Map<string, Promise<T>>();

  /** Joins the call out for `key`, or starts one with `start`. */
  run(key: string, start: () => Promise<T>): Promise<T> {
    const existing = this.pending.get(key);
    if (existing) return existing;
    const call = start().finally(() => {
      if (this.pending.get(key) === call) this.pending.delete(key);
    });
    this.pending.set(key, call);
    return call;
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
