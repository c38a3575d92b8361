/**
 * The shapes of what the viewer's API answers with, shared by the server (jaeger.ts, record.ts)
 * and the page (ui-assets/src/api.ts). Types only and no Node imports: the page is type-checked
 * and bundled for the browser with this file.
 */

/** A span as the record page's waterfall draws it. */
export interface WaterfallSpan {
  spanID: string;
  /** Empty for a root (or a span whose parent is not in the trace). */
  parentSpanID: string;
  operationName: string;
  service: string;
  /** Microseconds since the Unix epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  kind: string;
  error: boolean;
}

/** A record's request trace from Jaeger, or why there is none. */
export type TraceLookup =
  | { status: 'ok'; traceID: string; spans: WaterfallSpan[]; truncated: boolean; uiUrl: string; apiUrl: string }
  | { status: 'not-found' | 'unreachable' | 'not-configured' | 'no-trace'; message: string; uiUrl?: string; apiUrl?: string };

export interface CheckpointCoverage {
  /** The first checkpoint whose signed state includes the record. */
  number: number;
  time: string;
  signer: string;
  treeSize: string;
  /** The chain's head in that checkpoint: the chain was verified up to it, and its hash compared. */
  headSeq: string;
  headHash: string;
  headMatches: boolean;
}

/** A record's chain verified up to it, and the signed checkpoint that covers it. */
export interface Verification {
  /** The record's chain recomputed from its genesis hash up to `verifiedTo`. */
  chainOk: boolean;
  verifiedTo: string;
  rowsChecked: number;
  /** What broke, if anything (for a tenant-scoped viewer, without other tenants' uids). */
  problem?: string;
  checkpoints:
    | { configured: false }
    | { configured: true; covered: CheckpointCoverage | null; note?: string };
}

/** Decisions per outcome and mutations over time, for the search page's chart. */
export interface Timeline {
  /** Width of a bucket in seconds. */
  bucketSeconds: number;
  /** Start of each bucket, Unix seconds. */
  buckets: number[];
  /** Decisions per outcome (granted, denied, bypassed, other outcomes as they come) and mutations, per bucket. */
  series: Record<string, number[]>;
}
