import { z } from 'zod';

/** Figures for one kind (code, chat) or both (total) over a slice. */
export const FiguresSchema = z.object({
  exposed: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  /** accepted / exposed; null when nothing was exposed. */
  acceptanceRate: z.number().nullable(),
  linesAccepted: z.number().int().nonnegative(),
});
export type Figures = z.infer<typeof FiguresSchema>;

export const GroupFiguresSchema = z.object({
  code: FiguresSchema,
  chat: FiguresSchema,
  total: FiguresSchema,
});
export type GroupFigures = z.infer<typeof GroupFiguresSchema>;

/**
 * `gca-analytics report --json`. The first keys are the contract of issue #3; the others feed
 * the HTML dashboard (IDE, agent mode, active users, product).
 */
export const ReportSchema = z.object({
  code: FiguresSchema,
  chat: FiguresSchema,
  total: FiguresSchema,
  byLanguage: z.record(z.string(), GroupFiguresSchema),
  byUser: z.record(z.string(), GroupFiguresSchema),
  byDay: z.record(z.string(), GroupFiguresSchema),
  orphanAcceptances: z.number().int().nonnegative(),
  rows: z.object({
    requests: z.number().int().nonnegative(),
    responses: z.number().int().nonnegative(),
    metadataEvents: z.number().int().nonnegative(),
    quarantined: z.number().int().nonnegative(),
  }),
  range: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  byClient: z.record(z.string(), GroupFiguresSchema),
  byAgentMode: z.object({ agent: GroupFiguresSchema, nonAgent: GroupFiguresSchema }),
  /** Distinct active users per day (any request or metadata event). */
  dailyActiveUsers: z.record(z.string(), z.number().int().nonnegative()),
  activeUsers: z.number().int().nonnegative(),
});
export type Report = z.infer<typeof ReportSchema>;
