/**
 * What the LookML views add to the table registry: labels, hidden columns, hand-written
 * dimensions and the measures. Dimensions for registry columns are generated (generate.ts), so a
 * renamed column changes the views and the staleness test fails until they are regenerated.
 *
 * Every rate is a ratio of sums, `sum(accepted) / NULLIF(sum(exposed), 0)`: the daily tables are
 * additive (docs/analysts.md, "Why rates are sums divided by sums"), so this equals the spec's distinct-id formula on any
 * slice, while an average of daily rates would weight a quiet day like a busy one.
 */

export const MEASURE_TYPES = [
  'sum',
  'count',
  'count_distinct',
  'number',
  'percentile',
  'average',
] as const;
export type MeasureType = (typeof MEASURE_TYPES)[number];

export const VALUE_FORMATS = ['decimal_0', 'decimal_1', 'decimal_2', 'percent_1'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

export interface MeasureDef {
  readonly name: string;
  readonly type: MeasureType;
  readonly label: string;
  readonly description: string;
  /** SQL over `${field}` references; omitted for `count`. */
  readonly sql?: string;
  /** LookML `filters:` (field name -> Looker filter expression), e.g. `{ kind: 'code' }`. */
  readonly filters?: Readonly<Record<string, string>>;
  /** `percentile` only: 1..99. */
  readonly percentile?: number;
  readonly valueFormat?: ValueFormat;
}

export const DIMENSION_TYPES = ['string', 'number', 'yesno'] as const;
export type DimensionType = (typeof DIMENSION_TYPES)[number];

export interface DimensionDef {
  readonly name: string;
  readonly type: DimensionType;
  readonly label?: string;
  readonly description: string;
  readonly sql: string;
  readonly hidden?: boolean;
}

export interface ViewConfig {
  /** `dataset.table` in the registry; must be in `gca_analytics`. */
  readonly table: string;
  /** Label of the view's field group in explores. */
  readonly viewLabel: string;
  /** Columns shown under another label than Looker's default (Title Case of the name). */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Columns generated with `hidden: yes`: per-row counts an analyst should aggregate with a
   * measure, never pick as a dimension (and the per-row rate, which must never be averaged).
   */
  readonly hidden?: readonly string[];
  readonly dimensions?: readonly DimensionDef[];
  readonly measures: readonly MeasureDef[];
  /**
   * REPEATED scalar columns unnested into a view of their own (`<view>__<column>`, joined with
   * `LEFT JOIN UNNEST(...)` in the explore). A REPEATED column not listed here is only a hidden
   * dimension the join can reference.
   */
  readonly unnest?: Readonly<Record<string, UnnestDef>>;
}

export interface UnnestDef {
  /** Name of the one dimension of the nested view, e.g. `tool_name`. */
  readonly dimension: string;
  readonly label: string;
  /** Label of the nested view's `count` measure. */
  readonly countLabel: string;
  readonly countDescription: string;
}

const rateOf = (accepted: string, exposed: string): string =>
  `\${${accepted}} / NULLIF(\${${exposed}}, 0)`;

const SUM_LATE_DAY_NOTE =
  'Counted on the day of the suggestion (its first exposure), even when the acceptance came later.';

/**
 * Gemini logs no language on chat exposures (only on chat acceptances), so a chat suggestion takes
 * its acceptance's language and every unaccepted one lands on `unknown` (the attribute
 * rule of ../../shared/sql/metrics.ts). Any figure over chat exposures is therefore wrong by language; the dashboards show by
 * language the code rate and chat accepted/lines only, and these descriptions say why.
 */
const RATE_NOT_BY_LANGUAGE =
  ' Not meaningful by language: chat exposures carry no language, so an accepted chat response ' +
  "takes its acceptance's language and an unaccepted one is unknown, and the rate reads about " +
  '100 % for every real language. By language use Code acceptance rate and the chat accepted ' +
  'and lines counts.';
const EXPOSED_NOT_BY_LANGUAGE =
  ' By language, unaccepted chat responses are all under unknown (chat exposures carry no ' +
  'language): use the code figures by language.';

export const ACCEPTANCE_DAILY: ViewConfig = {
  table: 'gca_analytics.acceptance_daily',
  viewLabel: 'Acceptance',
  labels: {
    is_agentic: 'Agent mode',
    client_name: 'IDE / client',
    programming_language: 'Language',
    kind: 'Kind (code or chat)',
  },
  hidden: ['suggestions', 'exposed', 'accepted', 'orphan_acceptances', 'acceptance_rate'],
  measures: [
    {
      name: 'suggestion_count',
      type: 'sum',
      sql: '${suggestions}',
      label: 'Suggestions',
      description: 'Suggestions (exposed or accepted). ' + SUM_LATE_DAY_NOTE,
      valueFormat: 'decimal_0',
    },
    {
      name: 'exposed_count',
      type: 'sum',
      sql: '${exposed}',
      label: 'Suggestions exposed',
      description:
        'Distinct suggestions with at least one exposure (code and chat).' +
        EXPOSED_NOT_BY_LANGUAGE,
      valueFormat: 'decimal_0',
    },
    {
      name: 'accepted_count',
      type: 'sum',
      sql: '${accepted}',
      label: 'Suggestions accepted',
      description:
        'Distinct suggestions with at least one acceptance (code and chat), orphans included. ' +
        SUM_LATE_DAY_NOTE,
      valueFormat: 'decimal_0',
    },
    {
      name: 'code_exposed_count',
      type: 'sum',
      sql: '${exposed}',
      filters: { kind: 'code' },
      label: 'Code suggestions exposed',
      description: 'Distinct code suggestions with at least one exposure.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'code_accepted_count',
      type: 'sum',
      sql: '${accepted}',
      filters: { kind: 'code' },
      label: 'Code suggestions accepted',
      description: 'Distinct code suggestions with at least one acceptance.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'chat_exposed_count',
      type: 'sum',
      sql: '${exposed}',
      filters: { kind: 'chat' },
      label: 'Chat responses exposed',
      description: 'Distinct chat responses with at least one exposure.' + EXPOSED_NOT_BY_LANGUAGE,
      valueFormat: 'decimal_0',
    },
    {
      name: 'chat_accepted_count',
      type: 'sum',
      sql: '${accepted}',
      filters: { kind: 'chat' },
      label: 'Chat responses accepted',
      description: 'Distinct chat responses with at least one acceptance of a code block.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'acceptance_rate_total',
      type: 'number',
      sql: rateOf('accepted_count', 'exposed_count'),
      label: 'Acceptance rate (total)',
      description:
        '(accepted code + accepted chat) / (exposed code + exposed chat): a ratio of sums, right ' +
        'on any slice but language. Empty when nothing was exposed.' +
        RATE_NOT_BY_LANGUAGE,
      valueFormat: 'percent_1',
    },
    {
      name: 'code_acceptance_rate',
      type: 'number',
      sql: rateOf('code_accepted_count', 'code_exposed_count'),
      label: 'Code acceptance rate',
      description: 'Accepted code suggestions / exposed code suggestions (ratio of sums).',
      valueFormat: 'percent_1',
    },
    {
      name: 'chat_acceptance_rate',
      type: 'number',
      sql: rateOf('chat_accepted_count', 'chat_exposed_count'),
      label: 'Chat acceptance rate',
      description:
        'Accepted chat responses / exposed chat responses (ratio of sums).' + RATE_NOT_BY_LANGUAGE,
      valueFormat: 'percent_1',
    },
    {
      name: 'orphan_acceptance_count',
      type: 'sum',
      sql: '${orphan_acceptances}',
      label: 'Orphan acceptances',
      description:
        'Accepted suggestions whose exposure was never logged. They count in the accepted ' +
        'figures, as the spec formula does; a high number means exposure telemetry is missing.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'user_count',
      type: 'count_distinct',
      sql: '${user_id}',
      label: 'Users with suggestions',
      description:
        'Distinct users with at least one suggestion. Active users (any request or event) are ' +
        'in the Daily active users explore.',
      valueFormat: 'decimal_0',
    },
  ],
};

export const LINES_ACCEPTED_DAILY: ViewConfig = {
  table: 'gca_analytics.lines_accepted_daily',
  viewLabel: 'Lines accepted',
  labels: ACCEPTANCE_DAILY.labels,
  hidden: ['accepted', 'lines_accepted', 'comment_lines_accepted'],
  measures: [
    {
      name: 'lines_accepted_total',
      type: 'sum',
      sql: '${lines_accepted}',
      label: 'Lines accepted',
      description:
        'Sum over accepted suggestions of their largest linesCount (code and chat). ' +
        SUM_LATE_DAY_NOTE,
      valueFormat: 'decimal_0',
    },
    {
      name: 'code_lines_accepted',
      type: 'sum',
      sql: '${lines_accepted}',
      filters: { kind: 'code' },
      label: 'Lines accepted from code suggestions',
      description: 'Sum over accepted code suggestions of their largest linesCount.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'chat_lines_accepted',
      type: 'sum',
      sql: '${lines_accepted}',
      filters: { kind: 'chat' },
      label: 'Lines accepted from chat',
      description: 'Sum over accepted chat responses of their largest linesCount.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'comment_lines_accepted_total',
      type: 'sum',
      sql: '${comment_lines_accepted}',
      label: 'Comment lines accepted',
      description: 'Sum of the comment lines of accepted code suggestions, when the IDE sent them.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'accepted_suggestion_count',
      type: 'sum',
      sql: '${accepted}',
      label: 'Accepted suggestions (lines table)',
      description: 'Accepted suggestions; equals Suggestions accepted of the acceptance table.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'lines_per_accepted_suggestion',
      type: 'number',
      sql: rateOf('lines_accepted_total', 'accepted_suggestion_count'),
      label: 'Lines per accepted suggestion',
      description: 'Lines accepted / accepted suggestions (ratio of sums).',
      valueFormat: 'decimal_1',
    },
  ],
};

export const SUGGESTIONS: ViewConfig = {
  table: 'gca_analytics.suggestions',
  viewLabel: 'Suggestions',
  labels: ACCEPTANCE_DAILY.labels,
  hidden: ['exposure_events', 'acceptance_events'],
  dimensions: [
    {
      name: 'acceptance_delay_minutes',
      type: 'number',
      label: 'Minutes from exposure to acceptance',
      description: 'first_acceptance_time - first_exposure_time; empty unless both were logged.',
      // UNIX_MICROS rather than TIMESTAMP_DIFF: the same text runs on DuckDB (shared/sql/render.ts).
      sql: '(UNIX_MICROS(${TABLE}.first_acceptance_time) - UNIX_MICROS(${TABLE}.first_exposure_time)) / 60000000.0',
    },
    {
      name: 'accepted_on_later_day',
      type: 'yesno',
      label: 'Accepted on a later day',
      description:
        'The acceptance arrived on a later UTC day than the exposure. Still counted on the ' +
        "exposure's day; a dashboard that counts acceptance events by their own date puts it on " +
        'the wrong day.',
      sql: 'DATE(${TABLE}.first_acceptance_time) > ${TABLE}.day',
    },
  ],
  measures: [
    {
      name: 'count',
      type: 'count',
      label: 'Suggestions',
      description: 'Suggestions (kind, original_request_id).',
      valueFormat: 'decimal_0',
    },
    {
      name: 'exposed_count',
      type: 'count',
      filters: { exposed: 'yes' },
      label: 'Suggestions exposed',
      description: 'Suggestions with at least one exposure.' + EXPOSED_NOT_BY_LANGUAGE,
      valueFormat: 'decimal_0',
    },
    {
      name: 'accepted_count',
      type: 'count',
      filters: { accepted: 'yes' },
      label: 'Suggestions accepted',
      description: 'Suggestions with at least one acceptance, orphans included.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'acceptance_rate_total',
      type: 'number',
      sql: rateOf('accepted_count', 'exposed_count'),
      label: 'Acceptance rate',
      description: 'Accepted / exposed suggestions (ratio of counts).' + RATE_NOT_BY_LANGUAGE,
      valueFormat: 'percent_1',
    },
    {
      name: 'orphan_acceptance_count',
      type: 'count',
      filters: { accepted: 'yes', exposed: 'no' },
      label: 'Orphan acceptances',
      description: 'Accepted suggestions whose exposure was never logged.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'late_acceptance_count',
      type: 'count',
      filters: { accepted_on_later_day: 'yes' },
      label: 'Acceptances on a later day',
      description:
        "Suggestions accepted on a later UTC day than their exposure (counted on the exposure's day).",
      valueFormat: 'decimal_0',
    },
    {
      name: 'lines_accepted_total',
      type: 'sum',
      sql: '${lines_accepted}',
      label: 'Lines accepted',
      description: 'Sum of each accepted suggestion’s largest linesCount.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'median_acceptance_delay_minutes',
      type: 'percentile',
      percentile: 50,
      sql: '${acceptance_delay_minutes}',
      label: 'Median minutes to acceptance',
      description: 'Median time from first exposure to first acceptance.',
      valueFormat: 'decimal_1',
    },
  ],
};

const latency = (p: number): MeasureDef => ({
  name: `latency_p${p}_ms`,
  type: 'percentile',
  percentile: p,
  sql: '${latency_ms}',
  label: `Latency p${p} (ms)`,
  description: `${p}th percentile of response time - request time, over requests with both logged.`,
  valueFormat: 'decimal_0',
});

export const INTERACTIONS: ViewConfig = {
  table: 'gca_analytics.interactions',
  viewLabel: 'Interactions',
  labels: { client_name: 'IDE / client', method: 'Method' },
  hidden: ['tool_names'],
  unnest: {
    tool_names: {
      dimension: 'tool_name',
      label: 'Tool name',
      countLabel: 'Tool calls',
      countDescription:
        'Agent tool calls, one per name in tool_names (a call repeated counts twice).',
    },
  },
  measures: [
    {
      name: 'request_count',
      type: 'count',
      label: 'Requests',
      description: 'Interactions (distinct request ids).',
      valueFormat: 'decimal_0',
    },
    {
      name: 'user_count',
      type: 'count_distinct',
      sql: '${user_id}',
      label: 'Users',
      description: 'Distinct users with a request.',
      valueFormat: 'decimal_0',
    },
    latency(50),
    latency(90),
    latency(99),
    {
      name: 'latency_average_ms',
      type: 'average',
      sql: '${latency_ms}',
      label: 'Average latency (ms)',
      description: 'Mean response time - request time, over requests with both logged.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'tool_calls_total',
      type: 'sum',
      sql: '${tool_call_count}',
      label: 'Tool calls',
      description: 'Agent tool calls in responses.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'prompt_chars_average',
      type: 'average',
      sql: '${prompt_chars}',
      label: 'Average prompt size (chars)',
      description: 'Mean characters of prompt and context per request.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'response_chars_average',
      type: 'average',
      sql: '${response_chars}',
      label: 'Average response size (chars)',
      description: 'Mean characters of the response.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'api_request_count',
      type: 'count',
      filters: { has_api_request: 'yes' },
      label: 'Agent API requests',
      description: 'Interactions with an api_request metadata event.',
      valueFormat: 'decimal_0',
    },
  ],
};

export const DAILY_ACTIVE_USERS: ViewConfig = {
  table: 'gca_analytics.daily_active_users',
  viewLabel: 'Active users',
  hidden: ['requests', 'suggestions_exposed', 'suggestions_accepted'],
  measures: [
    {
      name: 'active_users',
      type: 'count_distinct',
      sql: '${user_id}',
      label: 'Active users',
      description:
        'Distinct users with any request or metadata event in the range (not a sum of daily counts).',
      valueFormat: 'decimal_0',
    },
    {
      name: 'user_days',
      type: 'count',
      label: 'User-days',
      description: 'Active (user, day) pairs.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'requests_total',
      type: 'sum',
      sql: '${requests}',
      label: 'Requests',
      description: 'Request log entries.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'suggestions_exposed_total',
      type: 'sum',
      sql: '${suggestions_exposed}',
      label: 'Suggestions exposed (per user-day)',
      description: 'Sum over user-days of the distinct suggestions exposed to the user that day.',
      valueFormat: 'decimal_0',
    },
    {
      name: 'suggestions_accepted_total',
      type: 'sum',
      sql: '${suggestions_accepted}',
      label: 'Suggestions accepted (per user-day)',
      description: 'Sum over user-days of the distinct suggestions the user accepted that day.',
      valueFormat: 'decimal_0',
    },
  ],
};

/**
 * The user -> team mapping, joined into the explores on the user and the period covering the
 * row's day (gca_analytics.user_teams; `gca-analytics teams import`). Its hidden `team_name`
 * ("(no team)" for a user the mapping does not cover that day, as in `gca-analytics report`) is
 * what the privacy floor (team_floor, TEAM_FLOOR_EXPLORES) is joined on; the Teams dashboard
 * groups by the floor's `team`. No measures of its own: counts come from the joined explore.
 */
export const USER_TEAMS: ViewConfig = {
  table: 'gca_analytics.user_teams',
  viewLabel: 'Team',
  labels: { team: 'Team (as mapped)', parent_team: 'Parent team' },
  // The team as mapped is for joins only: grouping by it (or by the parent team, which can hold
  // one small team) would bypass the privacy floor. Team tiles use team_floor.team.
  hidden: ['imported_at', 'user_id', 'team', 'parent_team'],
  dimensions: [
    {
      name: 'team_name',
      type: 'string',
      label: 'Team (as mapped)',
      hidden: true,
      description:
        "Team of the user on the day of the row (a suggestion counts for its user's team on its " +
        'day); (no team) when the mapping does not cover the user that day.',
      sql: "COALESCE(${TABLE}.team, '(no team)')",
    },
  ],
  measures: [],
};

/** Every generated view, in file order. */
export const LOOKER_VIEWS: readonly ViewConfig[] = [
  ACCEPTANCE_DAILY,
  LINES_ACCEPTED_DAILY,
  SUGGESTIONS,
  INTERACTIONS,
  DAILY_ACTIVE_USERS,
  USER_TEAMS,
];

/**
 * The explores whose rows carry a user and a day, so they join the user -> team mapping and the
 * privacy floor of the team views. Each gets a generated view `team_floor_<explore>` (a derived
 * table, see generate.ts) joined as `team_floor`, whose `team` dimension is what every team tile
 * groups and filters by.
 */
export const TEAM_FLOOR_EXPLORES = [
  'acceptance_daily',
  'lines_accepted_daily',
  'suggestions',
  'daily_active_users',
] as const;

/**
 * The manifest constant holding K, the smallest team shown on its own (default 5, as
 * `gca-analytics report --min-team-size`). A constant rather than a Looker parameter on purpose:
 * a parameter is a control any viewer of the dashboard can set to 1.
 */
export const MIN_TEAM_SIZE_CONSTANT = 'MIN_TEAM_SIZE';

/** Day timeframes whose filter narrows the floor's range (DATE_TIMEFRAMES but raw). */
export const FLOOR_TIMEFRAMES = ['date', 'week', 'month', 'quarter', 'year'] as const;
