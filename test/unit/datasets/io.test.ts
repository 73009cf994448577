import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import { MAX_TEXT_CHARS } from '../../../core/store/datasets-schema.js';
import {
  commonPromptPrefix,
  DatasetImportError,
  exportRows,
  importIntoDataset,
  MAX_LINE_BYTES,
  parseImport,
  parseMessages,
  renderMessages,
} from '../../../core/store/datasets-io.js';
import { importRow, tempHome } from './fixtures.js';

const jsonl = (rows: unknown[]): string => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const std = (i: number) => ({ prompt: `p${i}`, chosen: `good ${i}`, rejected: `bad ${i}` });

describe('TRL import', () => {
  it('standard explicit: A = chosen, label a, source import, generated ids', () => {
    const { format, rows } = parseImport(jsonl([std(1), std(2)]), { idPrefix: 'x' });
    expect(format).toBe('trl-standard');
    expect(rows.map((r) => [r.id, r.prompt, r.label, r.chosen, r.rejected, r.responseA, r.responseB, r.source])).toEqual([
      ['x-1', 'p1', 'a', 'good 1', 'bad 1', 'good 1', 'bad 1', 'import'],
      ['x-2', 'p2', 'a', 'good 2', 'bad 2', 'good 2', 'bad 2', 'import'],
    ]);
  });

  it('standard implicit: the prompt is the common prefix, backed off before a space (as TRL does)', () => {
    expect(commonPromptPrefix('The sky is blue.', 'The sky is green.')).toBe('The sky is '.length - 1);
    const { format, rows } = parseImport(jsonl([{ chosen: 'Q: 1 + 1 = ?\nA: 2', rejected: 'Q: 1 + 1 = ?\nA: 3' }]));
    expect(format).toBe('trl-implicit');
    expect(rows[0]).toMatchObject({ prompt: 'Q: 1 + 1 = ?\nA:', chosen: ' 2', rejected: ' 3' });
  });

  it('conversational explicit and implicit, with ids', () => {
    const conv = {
      id: 'c1',
      prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What color is the sky?' }],
      chosen: [{ role: 'assistant', content: 'Blue.' }],
      rejected: [{ role: 'assistant', content: 'Green.' }],
    };
    const a = parseImport(jsonl([conv]));
    expect(a.format).toBe('trl-conversational');
    expect(a.rows[0]).toMatchObject({ id: 'c1', prompt: '<|system|>\nBe brief.\n<|user|>\nWhat color is the sky?', chosen: 'Blue.', rejected: 'Green.' });
    const implicit = { chosen: [...conv.prompt, ...conv.chosen], rejected: [...conv.prompt, ...conv.rejected] };
    const b = parseImport(jsonl([implicit]));
    expect(b.format).toBe('trl-conversational-implicit');
    expect(b.rows[0]!.prompt).toBe(a.rows[0]!.prompt);
    expect(exportRows(b.rows, 'trl-conversational-implicit').text).toBe(jsonl([implicit]));
    expect(exportRows(a.rows, 'trl-conversational').text).toBe(jsonl([{ prompt: conv.prompt, chosen: conv.chosen, rejected: conv.rejected }]));
  });

  it('messages render and parse back exactly, multi-line and empty contents included', () => {
    const msgs = [{ role: 'user', content: 'line one\nline two' }, { role: 'assistant', content: '' }, { role: 'user', content: 'x' }];
    expect(parseMessages(renderMessages(msgs), 'user')).toEqual(msgs);
    expect(parseMessages('plain text', 'assistant')).toEqual([{ role: 'assistant', content: 'plain text' }]);
  });
});

describe('malformed imports: each refused with its line and reason, nothing stored', () => {
  const big = 'y'.repeat(MAX_TEXT_CHARS + 1);
  const cases: [string, string, RegExp][] = [
    ['bad JSON', jsonl([std(1), std(2), '{"prompt": "p", "chosen": ']), /line 3: bad JSON/],
    ['missing field', jsonl([std(1), { prompt: 'p', chosen: 'c' }]), /line 2: .*(missing field "rejected"|no "chosen")/],
    ['extra field', jsonl([{ ...std(1), score: 3 }]), /line 1: unexpected field "score" for trl-standard/],
    ['wrong type', jsonl([std(1), { prompt: 'p', chosen: 5, rejected: 'r' }]), /line 2: "chosen" must be a string, got number/],
    ['empty string', jsonl([{ prompt: ' ', chosen: 'c', rejected: 'r' }]), /line 1: "prompt" must not be empty/],
    ['text over the cap', jsonl([{ prompt: 'p', chosen: big, rejected: 'r' }]), new RegExp(`line 1: "chosen" is ${MAX_TEXT_CHARS + 1} characters, over the cap`)],
    ['line over the cap', jsonl([{ prompt: 'p', chosen: 'z'.repeat(MAX_LINE_BYTES), rejected: 'r' }]), /line 1: line is \d+ bytes, over the cap of 262144/],
    ['duplicate id in the file', jsonl([{ id: 'a', ...std(1) }, { id: 'a', ...std(2) }]), /line 2: duplicate id "a" \(also on line 1\)/],
    ['duplicate id in the dataset', jsonl([{ id: 'r0', ...std(1) }]), /line 1: duplicate id "r0" \(already in the dataset\)/],
    ['bad id', jsonl([{ id: 'a b', ...std(1) }]), /line 1: "id" must be a string of letters/],
    ['mixed formats', jsonl([std(1), { chosen: 'c', rejected: 'r' }]), /line 2: is trl-implicit but line 1 is trl-standard/],
    ['not an object', jsonl([std(1), '[1, 2]']), /line 2: expected a JSON object, got an array/],
    ['blank line inside', `${JSON.stringify(std(1))}\n\n${JSON.stringify(std(2))}\n`, /line 2: empty line/],
    ['empty file', '', /line 1: the file has no rows/],
    ['unknown shape', jsonl([{ question: 'q', answer: 'a' }]), /line 1: no "chosen"\/"rejected" fields \(keys: question, answer\)/],
    ['bad message', jsonl([{ prompt: [{ role: 'user' }], chosen: [{ role: 'assistant', content: 'a' }], rejected: [{ role: 'Assistant', content: 'b' }] }]),
      /line 1: "prompt"\[0\].content must be a string; "rejected"\[0\].role must be a lower-case role name/],
    ['bad policylab row', jsonl([{ ...importRow(5), label: 'maybe' }]), /line 1: row.label: /],
    ['policylab row with chosen ≠ its label', jsonl([{ ...importRow(5), label: 'b' }]), /line 1: row.chosen: must equal responseB for label b/],
  ];

  it.each(cases)('%s', async (_name, text, expected) => {
    const home = tempHome();
    const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name: 'target' });
    await ds.addRows(id, [importRow(0)]);
    const before = await ds.read(id);
    const err = await importIntoDataset(ds, id, text).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetImportError);
    expect((err as Error).message).toMatch(/import refused, nothing was stored/);
    expect((err as Error).message).toMatch(expected);
    expect(await ds.read(id)).toEqual(before);
    await runs.close();
  });

  it('reports every bad line (the first 20) and the count', () => {
    const lines = Array.from({ length: 30 }, (_, i) => (i % 2 ? '{oops' : JSON.stringify(std(i))));
    try {
      parseImport(lines.join('\n'));
      expect.unreachable();
    } catch (e) {
      const err = e as DatasetImportError;
      expect(err.errorCount).toBe(15);
      expect(err.errors.map((x) => x.line)).toEqual(Array.from({ length: 15 }, (_, i) => 2 * i + 2));
    }
  });
});

describe('export', () => {
  const rows = [
    importRow(1),
    importRow(2, { label: 'b', chosen: 'bad 2', rejected: 'good 2' }),
    importRow(3, { label: 'tie', chosen: null, rejected: null }),
    importRow(4, { label: 'skip', chosen: null, rejected: null }),
  ];

  it('TRL formats write a/b rows only and count what had no room', () => {
    const out = exportRows(rows, 'trl-standard');
    expect(out).toMatchObject({ lines: 2, skipped: 2 });
    expect(out.text).toBe(jsonl([{ prompt: 'prompt 1', chosen: 'good 1', rejected: 'bad 1' }, { prompt: 'prompt 2', chosen: 'bad 2', rejected: 'good 2' }]));
    expect(exportRows(rows, 'trl-implicit').text.split('\n')[0]).toBe(JSON.stringify({ chosen: 'prompt 1good 1', rejected: 'prompt 1bad 1' }));
    expect(exportRows(rows, 'trl-unpaired').text).toBe(
      jsonl([
        { prompt: 'prompt 1', completion: 'good 1', label: true },
        { prompt: 'prompt 1', completion: 'bad 1', label: false },
        { prompt: 'prompt 2', completion: 'bad 2', label: true },
        { prompt: 'prompt 2', completion: 'good 2', label: false },
      ]),
    );
    expect(() => exportRows(rows, 'csv' as never)).toThrow(/unknown export format "csv"/);
  });

  it('policylab export re-imports to identical rows (ties and skips included); standard round-trips its pairs', () => {
    expect(parseImport(exportRows(rows, 'policylab').text).rows).toEqual(rows);
    const again = parseImport(exportRows(rows, 'trl-standard').text);
    expect(exportRows(again.rows, 'trl-standard').text).toBe(exportRows(rows, 'trl-standard').text);
  });
});
