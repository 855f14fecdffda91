/**
 * A least-recently-used map bounded by the total cost (in bytes) of its entries. `get` makes an
 * entry the most recently used; `set` evicts the least recently used entries until the new one
 * fits, and refuses (storing nothing) an entry that alone costs more than the bound. A bound of 0
 * stores nothing.
 */
interface Slot<V> {
  value: V;
  cost: number;
}

export class ByteLru<V> {
  private readonly entries = new Map<string, Slot<V>>();
  private used = 0;

  constructor(readonly maxBytes: number) {}

  /** Total cost of the entries held. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  get(key: string): V | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    // Map keeps insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, slot);
    return slot.value;
  }

  /** Stores `value` at `cost` bytes; false (and any older entry of `key` dropped) if it cannot fit. */
  set(key: string, value: V, cost: number): boolean {
    this.delete(key);
    if (cost > this.maxBytes) return false;
    while (this.used + cost > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    this.entries.set(key, { value, cost });
    this.used += cost;
    return true;
  }

  delete(key: string): void {
    const slot = this.entries.get(key);
    if (slot === undefined) return;
    this.entries.delete(key);
    this.used -= slot.cost;
  }
}
