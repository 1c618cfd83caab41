/** Writes the report's CSV tables into a directory (`report --csv DIR`). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../../shared/metrics/report-schema';
import { reportCsvTables, toCsv } from './csv';

/** Creates `dir` if needed and writes `<table>.csv` for every table; returns the paths. */
export async function writeReportCsv(dir: string, report: Report): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const table of reportCsvTables(report)) {
    const path = join(dir, `${table.name}.csv`);
    await writeFile(path, toCsv(table));
    paths.push(path);
  }
  return paths;
}
