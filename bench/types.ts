/** One benchmark module: `bench/<name>.ts` exports `run` and is listed in bench/index.ts. */
export interface BenchOptions {
  /** Smaller inputs, for a smoke run in tests. */
  quick: boolean;
}

export interface BenchResult {
  /** Figures keyed `<bench>.<figure>`, e.g. `normalize.entriesPerSecond`. */
  figures: Record<string, number>;
  /** Human-readable lines for the terminal. */
  lines: string[];
}

export type BenchModule = { run(opts: BenchOptions): Promise<BenchResult> };
