/**
 * What the module layer needs from a version-control repository: the go command's codehost.Repo,
 * narrowed to what stoa uses. GitCodeHost implements it over the git smart-HTTP client.
 */

export interface CodeRevInfo {
  /** Full commit hash. */
  name: string;
  /** First 12 hex digits of the hash. */
  short: string;
  /** Committer time, seconds since the epoch. */
  time: number;
  /** Tags (names without `refs/tags/`) whose peeled target is this commit. */
  tags: string[];
  /** The rev as requested when it named a tag (e.g. `sub/v1.2.3`), else the hash. */
  version: string;
  /** The ref the rev resolved through (`refs/tags/v1.2.3`, `refs/heads/main`, `HEAD`), if any. */
  ref?: string;
}

export interface CodeHost {
  /** Public URL of the repository, for the `.info` Origin. */
  readonly url: string;
  /** Tag name → peeled commit hash. */
  tags(signal: AbortSignal): Promise<ReadonlyMap<string, string>>;
  /**
   * Resolves a tag, branch, `HEAD`, or a hex prefix (≥ 7 digits) of a commit reachable from a
   * branch or tag. Throws NotFoundError ("unknown revision X") otherwise.
   */
  stat(rev: string, signal: AbortSignal): Promise<CodeRevInfo>;
  /** The default branch head. */
  latest(signal: AbortSignal): Promise<CodeRevInfo>;
  /**
   * Raw bytes of a file at a commit as `git cat-file blob rev:path` gives them (a symlink reads as
   * its target text); null when absent, a directory or a submodule.
   */
  readFile(commit: string, path: string, signal: AbortSignal): Promise<Uint8Array | null>;
  /** Whether `ancestor` is `commit` or one of its ancestors. */
  descendsFrom(commit: string, ancestor: string, signal: AbortSignal): Promise<boolean>;
}
