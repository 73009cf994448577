/**
 * Import and export of preference datasets as JSONL in TRL's preference formats
 * (https://huggingface.co/docs/trl/dataset_formats), plus PolicyLab's own lossless row format.
 *
 * Import (one format per file, detected from the first line):
 *   trl-standard                  {"prompt": str, "chosen": str, "rejected": str}
 *   trl-implicit                  {"chosen": str, "rejected": str}      prompt = their common prefix (as TRL extracts it)
 *   trl-conversational            {"prompt": [msg], "chosen": [msg], "rejected": [msg]}   msg = {role, content}
 *   trl-conversational-implicit   {"chosen": [msg], "rejected": [msg]}  prompt = the common leading messages
 *   policylab                     full rows (every field of PreferenceRow; ties, skips and provenance kept)
 * TRL lines may carry an "id" (string); otherwise rows get `<import id>-<line>`. TRL rows become label 'a'
 * (A = chosen), source 'import'.
 * Every line is validated before anything is stored; any error refuses the whole file with a DatasetImportError
 * listing line numbers and what was wrong (bad JSON, missing/extra fields, wrong types, empty strings, lines over
 * MAX_LINE_BYTES or texts over MAX_TEXT_CHARS, duplicate ids, a line in another format than the first).
 *
 * Conversations are stored as text: each message as `<|role|>\n` + content, joined by `\n`; a single assistant
 * message as its content alone. Export parses that back, so conversational files round-trip exactly (unless a
 * content line itself looks like `<|role|>`).
 *
 * Export: the TRL formats above from rows labelled a/b (ties and skips have no room there and are left out, and
 * counted), `trl-unpaired` ({prompt, completion, label: bool}: two lines per pair), and `policylab` (all rows).
 */
import { randomBytes } from 'node:crypto';
import { StoreError } from './errors.js';
import { MAX_TEXT_CHARS, type PreferenceRow, PreferenceRowSchema, ROW_ID_PATTERN } from './datasets-schema.js';
import { describeZodError } from './schema.js';

export const IMPORT_FORMATS = ['trl-standard', 'trl-implicit', 'trl-conversational', 'trl-conversational-implicit', 'policylab'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const EXPORT_FORMATS = [...IMPORT_FORMATS, 'trl-unpaired'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Longest accepted line of an import file (bytes of UTF-8). */
export const MAX_LINE_BYTES = 256 * 1024;
/** At most this many line errors are listed in a refusal (the count says how many there were). */
export const MAX_REPORTED_ERRORS = 20;

export interface LineError {
  line: number;
  message: string;
}

/** A refused import: nothing was stored. `errors` lists the first MAX_REPORTED_ERRORS problems by line. */
export class DatasetImportError extends StoreError {
  constructor(
    readonly errors: LineError[],
    readonly errorCount: number,
  ) {
    const listed = errors.map((e) => `line ${e.line}: ${e.message}`).join('\n');
    const more = errorCount > errors.length ? `\n… and ${errorCount - errors.length} more` : '';
    super('INVALID_INPUT', `import refused, nothing was stored (${errorCount} error${errorCount === 1 ? '' : 's'}):\n${listed}${more}`);
  }
}

export interface Message {
  role: string;
  content: string;
}

const ROLE_LINE = /^<\|([a-z_]+)\|>$/;

/** Conversation → stored text (see the module comment). */
export function renderMessages(messages: Message[]): string {
  if (messages.length === 1 && messages[0]!.role === 'assistant') return messages[0]!.content;
  return messages.map((m) => `<|${m.role}|>\n${m.content}`).join('\n');
}

/** Stored text → conversation; text without role markers is one message of `defaultRole`. */
export function parseMessages(text: string, defaultRole: 'user' | 'assistant'): Message[] {
  const lines = text.split('\n');
  if (!ROLE_LINE.test(lines[0] ?? '')) return [{ role: defaultRole, content: text }];
  const out: { role: string; lines: string[] }[] = [];
  for (const line of lines) {
    const m = ROLE_LINE.exec(line);
    if (m) out.push({ role: m[1]!, lines: [] });
    else out[out.length - 1]!.lines.push(line);
  }
  return out.map((m) => ({ role: m.role, content: m.lines.join('\n') }));
}

/** TRL's extract_prompt for strings: the longest common prefix, backed off to before a space where it ends mid-word. */
export function commonPromptPrefix(chosen: string, rejected: string): number {
  const n = Math.min(chosen.length, rejected.length);
  let i = 0;
  while (i < n && chosen[i] === rejected[i]) i++;
  if (i === chosen.length && i === rejected.length) return i;
  if (i > 0 && chosen[i - 1] === ' ') i--;
  return i;
}

type Json = Record<string, unknown>;

function detectFormat(obj: Json): ImportFormat | string {
  if ('responseA' in obj || 'label' in obj || 'source' in obj) return 'policylab';
  const conv = Array.isArray(obj.chosen) || Array.isArray(obj.rejected) || Array.isArray(obj.prompt);
  if ('prompt' in obj) return conv ? 'trl-conversational' : 'trl-standard';
  if ('chosen' in obj || 'rejected' in obj) return conv ? 'trl-conversational-implicit' : 'trl-implicit';
  return `no "chosen"/"rejected" fields (keys: ${Object.keys(obj).join(', ') || 'none'})`;
}

const TRL_FIELDS: Record<Exclude<ImportFormat, 'policylab'>, string[]> = {
  'trl-standard': ['prompt', 'chosen', 'rejected'],
  'trl-implicit': ['chosen', 'rejected'],
  'trl-conversational': ['prompt', 'chosen', 'rejected'],
  'trl-conversational-implicit': ['chosen', 'rejected'],
};

function textField(obj: Json, key: string, problems: string[]): string {
  const v = obj[key];
  if (typeof v !== 'string') {
    problems.push(`"${key}" must be a string, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
    return '';
  }
  if (v.trim() === '') problems.push(`"${key}" must not be empty`);
  else if (v.length > MAX_TEXT_CHARS) problems.push(`"${key}" is ${v.length} characters, over the cap of ${MAX_TEXT_CHARS}`);
  return v;
}

function messagesField(obj: Json, key: string, problems: string[]): Message[] {
  const v = obj[key];
  if (!Array.isArray(v)) {
    problems.push(`"${key}" must be a list of {role, content} messages, got ${v === null ? 'null' : typeof v}`);
    return [];
  }
  if (v.length === 0) problems.push(`"${key}" must not be an empty list`);
  const out: Message[] = [];
  v.forEach((m: unknown, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      problems.push(`"${key}"[${i}] must be an object {role, content}`);
      return;
    }
    const msg = m as Json;
    const extra = Object.keys(msg).filter((k) => k !== 'role' && k !== 'content');
    if (extra.length) problems.push(`"${key}"[${i}] has unexpected field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`);
    if (typeof msg.role !== 'string' || !/^[a-z_]+$/.test(msg.role)) problems.push(`"${key}"[${i}].role must be a lower-case role name like "user"`);
    if (typeof msg.content !== 'string') problems.push(`"${key}"[${i}].content must be a string`);
    else if (msg.content.trim() === '') problems.push(`"${key}"[${i}].content must not be empty`);
    out.push({ role: String(msg.role), content: String(msg.content) });
  });
  return out;
}

function commonLeadingMessages(a: Message[], b: Message[]): number {
  let i = 0;
  while (i < a.length - 1 && i < b.length - 1 && a[i]!.role === b[i]!.role && a[i]!.content === b[i]!.content) i++;
  return i;
}

function trlRow(obj: Json, format: Exclude<ImportFormat, 'policylab'>, id: string): { row?: PreferenceRow; problems: string[] } {
  const problems: string[] = [];
  const allowed = new Set([...TRL_FIELDS[format], 'id']);
  const missing = TRL_FIELDS[format].filter((k) => !(k in obj));
  if (missing.length) problems.push(`missing field${missing.length > 1 ? 's' : ''} ${missing.map((k) => `"${k}"`).join(', ')}`);
  const extra = Object.keys(obj).filter((k) => !allowed.has(k));
  if (extra.length) problems.push(`unexpected field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')} for ${format}`);
  if (missing.length) return { problems };
  let prompt: string;
  let chosen: string;
  let rejected: string;
  if (format === 'trl-standard' || format === 'trl-implicit') {
    prompt = format === 'trl-standard' ? textField(obj, 'prompt', problems) : '';
    chosen = textField(obj, 'chosen', problems);
    rejected = textField(obj, 'rejected', problems);
    if (format === 'trl-implicit') {
      const cut = commonPromptPrefix(chosen, rejected);
      prompt = chosen.slice(0, cut);
      chosen = chosen.slice(cut);
      rejected = rejected.slice(cut);
    }
  } else {
    let p: Message[] = format === 'trl-conversational' ? messagesField(obj, 'prompt', problems) : [];
    let c = messagesField(obj, 'chosen', problems);
    let r = messagesField(obj, 'rejected', problems);
    if (format === 'trl-conversational-implicit') {
      const k = commonLeadingMessages(c, r);
      p = c.slice(0, k);
      c = c.slice(k);
      r = r.slice(k);
    }
    prompt = p.length ? renderMessages(p) : '';
    chosen = renderMessages(c);
    rejected = renderMessages(r);
  }
  if (problems.length) return { problems };
  const row = PreferenceRowSchema.safeParse({
    id,
    prompt,
    chosen,
    rejected,
    label: 'a',
    responseA: chosen,
    responseB: rejected,
    source: 'import',
    labeller: null,
    shownAt: null,
    answeredAt: null,
    modelRunId: null,
    checkpointStep: null,
    samplingParams: null,
    seed: null,
    note: '',
    edited: false,
  });
  if (!row.success) return { problems: [describeZodError(row.error, 'row')] };
  return { row: row.data, problems };
}

export interface ParseOptions {
  /** Ids already in the target dataset (rows, pending pairs, deleted rows): an import line may not reuse them. */
  existingIds?: ReadonlySet<string>;
  /** Prefix of generated row ids (default: a random one per import). */
  idPrefix?: string;
  /** Called every 1000 lines with (lines done, lines in all). */
  onProgress?: (done: number, total: number) => void;
}

export interface ParsedImport {
  format: ImportFormat;
  rows: PreferenceRow[];
}

/** Validates every line of a JSONL import; returns the rows, or throws DatasetImportError (nothing is stored). */
export function parseImport(text: string, options: ParseOptions = {}): ParsedImport {
  if (typeof text !== 'string') throw new StoreError('INVALID_INPUT', 'import text must be a string');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const prefix = options.idPrefix ?? `imp${randomBytes(3).toString('hex')}`;
  const errors: LineError[] = [];
  let errorCount = 0;
  const fail = (line: number, message: string): void => {
    errorCount++;
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, message });
  };
  const seen = new Map<string, number>();
  const rows: PreferenceRow[] = [];
  let format: ImportFormat | null = null;
  let firstLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    if (options.onProgress && i % 1000 === 0) options.onProgress(i, lines.length);
    if (raw.trim() === '') {
      fail(n, 'empty line');
      continue;
    }
    if (raw.length > MAX_LINE_BYTES / 4 && Buffer.byteLength(raw, 'utf8') > MAX_LINE_BYTES) {
      fail(n, `line is ${Buffer.byteLength(raw, 'utf8')} bytes, over the cap of ${MAX_LINE_BYTES}`);
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      fail(n, `bad JSON (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      fail(n, `expected a JSON object, got ${Array.isArray(obj) ? 'an array' : obj === null ? 'null' : typeof obj}`);
      continue;
    }
    const o = obj as Json;
    const lineFormat = detectFormat(o);
    if (!(IMPORT_FORMATS as readonly string[]).includes(lineFormat)) {
      fail(n, lineFormat);
      continue;
    }
    if (format === null) {
      format = lineFormat as ImportFormat;
      firstLine = n;
    } else if (lineFormat !== format) {
      fail(n, `is ${lineFormat} but line ${firstLine} is ${format} (one format per file)`);
      continue;
    }
    let id: string;
    if ('id' in o) {
      if (typeof o.id !== 'string' || !ROW_ID_PATTERN.test(o.id)) {
        fail(n, `"id" must be a string of letters, digits, "_", ".", ":" or "-" (at most 128), got ${JSON.stringify(o.id)}`);
        continue;
      }
      id = o.id;
    } else {
      id = `${prefix}-${n}`;
    }
    let row: PreferenceRow | undefined;
    if (format === 'policylab') {
      const parsed = PreferenceRowSchema.safeParse(o);
      if (!parsed.success) {
        fail(n, describeZodError(parsed.error, 'row'));
        continue;
      }
      row = parsed.data;
    } else {
      const r = trlRow(o, format, id);
      if (r.problems.length || !r.row) {
        fail(n, r.problems.join('; '));
        continue;
      }
      row = r.row;
    }
    const dupLine = seen.get(row.id);
    if (dupLine !== undefined) {
      fail(n, `duplicate id ${JSON.stringify(row.id)} (also on line ${dupLine})`);
      continue;
    }
    if (options.existingIds?.has(row.id)) {
      fail(n, `duplicate id ${JSON.stringify(row.id)} (already in the dataset)`);
      continue;
    }
    seen.set(row.id, n);
    rows.push(row);
  }
  options.onProgress?.(lines.length, lines.length);
  if (lines.length === 0) fail(1, 'the file has no rows');
  if (errorCount > 0) throw new DatasetImportError(errors, errorCount);
  return { format: format!, rows };
}

export interface ExportResult {
  text: string;
  /** Lines written. */
  lines: number;
  /** Rows left out because the format has no room for their label (ties and skips in TRL formats). */
  skipped: number;
}

/** Writes rows as JSONL in `format` (see the module comment). */
export function exportRows(rows: readonly PreferenceRow[], format: ExportFormat): ExportResult {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new StoreError('INVALID_INPUT', `unknown export format ${JSON.stringify(format)}; valid: ${EXPORT_FORMATS.join(', ')}`);
  }
  const out: string[] = [];
  let skipped = 0;
  for (const r of rows) {
    if (format === 'policylab') {
      out.push(JSON.stringify(r));
      continue;
    }
    if (r.chosen === null || r.rejected === null) {
      skipped++;
      continue;
    }
    switch (format) {
      case 'trl-standard':
        out.push(JSON.stringify({ prompt: r.prompt, chosen: r.chosen, rejected: r.rejected }));
        break;
      case 'trl-implicit':
        out.push(JSON.stringify({ chosen: r.prompt + r.chosen, rejected: r.prompt + r.rejected }));
        break;
      case 'trl-conversational':
        out.push(JSON.stringify({ prompt: parseMessages(r.prompt, 'user'), chosen: parseMessages(r.chosen, 'assistant'), rejected: parseMessages(r.rejected, 'assistant') }));
        break;
      case 'trl-conversational-implicit': {
        const p = r.prompt === '' ? [] : parseMessages(r.prompt, 'user');
        out.push(JSON.stringify({ chosen: [...p, ...parseMessages(r.chosen, 'assistant')], rejected: [...p, ...parseMessages(r.rejected, 'assistant')] }));
        break;
      }
      case 'trl-unpaired':
        out.push(JSON.stringify({ prompt: r.prompt, completion: r.chosen, label: true }));
        out.push(JSON.stringify({ prompt: r.prompt, completion: r.rejected, label: false }));
        break;
    }
  }
  return { text: out.length ? out.join('\n') + '\n' : '', lines: out.length, skipped };
}

export interface ImportResult {
  format: ImportFormat;
  imported: number;
  size: number;
}

/**
 * Validates `text` completely, then adds its rows to dataset `id` in one atomic write. Any error stores nothing.
 * (Ids are checked against the dataset as read first, and again under the lock by addRows.)
 */
export async function importIntoDataset(
  ds: import('./datasets.js').DatasetStore,
  id: string,
  text: string,
  options: Omit<ParseOptions, 'existingIds'> = {},
): Promise<ImportResult> {
  const existingIds = await ds.view(id, (d) => new Set<string>([...d.rows.map((r) => r.id), ...d.pending.map((p) => p.id), ...d.deleted.map((x) => x.row.id)]));
  const { format, rows } = parseImport(text, { ...options, existingIds });
  const size = await ds.addRows(id, rows);
  return { format, imported: rows.length, size };
}
