/** What one pack fetch asks for, independent of protocol version. */
export interface FetchArgs {
  wants: string[];
  haves?: string[];
  /** `deepen 1`, sent only when the server supports shallow fetches. */
  depth1?: boolean;
  /** e.g. `blob:none`, `tree:0`; sent only when the server advertises `filter`. */
  filter?: string;
}
