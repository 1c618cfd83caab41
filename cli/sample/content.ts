/**
 * Word and code material for the sample generator: enough variety that prompts, files and
 * responses look like an IDE's, small enough to keep entries around a kilobyte.
 */
import type { Rng } from './prng';

export const LANGUAGES = [
  'python',
  'go',
  'typescript',
  'javascript',
  'java',
  'cpp',
  'rust',
  'kotlin',
  'sql',
  'shellscript',
] as const;
export type SampleLanguage = (typeof LANGUAGES)[number];

/** How common each language is among users' main languages. */
export const LANGUAGE_WEIGHTS: readonly (readonly [SampleLanguage, number])[] = [
  ['python', 24],
  ['typescript', 18],
  ['go', 14],
  ['java', 13],
  ['javascript', 10],
  ['cpp', 6],
  ['kotlin', 5],
  ['rust', 4],
  ['sql', 4],
  ['shellscript', 2],
];

export const EXTENSIONS: Record<SampleLanguage, string> = {
  python: 'py',
  go: 'go',
  typescript: 'ts',
  javascript: 'js',
  java: 'java',
  cpp: 'cpp',
  rust: 'rs',
  kotlin: 'kt',
  sql: 'sql',
  shellscript: 'sh',
};

const CODE_LINES: Record<SampleLanguage, readonly string[]> = {
  python: [
    'def load_config(path: str) -> dict:',
    '    with open(path, encoding="utf-8") as fh:',
    '        return json.load(fh)',
    'for item in items:',
    '    if item.get("status") == "active":',
    '        result.append(item["id"])',
    '# Retry transient failures with backoff.',
    'logger.info("processed %d records", count)',
    'return sorted(result, key=lambda r: r.created_at)',
    'class OrderRepository:',
    '    def __init__(self, client):',
    '        self._client = client',
  ],
  go: [
    'func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {',
    '\tctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)',
    '\tdefer cancel()',
    '\tif err != nil {',
    '\t\treturn fmt.Errorf("read config: %w", err)',
    '\t}',
    '// Close releases the underlying connection.',
    'for _, item := range items {',
    '\tresult = append(result, item.ID)',
    '}',
    'type Order struct {',
    '\tID string `json:"id"`',
  ],
  typescript: [
    'export async function fetchOrders(client: Client): Promise<Order[]> {',
    '  const rows = await client.query(sql, { limit: 100 });',
    '  return rows.map((row) => toOrder(row));',
    '}',
    '// Keep the cache small: entries expire after a minute.',
    'const cache = new Map<string, Entry>();',
    'if (!response.ok) throw new HttpError(response.status);',
    'interface Order {',
    '  id: string;',
    '  total: number;',
    'export const handler = async (event: Event) => {',
    '  logger.info({ id: event.id }, "received");',
  ],
  javascript: [
    'function debounce(fn, wait) {',
    '  let timer;',
    '  return (...args) => {',
    '    clearTimeout(timer);',
    '    timer = setTimeout(() => fn(...args), wait);',
    '  };',
    '}',
    'const items = data.filter((d) => d.active);',
    'module.exports = { debounce };',
    '// Render the list once the data has loaded.',
    'document.querySelector("#list").replaceChildren(...nodes);',
  ],
  java: [
    'public class OrderService {',
    '    private final OrderRepository repository;',
    '    public List<Order> findActive() {',
    '        return repository.findAll().stream()',
    '            .filter(Order::isActive)',
    '            .collect(Collectors.toList());',
    '    }',
    '    // Validate before saving: the database has no check constraint.',
    '    if (order.getTotal() < 0) {',
    '        throw new IllegalArgumentException("negative total");',
    '    }',
  ],
  cpp: [
    'int gcd(int a, int b) {',
    '    if (b == 0) {',
    '        return a;',
    '    }',
    '    return gcd(b, a % b);',
    '}',
    '// Function to check if a number is prime.',
    'std::cout << "lcm(10, 15) passed" << std::endl;',
    'for (int i = 2; i * i <= a; ++i) {',
    'std::vector<int> values;',
  ],
  rust: [
    'pub fn parse(input: &str) -> Result<Config, Error> {',
    '    let value: Value = serde_json::from_str(input)?;',
    '    Ok(Config::from(value))',
    '}',
    '// Borrow instead of cloning: the buffer can be large.',
    'for line in reader.lines() {',
    '    let line = line?;',
    'impl Display for Order {',
  ],
  kotlin: [
    'class MainViewModel(private val repo: Repo) : ViewModel() {',
    '    val items = repo.items().stateIn(viewModelScope, SharingStarted.Lazily, emptyList())',
    'fun String.toSlug(): String = lowercase().replace(" ", "-")',
    '// Run on IO: the repository touches disk.',
    'withContext(Dispatchers.IO) {',
    '}',
  ],
  sql: [
    'SELECT user_id, COUNT(*) AS orders',
    'FROM `shop.orders`',
    'WHERE created_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)',
    'GROUP BY user_id',
    'ORDER BY orders DESC',
    '-- Only paid orders count toward revenue.',
    'LIMIT 100;',
  ],
  shellscript: [
    '#!/usr/bin/env bash',
    'set -euo pipefail',
    'for f in "$@"; do',
    '  gsutil cp "$f" "gs://$BUCKET/"',
    'done',
    '# Fail early when the bucket is missing.',
    'echo "uploaded $# files"',
  ],
};

const CHAT_PROMPTS: readonly string[] = [
  'How do I add retries with exponential backoff to this function?',
  'Write a unit test for the parse function',
  'Explain what this code does',
  'What are some best practices to save cost on my Google Cloud bill?',
  'Refactor this to use async/await',
  'Why does this query scan the whole table?',
  'Generate a Dockerfile for this service',
  'Convert this loop into a list comprehension',
  'How can I paginate results from this API?',
  'Add input validation to the handler',
];

const AGENT_PROMPTS: readonly string[] = [
  'hi can you add one test here',
  'fix the failing build in this module',
  'rename the Order type to PurchaseOrder everywhere',
  'add logging to the request handler',
  'upgrade this file to the new client API',
];

const THOUGHTS: readonly string[] = [
  '**Reading File Contents**\n\nI need the current contents of the file before changing it.\n\n\n',
  '**File Inspection Begins**\n\nMy immediate goal is to grasp the existing structure and identify the testing framework, if one exists.\n\n\n',
  '**Planning the Change**\n\nI will make the smallest edit that does what was asked and keep the style of the file.\n\n\n',
  '**Inserting the new test**\n\nI will use the `replace` command right before the closing brace of the function.\n\n\n',
];

export const FIRST_NAMES = [
  'alice',
  'bruno',
  'chen',
  'dana',
  'emeka',
  'fatima',
  'gustavo',
  'hana',
  'ivan',
  'julia',
  'kwame',
  'lena',
  'mateo',
  'nadia',
  'omar',
  'priya',
  'quentin',
  'rosa',
  'sven',
  'tomoko',
] as const;

export const LAST_NAMES = [
  'nguyen',
  'silva',
  'kowalski',
  'okafor',
  'haddad',
  'schmidt',
  'tanaka',
  'garcia',
  'ivanova',
  'martin',
  'osei',
  'rossi',
  'patel',
  'dubois',
  'larsen',
] as const;

const DIRS = ['src', 'internal/api', 'pkg/store', 'app/services', 'lib', 'cmd/server', 'tests'];
const FILE_NAMES = ['main', 'handler', 'orders', 'config', 'client', 'utils', 'server', 'models'];

/** `n` lines of plausible code in a language. */
export function codeLines(rng: Rng, language: SampleLanguage, n: number): string {
  const lines = CODE_LINES[language];
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(lines));
  return out.join('\n');
}

/** A path in a user's home, with the language's extension. */
export function filePath(rng: Rng, user: string, language: SampleLanguage): string {
  const home = user.split('@')[0] ?? 'dev';
  return `/home/${home}/code/${rng.pick(DIRS)}/${rng.pick(FILE_NAMES)}.${EXTENSIONS[language]}`;
}

export function chatPrompt(rng: Rng): string {
  return rng.pick(CHAT_PROMPTS);
}

export function agentPrompt(rng: Rng): string {
  return rng.pick(AGENT_PROMPTS);
}

export function thought(rng: Rng): string {
  return rng.pick(THOUGHTS);
}
