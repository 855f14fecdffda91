/**
 * A commit graph (id → parents, committer time), built from commit-only fetches and serialisable
 * for caching. Ancestry queries walk parents breadth-first.
 */
import { OID_RE } from './objects.js';

export interface CommitNode {
  parents: string[];
  time: number;
}

export interface CommitGraphJSON {
  version: 1;
  /** [oid, committer time, ...parent oids] */
  commits: Array<[string, number, ...string[]]>;
}

export class CommitGraph {
  private readonly nodes = new Map<string, CommitNode>();

  get size(): number {
    return this.nodes.size;
  }

  has(oid: string): boolean {
    return this.nodes.has(oid);
  }

  get(oid: string): CommitNode | undefined {
    return this.nodes.get(oid);
  }

  add(oid: string, node: CommitNode): void {
    this.nodes.set(oid, { parents: [...node.parents], time: node.time });
  }

  oids(): IterableIterator<string> {
    return this.nodes.keys();
  }

  /** Commits that are nobody's parent within the graph (the tips), newest first. */
  heads(): string[] {
    const isParent = new Set<string>();
    for (const n of this.nodes.values()) for (const p of n.parents) isParent.add(p);
    return [...this.nodes.keys()]
      .filter((o) => !isParent.has(o))
      .sort((a, b) => (this.nodes.get(b)?.time ?? 0) - (this.nodes.get(a)?.time ?? 0));
  }

  /** True if `ancestor` is reachable from `descendant` through parents (a commit is its own ancestor). */
  isAncestor(ancestor: string, descendant: string): boolean {
    if (!this.nodes.has(ancestor) || !this.nodes.has(descendant)) return false;
    const seen = new Set<string>([descendant]);
    const queue = [descendant];
    for (let i = 0; i < queue.length; i++) {
      const oid = queue[i] ?? '';
      if (oid === ancestor) return true;
      for (const p of this.nodes.get(oid)?.parents ?? []) {
        if (!seen.has(p)) {
          seen.add(p);
          queue.push(p);
        }
      }
    }
    return false;
  }

  toJSON(): CommitGraphJSON {
    const commits: CommitGraphJSON['commits'] = [];
    for (const [oid, n] of this.nodes) commits.push([oid, n.time, ...n.parents]);
    return { version: 1, commits };
  }

  static fromJSON(value: unknown): CommitGraph {
    const g = new CommitGraph();
    const v = value as Partial<CommitGraphJSON> | null;
    if (!v || v.version !== 1 || !Array.isArray(v.commits))
      throw new TypeError('not a CommitGraph JSON value');
    for (const row of v.commits as unknown[]) {
      if (!Array.isArray(row) || row.length < 2) throw new TypeError('bad CommitGraph row');
      const [oid, time, ...parents] = row as unknown[];
      if (typeof oid !== 'string' || !OID_RE.test(oid) || typeof time !== 'number') {
        throw new TypeError('bad CommitGraph row');
      }
      if (!parents.every((p): p is string => typeof p === 'string' && OID_RE.test(p))) {
        throw new TypeError('bad CommitGraph parent');
      }
      g.add(oid, { parents, time });
    }
    return g;
  }
}
