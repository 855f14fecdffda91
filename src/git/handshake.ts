/**
 * Parses the `info/refs?service=git-upload-pack` reply: an optional `# service=` announcement and
 * flush (GitHub sends it, stock http-backend does not for v2), then either `version 2` with the
 * capability list, or a protocol v0/v1 ref advertisement (refs, peeled `^{}` lines, capabilities
 * after a NUL on the first line).
 */
import { UpstreamError } from '../errors.js';
import { PktReader, pktText } from './pkt-line.js';
import { OID_RE } from './objects.js';
import { remoteMessageError } from './remote-errors.js';

export interface AdvertisedRef {
  oid: string;
  name: string;
}

export type Handshake =
  | { version: 2; caps: Map<string, string> }
  | { version: 0; caps: Map<string, string>; refs: AdvertisedRef[] };

/** Parses `key` / `key=value` capability tokens; repeated keys (symref) keep the first. */
export function parseCapTokens(tokens: string[]): Map<string, string> {
  const caps = new Map<string, string>();
  for (const t of tokens) {
    if (!t) continue;
    const eq = t.indexOf('=');
    const k = eq < 0 ? t : t.slice(0, eq);
    const v = eq < 0 ? '' : t.slice(eq + 1);
    if (k === 'symref') {
      const prev = caps.get(k);
      caps.set(k, prev ? `${prev} ${v}` : v);
    } else if (!caps.has(k)) caps.set(k, v);
  }
  return caps;
}

export async function parseHandshake(body: AsyncIterable<Uint8Array>, where: string): Promise<Handshake> {
  const reader = new PktReader(body);
  try {
    let p = await reader.next();
    const text = (): string => (p?.kind === 'data' ? pktText(p.data) : '');
    const checkErr = (): void => {
      if (p?.kind === 'data' && text().startsWith('ERR ')) throw remoteMessageError(where, text().slice(4));
    };
    checkErr();
    if (p?.kind === 'data' && text().startsWith('# service=')) {
      if (text() !== '# service=git-upload-pack') throw new UpstreamError(`${where}: unexpected ${text()}`);
      p = await reader.next();
      if (p?.kind === 'flush') p = await reader.next();
      checkErr();
    }
    if (p?.kind === 'data' && text() === 'version 2') {
      const tokens: string[] = [];
      for (;;) {
        p = await reader.next();
        if (p === null || p.kind === 'flush') break;
        if (p.kind !== 'data') throw new UpstreamError(`${where}: protocol error in v2 capabilities`);
        checkErr();
        tokens.push(text());
      }
      const caps = parseCapTokens(tokens);
      const fmt = caps.get('object-format');
      if (fmt !== undefined && fmt !== 'sha1')
        throw new UpstreamError(`${where}: unsupported object format ${fmt}`);
      await reader.drainToEnd();
      return { version: 2, caps };
    }
    if (p?.kind === 'data' && text() === 'version 1') p = await reader.next();
    // protocol v0 ref advertisement
    const refs: AdvertisedRef[] = [];
    let caps = new Map<string, string>();
    let first = true;
    while (p !== null && p.kind !== 'flush') {
      if (p.kind !== 'data') throw new UpstreamError(`${where}: protocol error in ref advertisement`);
      checkErr();
      let line = text();
      if (first) {
        const nul = line.indexOf('\0');
        if (nul >= 0) {
          caps = parseCapTokens(line.slice(nul + 1).split(' '));
          line = line.slice(0, nul);
        }
        first = false;
      }
      const sp = line.indexOf(' ');
      const oid = line.slice(0, sp);
      const name = line.slice(sp + 1);
      if (sp !== 40 || !OID_RE.test(oid) || !name)
        throw new UpstreamError(`${where}: bad ref advertisement line`);
      if (name !== 'capabilities^{}') refs.push({ oid, name });
      p = await reader.next();
    }
    if (first && p === null) throw new UpstreamError(`${where}: empty ref advertisement`);
    const fmt = caps.get('object-format');
    if (fmt !== undefined && fmt !== 'sha1')
      throw new UpstreamError(`${where}: unsupported object format ${fmt}`);
    await reader.drainToEnd();
    return { version: 0, caps, refs };
  } finally {
    await reader.cancel();
  }
}
