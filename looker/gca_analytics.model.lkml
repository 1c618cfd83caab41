# Gemini Code Assist usage and acceptance, over the gca_analytics dataset only: it has no prompt,
# response, code or file path (those stay in the raw dataset, which this model never reads).
connection: "@{CONNECTION_NAME}"
label: "Gemini Code Assist"

include: "/views/*.view.lkml"
include: "/dashboards/*.dashboard.lookml"

# Figures change when recompute runs (hourly): cache for at most an hour.
datagroup: gca_hourly {
  max_cache_age: "1 hour"
  sql_trigger: SELECT MAX(updated_at) FROM `gca_analytics.acceptance_daily` ;;
}
persist_with: gca_hourly

explore: acceptance_daily {
  label: "Acceptance and lines per day"
  description: "Code and chat suggestions exposed and accepted, acceptance rates and lines accepted, per day, user, language, IDE, product and agent mode. A late acceptance counts on its exposure's day. Rates are ratios of sums, right on any slice; but chat exposures carry no language (a chat response takes its acceptance's language), so by language use the code rate and chat accepted and lines, never a chat or total rate."
  join: lines_accepted_daily {
    type: left_outer
    relationship: one_to_one
    fields: [lines_accepted_daily.all_measures*]
    # The seven group columns are the key of both tables; user, IDE and product may be null.
    sql_on: ${acceptance_daily.day_raw} = ${lines_accepted_daily.day_raw}
      AND ${acceptance_daily.kind} = ${lines_accepted_daily.kind}
      AND ${acceptance_daily.user_id} IS NOT DISTINCT FROM ${lines_accepted_daily.user_id}
      AND ${acceptance_daily.programming_language} = ${lines_accepted_daily.programming_language}
      AND ${acceptance_daily.client_name} IS NOT DISTINCT FROM ${lines_accepted_daily.client_name}
      AND ${acceptance_daily.product} IS NOT DISTINCT FROM ${lines_accepted_daily.product}
      AND ${acceptance_daily.is_agentic} = ${lines_accepted_daily.is_agentic} ;;
  }
  # The team of the row's user on the row's day ("(no team)" if none): at most one period
  # covers a day (teams import refuses overlaps), so the join never multiplies rows.
  join: user_teams {
    type: left_outer
    relationship: many_to_one
    sql_on: ${user_teams.user_id} = ${acceptance_daily.user_id}
      AND (${user_teams.from_day_raw} IS NULL OR ${acceptance_daily.day_raw} >= ${user_teams.from_day_raw})
      AND (${user_teams.to_day_raw} IS NULL OR ${acceptance_daily.day_raw} <= ${user_teams.to_day_raw}) ;;
  }
  # Team tiles group and filter by team_floor.team: the team, or "(small teams)" when it has
  # fewer than @{MIN_TEAM_SIZE} users in the days this explore is filtered to (the privacy floor).
  join: team_floor {
    from: team_floor_acceptance_daily
    type: left_outer
    relationship: many_to_one
    sql_on: ${team_floor.team_as_mapped} = ${user_teams.team_name} ;;
  }
}

explore: lines_accepted_daily {
  label: "Lines accepted per day"
  description: "Lines accepted (the largest linesCount of each accepted suggestion, summed) per day and group."
  # The team of the row's user on the row's day ("(no team)" if none): at most one period
  # covers a day (teams import refuses overlaps), so the join never multiplies rows.
  join: user_teams {
    type: left_outer
    relationship: many_to_one
    sql_on: ${user_teams.user_id} = ${lines_accepted_daily.user_id}
      AND (${user_teams.from_day_raw} IS NULL OR ${lines_accepted_daily.day_raw} >= ${user_teams.from_day_raw})
      AND (${user_teams.to_day_raw} IS NULL OR ${lines_accepted_daily.day_raw} <= ${user_teams.to_day_raw}) ;;
  }
  # Team tiles group and filter by team_floor.team: the team, or "(small teams)" when it has
  # fewer than @{MIN_TEAM_SIZE} users in the days this explore is filtered to (the privacy floor).
  join: team_floor {
    from: team_floor_lines_accepted_daily
    type: left_outer
    relationship: many_to_one
    sql_on: ${team_floor.team_as_mapped} = ${user_teams.team_name} ;;
  }
}

explore: suggestions {
  label: "Suggestions"
  description: "One row per code suggestion or chat response: exposure and acceptance times, lines, orphan and late acceptances."
  # The team of the row's user on the row's day ("(no team)" if none): at most one period
  # covers a day (teams import refuses overlaps), so the join never multiplies rows.
  join: user_teams {
    type: left_outer
    relationship: many_to_one
    sql_on: ${user_teams.user_id} = ${suggestions.user_id}
      AND (${user_teams.from_day_raw} IS NULL OR ${suggestions.day_raw} >= ${user_teams.from_day_raw})
      AND (${user_teams.to_day_raw} IS NULL OR ${suggestions.day_raw} <= ${user_teams.to_day_raw}) ;;
  }
  # Team tiles group and filter by team_floor.team: the team, or "(small teams)" when it has
  # fewer than @{MIN_TEAM_SIZE} users in the days this explore is filtered to (the privacy floor).
  join: team_floor {
    from: team_floor_suggestions
    type: left_outer
    relationship: many_to_one
    sql_on: ${team_floor.team_as_mapped} = ${user_teams.team_name} ;;
  }
}

explore: interactions {
  label: "Interactions"
  description: "One row per request: method, IDE, latency, prompt and response sizes, agent tool calls. No content."
  join: interactions__tool_names {
    type: left_outer
    relationship: one_to_many
    sql: LEFT JOIN UNNEST(${interactions.tool_names}) AS interactions__tool_names ;;
  }
}

explore: daily_active_users {
  label: "Daily active users"
  description: "One row per user and UTC day with any request or metadata event. Active users over a range are counted distinct, never summed."
  # The team of the row's user on the row's day ("(no team)" if none): at most one period
  # covers a day (teams import refuses overlaps), so the join never multiplies rows.
  join: user_teams {
    type: left_outer
    relationship: many_to_one
    sql_on: ${user_teams.user_id} = ${daily_active_users.user_id}
      AND (${user_teams.from_day_raw} IS NULL OR ${daily_active_users.day_raw} >= ${user_teams.from_day_raw})
      AND (${user_teams.to_day_raw} IS NULL OR ${daily_active_users.day_raw} <= ${user_teams.to_day_raw}) ;;
  }
  # Team tiles group and filter by team_floor.team: the team, or "(small teams)" when it has
  # fewer than @{MIN_TEAM_SIZE} users in the days this explore is filtered to (the privacy floor).
  join: team_floor {
    from: team_floor_daily_active_users
    type: left_outer
    relationship: many_to_one
    sql_on: ${team_floor.team_as_mapped} = ${user_teams.team_name} ;;
  }
}
