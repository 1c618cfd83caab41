- dashboard: gca_overview
  title: Gemini Code Assist overview
  layout: newspaper
  preferred_viewer: dashboards-next
  description: >-
    Active users, code, chat and total acceptance rates and lines accepted over time, code vs
    chat and agent mode vs not. Rates are sum(accepted) / sum(exposed) over the selection, never
    an average of daily rates. An acceptance is counted on the exposure's day,
    even when it arrives days later (the daily tables are built that way), so a day's rate never
    moves an acceptance to the wrong day as Google's sample Log Analytics dashboard does.
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
  elements:
  - name: about
    type: text
    title_text: How to read these figures
    body_text: >-
      A suggestion is a code completion or a chat response (its originalRequestId). It is
      exposed when shown and accepted when any acceptance event arrives; orphan acceptances
      (accepted, exposure never logged) count as accepted, as Google's formula does. Lines
      accepted are the largest linesCount of each accepted suggestion, summed. Everything is
      counted on the exposure's day. Active users follow the date filter only (the activity
      table has no language, IDE or agent mode).
    row: 0
    col: 0
    width: 24
    height: 3
  - name: active_users
    title: Active users
    model: gca_analytics
    explore: daily_active_users
    type: single_value
    fields: [daily_active_users.active_users]
    listen:
      date_range: daily_active_users.day_date
    row: 3
    col: 0
    width: 4
    height: 4
  - name: total_rate
    title: Acceptance rate (total)
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: single_value
    fields: [acceptance_daily.acceptance_rate_total]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 3
    col: 4
    width: 4
    height: 4
  - name: code_rate
    title: Code acceptance rate
    model: gca_analytics
    explore: acceptance_daily
    type: single_value
    fields: [acceptance_daily.code_acceptance_rate]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 3
    col: 8
    width: 4
    height: 4
  - name: chat_rate
    title: Chat acceptance rate
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: single_value
    fields: [acceptance_daily.chat_acceptance_rate]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 3
    col: 12
    width: 4
    height: 4
  - name: lines_accepted
    title: Lines accepted
    model: gca_analytics
    explore: acceptance_daily
    type: single_value
    fields: [lines_accepted_daily.lines_accepted_total]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 3
    col: 16
    width: 4
    height: 4
  - name: orphan_acceptances
    title: Orphan acceptances
    note_text: Accepted suggestions whose exposure was never logged (counted as accepted).
    model: gca_analytics
    explore: acceptance_daily
    type: single_value
    fields: [acceptance_daily.orphan_acceptance_count]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 3
    col: 20
    width: 4
    height: 4
  - name: rates_over_time
    title: Acceptance rate over time (code, chat, total)
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_line
    fields: [acceptance_daily.day_date, acceptance_daily.code_acceptance_rate,
      acceptance_daily.chat_acceptance_rate, acceptance_daily.acceptance_rate_total]
    fill_fields: [acceptance_daily.day_date]
    sorts: [acceptance_daily.day_date desc]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 7
    col: 0
    width: 12
    height: 8
  - name: lines_over_time
    title: Lines accepted over time (code, chat)
    model: gca_analytics
    explore: acceptance_daily
    type: looker_column
    stacking: normal
    fields: [acceptance_daily.day_date, lines_accepted_daily.code_lines_accepted,
      lines_accepted_daily.chat_lines_accepted]
    fill_fields: [acceptance_daily.day_date]
    sorts: [acceptance_daily.day_date desc]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 7
    col: 12
    width: 12
    height: 8
  - name: active_users_over_time
    title: Daily active users
    model: gca_analytics
    explore: daily_active_users
    type: looker_line
    fields: [daily_active_users.day_date, daily_active_users.active_users]
    fill_fields: [daily_active_users.day_date]
    sorts: [daily_active_users.day_date desc]
    listen:
      date_range: daily_active_users.day_date
    row: 15
    col: 0
    width: 12
    height: 7
  - name: weekly_active_users
    title: Weekly active users
    model: gca_analytics
    explore: daily_active_users
    type: looker_column
    fields: [daily_active_users.day_week, daily_active_users.active_users]
    sorts: [daily_active_users.day_week desc]
    listen:
      date_range: daily_active_users.day_date
    row: 15
    col: 12
    width: 12
    height: 7
  - name: code_vs_chat
    title: Code vs chat
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [acceptance_daily.kind, acceptance_daily.exposed_count, acceptance_daily.accepted_count,
      acceptance_daily.acceptance_rate_total, lines_accepted_daily.lines_accepted_total]
    sorts: [acceptance_daily.kind]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 22
    col: 0
    width: 12
    height: 5
  - name: agent_vs_not
    title: Agent mode vs not
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [acceptance_daily.is_agentic, acceptance_daily.kind, acceptance_daily.exposed_count,
      acceptance_daily.accepted_count, acceptance_daily.acceptance_rate_total,
      lines_accepted_daily.lines_accepted_total]
    sorts: [acceptance_daily.is_agentic desc, acceptance_daily.kind]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 22
    col: 12
    width: 12
    height: 5
  - name: agent_rate_over_time
    title: Chat acceptance rate, agent mode vs not
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_line
    fields: [acceptance_daily.day_week, acceptance_daily.is_agentic,
      acceptance_daily.chat_acceptance_rate]
    pivots: [acceptance_daily.is_agentic]
    sorts: [acceptance_daily.day_week desc, acceptance_daily.is_agentic]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 27
    col: 0
    width: 24
    height: 7
