/**
 * Reading and replacing `gca_analytics.user_teams` through the warehouse port, the same SQL on
 * BigQuery and DuckDB.
 */
import type { Warehouse } from '../warehouse/port';
import { NO_TEAM, type TeamAssignment } from './mapping';

/**
 * One statement replaces the whole table: a MERGE whose condition never matches inserts every
 * new row (NOT MATCHED) and deletes every old one (NOT MATCHED BY SOURCE). A single DML
 * statement is atomic on both engines, so a failed import leaves the previous mapping whole and
 * readers never see half of one; BigQuery runs it as one job (no streaming buffer involved,
 * as the rows come in as parameters). The rows travel as parallel arrays joined on their offset
 * (the SQL subset has no STRUCT constructors).
 */
export const REPLACE_USER_TEAMS_SQL = `MERGE INTO \`gca_analytics.user_teams\` AS t
USING (
  SELECT u AS user_id, tm AS team, NULLIF(p, '') AS parent_team, st = 'true' AS seat,
    CAST(NULLIF(f, '') AS DATE) AS from_day, CAST(NULLIF(e, '') AS DATE) AS to_day
  FROM UNNEST(@user_ids) AS u WITH OFFSET AS i
  JOIN UNNEST(@teams) AS tm WITH OFFSET AS i2 ON i2 = i
  JOIN UNNEST(@parents) AS p WITH OFFSET AS i3 ON i3 = i
  JOIN UNNEST(@seats) AS st WITH OFFSET AS i4 ON i4 = i
  JOIN UNNEST(@froms) AS f WITH OFFSET AS i5 ON i5 = i
  JOIN UNNEST(@tos) AS e WITH OFFSET AS i6 ON i6 = i
) AS s
ON FALSE
WHEN NOT MATCHED THEN
  INSERT (user_id, team, parent_team, seat, from_day, to_day, imported_at)
  VALUES (s.user_id, s.team, s.parent_team, s.seat, s.from_day, s.to_day, @imported_at)
WHEN NOT MATCHED BY SOURCE THEN DELETE`;

/**
 * Replaces the mapping with `assignments` (already validated and pseudonymized) in one atomic
 * statement. Returns the number of rows now in the table.
 */
export async function replaceUserTeams(
  warehouse: Warehouse,
  assignments: readonly TeamAssignment[],
  importedAt: Date,
): Promise<number> {
  await warehouse.execute(REPLACE_USER_TEAMS_SQL, {
    user_ids: { type: 'STRING', value: assignments.map((a) => a.userId) },
    teams: { type: 'STRING', value: assignments.map((a) => a.team) },
    parents: { type: 'STRING', value: assignments.map((a) => a.parentTeam ?? '') },
    seats: { type: 'STRING', value: assignments.map((a) => String(a.seat)) },
    froms: { type: 'STRING', value: assignments.map((a) => a.from ?? '') },
    tos: { type: 'STRING', value: assignments.map((a) => a.to ?? '') },
    imported_at: { type: 'TIMESTAMP', value: importedAt.toISOString() },
  });
  const [row] = await warehouse.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM `gca_analytics.user_teams`',
  );
  return row?.n ?? 0;
}

/** A row of the mapping as stored. */
export interface StoredAssignment {
  user_id: string;
  team: string;
  parent_team: string | null;
  seat: boolean;
  from_day: string | null;
  to_day: string | null;
  imported_at: string;
}

/** The stored mapping, by team, then user, then period. */
export async function listUserTeams(warehouse: Warehouse): Promise<StoredAssignment[]> {
  return warehouse.query<StoredAssignment>(
    `SELECT user_id, team, parent_team, seat, CAST(from_day AS STRING) AS from_day,
       CAST(to_day AS STRING) AS to_day, CAST(imported_at AS STRING) AS imported_at
     FROM \`gca_analytics.user_teams\`
     ORDER BY team, user_id, from_day NULLS FIRST`,
  );
}

/**
 * SQL for the team of `alias.user_id` on `alias.day`: a LEFT JOIN of the mapping period that
 * covers the day (validation allows at most one), and the team expression. Put `join` after the
 * FROM of a table with `user_id` and `day`, and select `team`.
 */
export function teamJoin(alias: string): { join: string; team: string; parent: string } {
  return {
    join: `LEFT JOIN \`gca_analytics.user_teams\` AS ut
      ON ut.user_id = ${alias}.user_id
      AND (ut.from_day IS NULL OR ${alias}.day >= ut.from_day)
      AND (ut.to_day IS NULL OR ${alias}.day <= ut.to_day)`,
    team: `COALESCE(ut.team, '${NO_TEAM}')`,
    parent: 'ut.parent_team',
  };
}
