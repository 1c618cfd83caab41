- dashboard: gca_per_user
  title: Gemini Code Assist per user
  layout: newspaper
  preferred_viewer: dashboards-next
  description: >-
    Acceptance, lines accepted and activity per user. Works the same with e-mail addresses and
    with keyed pseudonyms (when pseudonymization is on, the ids are stable but not reversible
    here). Rates are sum(accepted) / sum(exposed); an acceptance counts on its exposure's day
    (the daily tables are built that way), even when it arrives later.
    Tiles with a chat or total rate do not follow the Language filter: Gemini logs no language
    on chat exposures, so an accepted chat response takes the language of its acceptance and an
    unaccepted one is unknown, and a chat rate filtered by language would read about 100 %.
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
  - name: user
    title: User
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: gca_analytics
    explore: acceptance_daily
    field: acceptance_daily.user_id
  elements:
  - name: per_user
    title: Per user
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [acceptance_daily.user_id, acceptance_daily.exposed_count, acceptance_daily.accepted_count, acceptance_daily.code_acceptance_rate, acceptance_daily.chat_acceptance_rate, acceptance_daily.acceptance_rate_total, lines_accepted_daily.lines_accepted_total, acceptance_daily.orphan_acceptance_count]
    sorts: [lines_accepted_daily.lines_accepted_total desc]
    limit: 500
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
      user: acceptance_daily.user_id
    row: 0
    col: 0
    width: 24
    height: 10
  - name: activity_per_user
    title: Activity per user
    model: gca_analytics
    explore: daily_active_users
    type: looker_grid
    fields: [daily_active_users.user_id, daily_active_users.user_days, daily_active_users.requests_total, daily_active_users.suggestions_exposed_total, daily_active_users.suggestions_accepted_total]
    sorts: [daily_active_users.user_days desc]
    limit: 500
    listen:
      date_range: daily_active_users.day_date
      user: daily_active_users.user_id
    row: 10
    col: 0
    width: 12
    height: 10
  - name: users_by_rate
    title: Users by total acceptance rate
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_bar
    fields: [acceptance_daily.user_id, acceptance_daily.acceptance_rate_total, acceptance_daily.exposed_count]
    sorts: [acceptance_daily.exposed_count desc]
    limit: 25
    hidden_fields: [acceptance_daily.exposed_count]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
      user: acceptance_daily.user_id
    row: 10
    col: 12
    width: 12
    height: 10
  - name: user_lines_over_time
    title: Lines accepted per week per user
    model: gca_analytics
    explore: acceptance_daily
    type: looker_line
    fields: [acceptance_daily.day_week, acceptance_daily.user_id, lines_accepted_daily.lines_accepted_total]
    pivots: [acceptance_daily.user_id]
    sorts: [acceptance_daily.day_week desc, acceptance_daily.user_id]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
      user: acceptance_daily.user_id
    row: 20
    col: 0
    width: 24
    height: 8
