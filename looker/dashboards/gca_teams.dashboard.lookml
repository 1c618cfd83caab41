- dashboard: gca_teams
  title: Gemini Code Assist by team
  layout: newspaper
  preferred_viewer: dashboards-next
  description: >-
    Acceptance, lines accepted and activity per team, from the user -> team mapping loaded with
    `gca-analytics teams import` (gca_analytics.user_teams). A suggestion counts for the team of
    its user on the suggestion's day, and on its exposure's day even when the acceptance came
    later; users the mapping does not cover are "(no team)". Rates are sum(accepted) /
    sum(exposed). The privacy floor of `gca-analytics report` applies: a team with fewer than
    MIN_TEAM_SIZE (manifest.lkml, default 5) distinct users in the chosen date range is shown
    as "(small teams)". Tiles with a chat or total rate do not follow the Language filter:
    Gemini logs no language on chat exposures.
  refresh: 1 hour
  filters:
  - name: date_range
    title: Date range
    type: field_filter
    default_value: 28 days
    allow_multiple_values: true
    required: false
    ui_config:
      type: relative_timeframes
      display: inline
    model: gca_analytics
    explore: acceptance_daily
    field: acceptance_daily.day_date
  - name: product
    title: Product
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: gca_analytics
    explore: acceptance_daily
    field: acceptance_daily.product
  - name: language
    title: Language
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: gca_analytics
    explore: acceptance_daily
    field: acceptance_daily.programming_language
  - name: ide
    title: IDE
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: gca_analytics
    explore: acceptance_daily
    field: acceptance_daily.client_name
  - name: agent_mode
    title: Agent mode
    type: field_filter
    default_value: ''
    allow_multiple_values: false
    required: false
    ui_config:
      type: button_toggles
      display: inline
    model: gca_analytics
    explore: acceptance_daily
    field: acceptance_daily.is_agentic
  - name: team
    title: Team
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: gca_analytics
    explore: acceptance_daily
    field: team_floor.team
  elements:
  - name: by_team
    title: By team
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [team_floor.team, acceptance_daily.user_count, acceptance_daily.exposed_count, acceptance_daily.accepted_count, acceptance_daily.code_acceptance_rate, acceptance_daily.chat_acceptance_rate, acceptance_daily.acceptance_rate_total, lines_accepted_daily.lines_accepted_total]
    sorts: [acceptance_daily.exposed_count desc]
    limit: 500
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
      team: team_floor.team
    row: 0
    col: 0
    width: 24
    height: 8
  - name: active_users_by_team
    title: Active users and user-days by team
    model: gca_analytics
    explore: daily_active_users
    type: looker_grid
    fields: [team_floor.team, daily_active_users.active_users, daily_active_users.user_days, daily_active_users.suggestions_accepted_total]
    sorts: [daily_active_users.active_users desc]
    limit: 500
    listen:
      date_range: daily_active_users.day_date
      team: team_floor.team
    row: 8
    col: 0
    width: 12
    height: 8
  - name: code_rate_by_team
    title: Code acceptance rate by team
    model: gca_analytics
    explore: acceptance_daily
    type: looker_bar
    fields: [team_floor.team, acceptance_daily.code_acceptance_rate, acceptance_daily.code_exposed_count]
    sorts: [acceptance_daily.code_exposed_count desc]
    limit: 50
    hidden_fields: [acceptance_daily.code_exposed_count]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
      team: team_floor.team
    row: 8
    col: 12
    width: 12
    height: 8
  - name: team_lines_over_time
    title: Lines accepted per week by team
    model: gca_analytics
    explore: acceptance_daily
    type: looker_line
    fields: [acceptance_daily.day_week, team_floor.team, lines_accepted_daily.lines_accepted_total]
    pivots: [team_floor.team]
    sorts: [acceptance_daily.day_week desc, team_floor.team]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
      team: team_floor.team
    row: 16
    col: 0
    width: 24
    height: 8
