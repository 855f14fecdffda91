/** The JSON body of `.info` and `@latest` (spec §1.3). */
export interface RevInfo {
  Version: string;
  /** RFC 3339 in UTC without fraction: `2020-01-02T03:04:05Z`. */
  Time: string;
  Origin?: {
    VCS?: string;
    URL?: string;
    Subdir?: string;
    Hash?: string;
    Ref?: string;
  };
}

/** Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ`. */
export function formatGoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parses and checks a stored `.info` body; null when it is not a valid RevInfo. */
export function parseRevInfo(text: string): RevInfo | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.Version !== 'string' || typeof v.Time !== 'string') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v.Time)) return null;
  return value as RevInfo;
}
