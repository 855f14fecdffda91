/** The ref listing returned to callers, built from v2 ls-refs lines or a v0 advertisement. */
export interface RefList {
  head: { oid: string; symref?: string } | null;
  /** Branch name without `refs/heads/` → commit id. */
  branches: Map<string, string>;
  /** Tag name without `refs/tags/` → tag object id and the fully peeled id. */
  tags: Map<string, { oid: string; peeled: string }>;
}

export interface RawRef {
  oid: string;
  name: string;
  symrefTarget?: string;
  peeled?: string;
}

export function buildRefList(raw: RawRef[]): RefList {
  const list: RefList = { head: null, branches: new Map(), tags: new Map() };
  for (const r of raw) {
    if (r.name === 'HEAD') {
      list.head = r.symrefTarget ? { oid: r.oid, symref: r.symrefTarget } : { oid: r.oid };
    } else if (r.name.startsWith('refs/heads/')) {
      list.branches.set(r.name.slice('refs/heads/'.length), r.oid);
    } else if (r.name.startsWith('refs/tags/')) {
      list.tags.set(r.name.slice('refs/tags/'.length), { oid: r.oid, peeled: r.peeled ?? r.oid });
    }
  }
  return list;
}
