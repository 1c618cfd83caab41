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

// The report's parts are each a schema of figures (code, chat, total): alike by shape only.
export const GroupFiguresSchema = z.object({
  code: FiguresSchema,
  chat: FiguresSchema,
  total: FiguresSchema,
});
export type GroupFigures = z.infer<typeof GroupFiguresSchema>;

/** Engagement of one user over the range (see docs/analysts.md, "Engagement and seats"). */
export const UserEngagementSchema = z.object({
  /** Team of the user on their last active day in the range. */
  team: z.string(),
  /** Distinct days with any request or metadata event. */
  activeDays: z.number().int().nonnegative(),
  /** Suggestions accepted (code and chat) whose day is in the range. */
  accepted: z.number().int().nonnegative(),
  /** At least one accepted suggestion in the range. */
  engaged: z.boolean(),
  lastActiveDay: z.string().nullable(),
});
export type UserEngagement = z.infer<typeof UserEngagementSchema>;

/** Engagement and seats of one team (or of the pooled small teams). */
export const TeamEngagementSchema = z.object({
  /** Distinct users active in the range while in the team. */
  activeUsers: z.number().int().nonnegative(),
  /** Of those, users with at least one accepted suggestion counted for the team. */
  engagedUsers: z.number().int().nonnegative(),
  /** Sum over its users of their active days in the team. */
  activeUserDays: z.number().int().nonnegative(),
  /** Suggestions accepted counted for the team. */
  accepted: z.number().int().nonnegative(),
  /** accepted / activeUsers; null with no active user. */
  acceptedPerActiveUser: z.number().nullable(),
  lastActiveDay: z.string().nullable(),
  /** Seat holders mapped to the team on some day of the range. */
  seats: z.number().int().nonnegative(),
  /** Of those, holders with no activity at all in the range. */
  inactiveSeats: z.number().int().nonnegative(),
});
export type TeamEngagement = z.infer<typeof TeamEngagementSchema>;

/**
 * `gca-analytics report --json`. The first keys are the contract of issue #3; the others feed
 * the HTML dashboard (IDE, agent mode, active users, product).
 */
// One key a figure, as the group schemas above: alike by shape only.
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
  /**
   * Figures per team (a suggestion counts for its user's team on its day; "(no team)" for users
   * the mapping does not cover). Teams with fewer than `teams.minTeamSize` distinct users in the
   * range are pooled under "(small teams)".
   */
  byTeam: z.record(z.string(), GroupFiguresSchema),
  /** Team -> day -> figures, with the same pooling. */
  byTeamDay: z.record(z.string(), z.record(z.string(), GroupFiguresSchema)),
  engagement: z.object({
    byUser: z.record(z.string(), UserEngagementSchema),
    byTeam: z.record(z.string(), TeamEngagementSchema),
    /** Seat holders with no activity in the range (the team they are mapped to, last period). */
    inactiveSeats: z.array(z.object({ userId: z.string(), team: z.string() })),
  }),
  teams: z.object({
    /** The privacy floor applied. */
    minTeamSize: z.number().int().positive(),
    /** Rows in the mapping (0: no mapping loaded, every user is "(no team)"). */
    mappingRows: z.number().int().nonnegative(),
    /** Teams pooled under "(small teams)". */
    pooledTeams: z.number().int().nonnegative(),
    /** People left out (report --no-people): per-user tables are empty on purpose. */
    peopleOmitted: z.boolean(),
  }),
});
export type Report = z.infer<typeof ReportSchema>;
