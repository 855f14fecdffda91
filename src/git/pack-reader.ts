/**
 * Random access to a spooled, indexed pack: resolves OFS_DELTA and REF_DELTA chains (REF_DELTA bases
 * may appear later in the pack), computes the id of every object, reads whole objects (with a small
 * byte-bounded cache) and streams large whole objects straight from the file.
 */
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createInflate, inflateSync } from 'node:zlib';
import { NotFoundError, UpstreamError } from '../errors.js';
import { applyDelta } from './delta.js';
import { hashObject, type ObjectType } from './objects.js';
import { OFS_DELTA, REF_DELTA, TYPE_NAMES, type PackEntry } from './pack-spool.js';

const CACHE_BUDGET = 32 << 20;
const CACHE_MAX_OBJECT = 4 << 20;

export interface PackObject {
  type: ObjectType;
  data: Buffer;
}

export class PackReader {
  private readonly byOffset = new Map<number, PackEntry>();
  private readonly byOid = new Map<string, PackEntry>();
  private readonly cache = new Map<number, Buffer>();
  /** Offsets of objects that some delta is based on (worth caching when read). */
  private readonly bases = new Set<number>();
  private cacheBytes = 0;

  private constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    readonly entries: PackEntry[],
  ) {
    for (const e of entries) this.byOffset.set(e.offset, e);
  }

  /** Indexes ids of all objects, resolving every delta. */
  static async open(
    fh: FileHandle,
    path: string,
    entries: PackEntry[],
    signal?: AbortSignal,
  ): Promise<PackReader> {
    const reader = new PackReader(fh, path, entries);
    await reader.resolveAll(signal);
    return reader;
  }

  has(oid: string): boolean {
    return this.byOid.has(oid);
  }

  entry(oid: string): PackEntry | undefined {
    return this.byOid.get(oid);
  }

  typeOf(oid: string): ObjectType | undefined {
    return this.byOid.get(oid)?.resolvedType;
  }

  oidsOfType(type: ObjectType): string[] {
    const out: string[] = [];
    for (const [oid, e] of this.byOid) if (e.resolvedType === type) out.push(oid);
    return out;
  }

  private async raw(e: PackEntry): Promise<Buffer> {
    const comp = Buffer.allocUnsafe(e.compLen);
    const { bytesRead } = await this.fh.read(comp, 0, e.compLen, e.dataOffset);
    if (bytesRead !== e.compLen) throw new UpstreamError('corrupt pack: short read from spool');
    let out: Buffer;
    try {
      out = inflateSync(comp);
    } catch (err) {
      throw new UpstreamError(`corrupt pack: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (out.length !== e.size) throw new UpstreamError('corrupt pack: object size mismatch');
    return out;
  }

  private remember(offset: number, data: Buffer): void {
    if (data.length > CACHE_MAX_OBJECT) return;
    this.cache.set(offset, data);
    this.cacheBytes += data.length;
    for (const [k, v] of this.cache) {
      if (this.cacheBytes <= CACHE_BUDGET) break;
      this.cache.delete(k);
      this.cacheBytes -= v.length;
    }
  }

  private async resolveAll(signal?: AbortSignal): Promise<void> {
    const ofsKids = new Map<number, PackEntry[]>();
    const refKids = new Map<string, PackEntry[]>();
    const push = <K>(m: Map<K, PackEntry[]>, k: K, e: PackEntry): void => {
      const l = m.get(k);
      if (l) l.push(e);
      else m.set(k, [e]);
    };
    for (const e of this.entries) {
      if (e.packType === OFS_DELTA && e.baseOffset !== undefined) {
        if (!this.byOffset.has(e.baseOffset))
          throw new UpstreamError('corrupt pack: delta base offset is not an object');
        push(ofsKids, e.baseOffset, e);
      } else if (e.packType === REF_DELTA && e.baseOid !== undefined) {
        push(refKids, e.baseOid, e);
      } else if (e.oid !== undefined) {
        this.byOid.set(e.oid, e);
      }
    }
    const kidsOf = (e: PackEntry): PackEntry[] => {
      const a = ofsKids.get(e.offset) ?? [];
      const b = e.oid !== undefined ? (refKids.get(e.oid) ?? []) : [];
      return b.length ? [...a, ...b] : a;
    };
    const visit = async (base: PackEntry, content: Buffer): Promise<void> => {
      const type = base.resolvedType;
      if (!type) throw new UpstreamError('corrupt pack: unresolved delta base');
      for (const kid of kidsOf(base)) {
        if (kid.oid !== undefined) continue;
        signal?.throwIfAborted();
        const out = applyDelta(content, await this.raw(kid));
        kid.resolvedType = type;
        kid.resultSize = out.length;
        kid.oid = hashObject(type, out);
        if (!this.byOid.has(kid.oid)) this.byOid.set(kid.oid, kid);
        if (type !== 'blob') this.remember(kid.offset, out);
        if (kidsOf(kid).length) await visit(kid, out);
      }
    };
    for (const e of this.entries) {
      if (e.resolvedType === undefined || e.packType >= OFS_DELTA) continue;
      if (kidsOf(e).length === 0) continue;
      await visit(e, await this.raw(e));
    }
    if (this.entries.some((e) => e.oid === undefined)) {
      throw new UpstreamError('corrupt pack: delta base missing from pack (thin pack?)');
    }
    for (const k of ofsKids.keys()) this.bases.add(k);
    for (const oid of refKids.keys()) {
      const b = this.byOid.get(oid);
      if (b) this.bases.add(b.offset);
    }
  }

  private async readEntry(e: PackEntry): Promise<Buffer> {
    const hit = this.cache.get(e.offset);
    if (hit) return hit;
    let data: Buffer;
    if (TYPE_NAMES[e.packType] !== undefined) {
      data = await this.raw(e);
    } else {
      const base =
        e.packType === OFS_DELTA ? this.byOffset.get(e.baseOffset ?? -1) : this.byOid.get(e.baseOid ?? '');
      if (!base) throw new UpstreamError('corrupt pack: delta base missing');
      data = applyDelta(await this.readEntry(base), await this.raw(e));
    }
    if (e.resolvedType !== 'blob' || this.bases.has(e.offset)) this.remember(e.offset, data);
    return data;
  }

  async read(oid: string): Promise<PackObject> {
    const e = this.byOid.get(oid);
    if (!e || !e.resolvedType) throw new NotFoundError(`object ${oid} is not in the fetched pack`);
    return { type: e.resolvedType, data: await this.readEntry(e) };
  }

  /** Streams an object's content; whole objects are inflated from the file without buffering. */
  async *stream(oid: string): AsyncGenerator<Uint8Array> {
    const e = this.byOid.get(oid);
    if (!e) throw new NotFoundError(`object ${oid} is not in the fetched pack`);
    if (TYPE_NAMES[e.packType] === undefined || e.size <= 1 << 20) {
      yield await this.readEntry(e);
      return;
    }
    const file = createReadStream(this.path, { start: e.dataOffset, end: e.dataOffset + e.compLen - 1 });
    const inf = createInflate();
    file.on('error', (err) => inf.destroy(err));
    file.pipe(inf);
    let n = 0;
    try {
      for await (const c of inf) {
        n += (c as Buffer).length;
        yield c as Buffer;
      }
    } catch (err) {
      throw new UpstreamError(`corrupt pack: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      file.destroy();
      inf.destroy();
    }
    if (n !== e.size) throw new UpstreamError('corrupt pack: object size mismatch');
  }
}
