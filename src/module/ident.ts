/**
 * git's `ident` conversion to the work tree (convert.c ident_to_worktree), streaming: `$Id$`, or an
 * already-expanded `$Id:…$` with no newline inside and no space before the closing ` $`, becomes
 * `$Id: <oid> $`, where oid is the id of the raw blob.
 *
 * git first counts candidates (count_ident) and leaves the blob alone when there are none; that
 * count is zero exactly when the loop below would not substitute anything, so it is not repeated.
 */

const DOLLAR = 0x24;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/** A read cursor over a byte stream with on-demand lookahead. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  private eof = false;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  get available(): number {
    return this.buf.length - this.off;
  }

  /** Reads until at least `n` bytes are buffered or the stream ends; returns what is buffered. */
  async fill(n: number): Promise<number> {
    while (this.available < n && !this.eof) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      if (r.value.length === 0) continue;
      if (this.available === 0) {
        this.buf = r.value;
      } else {
        const merged = new Uint8Array(this.available + r.value.length);
        merged.set(this.buf.subarray(this.off));
        merged.set(r.value, this.available);
        this.buf = merged;
      }
      this.off = 0;
    }
    return this.available;
  }

  byte(i: number): number {
    return this.buf[this.off + i] ?? -1;
  }

  indexOf(b: number, from: number): number {
    const i = this.buf.indexOf(b, this.off + from);
    return i < 0 ? -1 : i - this.off;
  }

  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
}

/** Streams `source` with `$Id$` keywords expanded to `$Id: <oid> $`. */
export async function* expandIdent(
  source: AsyncIterable<Uint8Array>,
  oid: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const cur = new Cursor(source[Symbol.asyncIterator]());
  const replacement = new TextEncoder().encode(`Id: ${oid} $`);
  for (;;) {
    // Step 1: run to the next `$`.
    const avail = await cur.fill(1);
    if (avail === 0) return;
    const d = cur.indexOf(DOLLAR, 0);
    if (d < 0) {
      yield cur.take(avail);
      continue;
    }
    yield cur.take(d + 1);
    // Step 2: `Id$` or `Id:`?
    if ((await cur.fill(3)) < 3 || cur.byte(0) !== 0x49 || cur.byte(1) !== 0x64) continue;
    const c2 = cur.byte(2);
    if (c2 === DOLLAR) {
      cur.take(3);
      yield replacement;
      continue;
    }
    if (c2 !== 0x3a) continue;
    // Step 3: find the closing `$`; a newline before it (or no `$` at all) keeps the text as is.
    let dollar = -1;
    let scanned = 3;
    for (;;) {
      const have = cur.available;
      const dl = cur.indexOf(DOLLAR, scanned);
      const nl = cur.indexOf(NEWLINE, scanned);
      if (dl >= 0 && (nl < 0 || dl < nl)) {
        dollar = dl;
        break;
      }
      if (nl >= 0) break;
      scanned = have;
      if ((await cur.fill(have + 1)) <= have) break;
    }
    if (dollar < 0) continue;
    // A space before the last position means an id from another VCS: keep it.
    let foreign = false;
    for (let j = 4; j < dollar - 1; j++) {
      if (cur.byte(j) === SPACE) {
        foreign = true;
        break;
      }
    }
    if (foreign) continue;
    cur.take(dollar + 1);
    yield replacement;
  }
}
