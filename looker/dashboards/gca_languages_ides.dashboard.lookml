- dashboard: gca_languages_ides
  title: Gemini Code Assist by language and IDE
  layout: newspaper
  preferred_viewer: dashboards-next
  description: >-
    Acceptance and lines accepted per programming language and per IDE. By language it shows the
    code acceptance rate and, for chat, accepted responses and lines only: Gemini logs no
    language on chat exposures, so an accepted chat response takes the language of its acceptance
    and an unaccepted one is unknown, and a chat or total rate per language would read about
    100 %. For the same reason the tiles with a chat or total rate (by IDE) do not follow the
    Language filter. Rates are sum(accepted) / sum(exposed) over the selection; an acceptance
    counts on its exposure's day (the daily tables are built that way), never on the day the
    acceptance event arrived. Google's sample dashboard has no per-language view.
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
  - name: by_language
    title: By language
    note_text: >-
      Code: exposed, accepted, rate, lines. Chat: accepted responses and lines only, as chat
      exposures carry no language (a chat rate by language would read about 100 %).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [acceptance_daily.programming_language, acceptance_daily.code_exposed_count, acceptance_daily.code_accepted_count, acceptance_daily.code_acceptance_rate, lines_accepted_daily.code_lines_accepted, acceptance_daily.chat_accepted_count, lines_accepted_daily.chat_lines_accepted]
    sorts: [acceptance_daily.code_exposed_count desc]
    limit: 50
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 0
    col: 0
    width: 12
    height: 9
  - name: rate_by_language
    title: Code acceptance rate by language
    note_text: >-
      Code only: chat exposures carry no language, so a chat rate by language would read about
      100 %.
    model: gca_analytics
    explore: acceptance_daily
    type: looker_bar
    fields: [acceptance_daily.programming_language, acceptance_daily.code_acceptance_rate, acceptance_daily.code_exposed_count]
    filters:
      acceptance_daily.code_exposed_count: ">0"
    sorts: [acceptance_daily.code_exposed_count desc]
    limit: 15
    hidden_fields: [acceptance_daily.code_exposed_count]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 0
    col: 12
    width: 12
    height: 9
  - name: lines_by_language_over_time
    title: Lines accepted per week by language
    model: gca_analytics
    explore: acceptance_daily
    type: looker_column
    fields: [acceptance_daily.day_week, acceptance_daily.programming_language, lines_accepted_daily.lines_accepted_total]
    pivots: [acceptance_daily.programming_language]
    sorts: [acceptance_daily.day_week desc, acceptance_daily.programming_language]
    stacking: normal
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 9
    col: 0
    width: 24
    height: 8
  - name: by_ide
    title: By IDE
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [acceptance_daily.client_name, acceptance_daily.exposed_count, acceptance_daily.accepted_count, acceptance_daily.code_acceptance_rate, acceptance_daily.chat_acceptance_rate, acceptance_daily.acceptance_rate_total, lines_accepted_daily.lines_accepted_total, acceptance_daily.user_count]
    sorts: [acceptance_daily.exposed_count desc]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 17
    col: 0
    width: 12
    height: 8
  - name: ide_by_language
    title: Code acceptance rate, IDE x language
    note_text: Code only (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_grid
    fields: [acceptance_daily.client_name, acceptance_daily.programming_language, acceptance_daily.code_acceptance_rate]
    pivots: [acceptance_daily.client_name]
    sorts: [acceptance_daily.programming_language, acceptance_daily.client_name]
    limit: 50
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      language: acceptance_daily.programming_language
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 17
    col: 12
    width: 12
    height: 8
  - name: rate_by_ide_over_time
    title: Acceptance rate per week by IDE
    note_text: Not filtered by language (chat exposures carry no language).
    model: gca_analytics
    explore: acceptance_daily
    type: looker_line
    fields: [acceptance_daily.day_week, acceptance_daily.client_name, acceptance_daily.acceptance_rate_total]
    pivots: [acceptance_daily.client_name]
    sorts: [acceptance_daily.day_week desc, acceptance_daily.client_name]
    listen:
      date_range: acceptance_daily.day_date
      product: acceptance_daily.product
      ide: acceptance_daily.client_name
      agent_mode: acceptance_daily.is_agentic
    row: 25
    col: 0
    width: 24
    height: 7
