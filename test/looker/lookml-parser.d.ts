// lookml-parser ships no types: declare the two entry points we use; callers validate the
// untyped result with zod (test/looker/project.ts).
declare module 'lookml-parser' {
  export function parse(text: string): unknown;
  export function parseFiles(options: {
    source: string;
    cwd?: string;
    console?: {
      log(...a: unknown[]): void;
      warn(...a: unknown[]): void;
      error(...a: unknown[]): void;
    };
  }): Promise<unknown>;
}
