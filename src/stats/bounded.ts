/** Bounded in-memory structures for /stats: a ring buffer and a top-N table with eviction. */

/** Keeps the last `capacity` items. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  newestFirst(): T[] {
    const n = this.items.length;
    const out: T[] = [];
    for (let i = 1; i <= n; i++) {
      const item = this.items[(this.next - i + n * 2) % n];
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}

export interface TopEntry {
  key: string;
  requests: number;
  hits: number;
}

/**
 * Request counts per key for at most `capacity` keys. When full, a new key evicts the key with the
 * fewest requests (the oldest of those on a tie), so heavy keys stay and the memory stays bounded.
 */
export class TopTable {
  private readonly entries = new Map<string, TopEntry>();

  constructor(private readonly capacity: number) {}

  add(key: string, hit: boolean): void {
    let e = this.entries.get(key);
    if (e === undefined) {
      if (this.entries.size >= this.capacity) this.evictOne();
      e = { key, requests: 0, hits: 0 };
      this.entries.set(key, e);
    }
    e.requests++;
    if (hit) e.hits++;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The `n` keys with the most requests (ties: alphabetical). */
  top(n: number): TopEntry[] {
    return [...this.entries.values()]
      .sort((a, b) => b.requests - a.requests || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, n)
      .map((e) => ({ ...e }));
  }

  private evictOne(): void {
    let victim: TopEntry | undefined;
    for (const e of this.entries.values()) {
      if (victim === undefined || e.requests < victim.requests) victim = e;
    }
    if (victim !== undefined) this.entries.delete(victim.key);
  }
}
