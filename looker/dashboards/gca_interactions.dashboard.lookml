- dashboard: gca_interactions
  title: Gemini Code Assist interactions
  layout: newspaper
  preferred_viewer: dashboards-next
  description: >-
    Requests by method and IDE, latency percentiles (response time - request time, where both
    were logged) and agent tool calls by name. Built from gca_analytics.interactions, which holds
    sizes and names only: no prompt, response or tool arguments. Language and agent-mode
    filters do not apply here (requests carry neither); acceptance figures, counted on the
    exposure's day, are on the overview.
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
    explore: interactions
    field: interactions.day_date
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
    explore: interactions
    field: interactions.product
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
    explore: interactions
    field: interactions.client_name
  - name: method
    title: Method
    type: field_filter
    default_value: ''
    allow_multiple_values: true
    required: false
    ui_config:
      type: tag_list
      display: popover
    model: gca_analytics
    explore: interactions
    field: interactions.method
  elements:
  - name: requests
    title: Requests
    model: gca_analytics
    explore: interactions
    type: single_value
    fields: [interactions.request_count]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 0
    col: 0
    width: 6
    height: 4
  - name: users
    title: Users with requests
    model: gca_analytics
    explore: interactions
    type: single_value
    fields: [interactions.user_count]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 0
    col: 6
    width: 6
    height: 4
  - name: p50
    title: Latency p50 (ms)
    model: gca_analytics
    explore: interactions
    type: single_value
    fields: [interactions.latency_p50_ms]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 0
    col: 12
    width: 6
    height: 4
  - name: p90
    title: Latency p90 (ms)
    model: gca_analytics
    explore: interactions
    type: single_value
    fields: [interactions.latency_p90_ms]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 0
    col: 18
    width: 6
    height: 4
  - name: requests_by_method
    title: Requests per day by method
    model: gca_analytics
    explore: interactions
    type: looker_column
    fields: [interactions.day_date, interactions.method, interactions.request_count]
    pivots: [interactions.method]
    fill_fields: [interactions.day_date]
    sorts: [interactions.day_date desc, interactions.method]
    stacking: normal
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 4
    col: 0
    width: 12
    height: 8
  - name: latency_over_time
    title: Latency percentiles per day (ms)
    model: gca_analytics
    explore: interactions
    type: looker_line
    fields: [interactions.day_date, interactions.latency_p50_ms, interactions.latency_p90_ms, interactions.latency_p99_ms]
    fill_fields: [interactions.day_date]
    sorts: [interactions.day_date desc]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 4
    col: 12
    width: 12
    height: 8
  - name: latency_by_method
    title: Latency by method and IDE
    model: gca_analytics
    explore: interactions
    type: looker_grid
    fields: [interactions.method, interactions.client_name, interactions.request_count, interactions.latency_p50_ms, interactions.latency_p90_ms, interactions.latency_p99_ms, interactions.latency_average_ms]
    sorts: [interactions.request_count desc]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 12
    col: 0
    width: 12
    height: 8
  - name: tool_calls_by_name
    title: Agent tool calls by name
    model: gca_analytics
    explore: interactions
    type: looker_bar
    fields: [interactions__tool_names.tool_name, interactions__tool_names.count]
    filters:
      interactions__tool_names.tool_name: '-NULL'
    sorts: [interactions__tool_names.count desc]
    limit: 25
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 12
    col: 12
    width: 12
    height: 8
  - name: sizes_by_method
    title: Prompt and response sizes by method
    model: gca_analytics
    explore: interactions
    type: looker_grid
    fields: [interactions.method, interactions.prompt_chars_average, interactions.response_chars_average, interactions.tool_calls_total, interactions.api_request_count]
    sorts: [interactions.method]
    listen:
      date_range: interactions.day_date
      product: interactions.product
      ide: interactions.client_name
      method: interactions.method
    row: 20
    col: 0
    width: 24
    height: 6
