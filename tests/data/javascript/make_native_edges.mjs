// Writes native_edges.jsonl: promptfoo `javascript` assertions of the shapes `evalkit import`
// maps to native evalkit checks (and near misses it must keep as JavaScript), on outputs
// chosen where JavaScript and Python differ (emoji, case mapping, JSON booleans and numbers,
// missing fields, line ends), with the verdict node computes under promptfoo's rules.
//
//   node tests/data/javascript/make_native_edges.mjs [OUT]
//
// Every value here is a one-line expression, so promptfoo's function body is `return` +
// the value (trailing semicolons dropped). `{{ name }}` is rendered as Nunjucks renders a
// plain variable: its text (String(value)). The importer's tests check that the imported
// suite's verdict agrees with every line, and re-run this script when node is installed.

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function render(value, vars) {
  return value.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name) => String(vars[name]));
}

function promptfoo(entry, text) {
  const inverse = Boolean(entry.not);
  const output = entry.structured ? JSON.parse(text) : text;
  const vars = entry.vars ?? {};
  const context = { vars, test: { vars } };
  try {
    const body = `return ${render(entry.value, vars).trim().replace(/;+\s*$/, '')}`;
    const result = new Function('output', 'context', body)(output, context);
    if (typeof result === 'boolean') {
      const pass = result !== inverse;
      return { kind: 'boolean', pass, score: pass ? 1 : 0 };
    }
    if (typeof result === 'number' && Number.isFinite(result)) {
      const raw = entry.threshold === undefined ? result > 0 : result >= entry.threshold;
      return { kind: 'number', pass: raw !== inverse, score: result };
    }
    throw new Error(`returned ${typeof result}`);
  } catch (error) {
    return { kind: 'error', pass: false, score: 0, message: String(error?.message ?? error) };
  }
}

// native: the check type the importer must write (null: it must stay JavaScript).
const ENTRIES = [
  { id: 'includes', value: "output.includes('Paris')", native: 'contains', outputs: ['😀 Paris', 'paris', ''] },
  { id: 'includes-empty', value: "output.includes('')", native: 'contains', outputs: ['', 'x'] },
  { id: 'includes-escapes', value: "output.includes('it\\'s \\u00e9\\n')", native: 'contains', outputs: ["it's é\n", "it's e"] },
  { id: 'includes-lower', value: "output.toLowerCase().includes('straße')", native: 'contains', outputs: ['STRASSE', 'Straße', 'STRAẞE'] },
  { id: 'includes-lower-dotted-i', value: "output.toLowerCase().includes('istanbul')", native: 'contains', outputs: ['İSTANBUL', 'ISTANBUL'] },
  { id: 'includes-lower-sigma', value: "output.toLowerCase().includes('σς')", native: 'contains', outputs: ['ΣΣ', 'ΣΣΣ'] },
  { id: 'includes-lower-capitals', value: "output.toLowerCase().includes('Paris')", native: null, outputs: ['Paris', 'PARIS'] },
  { id: 'includes-upper', value: "output.toUpperCase().includes('SS')", native: null, outputs: ['ß', 'ss'] },
  { id: 'includes-two-args', value: "output.includes('a', 1)", native: null, outputs: ['ab', 'ba'] },
  { id: 'not-includes-paren', value: "!(output.includes('sorry'))", native: 'contains', outputs: ['fine', 'sorry'] },
  { id: 'double-not', value: "!!output.includes('x')", native: 'contains', outputs: ['x', 'y'] },
  { id: 'not-javascript-includes', value: "output.includes('x')", not: true, native: 'contains', outputs: ['x', 'y'] },
  { id: 'threshold-on-boolean', value: "output.includes('a')", threshold: 0.5, native: 'contains', outputs: ['a', 'b'] },
  { id: 'starts-with', value: "output.startsWith('Dear')", native: 'starts_with', outputs: ['Dear Ada', ' Dear Ada', 'dear'] },
  { id: 'starts-with-lower', value: "output.toLowerCase().startsWith('dear')", native: 'starts_with', outputs: ['DEAR Ada', 'Hi'] },
  { id: 'ends-with', value: "output.endsWith('?')", native: 'regex', outputs: ['ok?', 'ok?\n', '?!'] },
  { id: 'ends-with-special', value: "output.endsWith('$1.00 (net)')", native: 'regex', outputs: ['costs $1.00 (net)', 'costs $1.00 net'] },
  { id: 'ends-with-lower', value: "output.toLowerCase().endsWith('ok')", native: null, outputs: ['OK', 'no'] },
  { id: 'equals-text', value: "output === 'yes'", native: 'equals', outputs: ['yes', 'yes\n', 'Yes'] },
  { id: 'equals-text-loose', value: "output == 'yes'", native: 'equals', outputs: ['yes', 'no'] },
  { id: 'equals-text-reversed', value: "'yes' === output", native: 'equals', outputs: ['yes', 'no'] },
  { id: 'not-equals-text', value: "output !== 'no'", native: 'equals', outputs: ['no', 'yes'] },
  { id: 'equals-text-number', value: 'output === 42', native: null, outputs: ['42'] },
  { id: 'equals-text-loose-number', value: 'output == 42', native: null, outputs: ['42', '43'] },
  { id: 'regex-digits', value: '/^\\d+$/.test(output)', native: 'regex', outputs: ['123', '123\n', '١٢٣'] },
  { id: 'regex-word-boundary', value: '/\\bcat\\b/.test(output)', native: 'regex', outputs: ['écat', 'cat!', 'cats'] },
  { id: 'regex-space', value: '/a\\sb/.test(output)', native: 'regex', outputs: ['a\u00a0b', 'a\u001cb', 'a\u3000b'] },
  { id: 'regex-dot-run', value: '/a.*b/.test(output)', native: 'regex', outputs: ['a😀b', 'a\rb', 'a\u2028b', 'ab'] },
  { id: 'regex-global', value: '/colou?r/g.test(output)', native: 'regex', outputs: ['color', 'colour', 'colr'] },
  { id: 'regex-class', value: '/[A-Z][a-z]+ [0-9]{2,}/.test(output)', native: 'regex', outputs: ['Room 101', 'room 101', 'Room 1'] },
  { id: 'regex-lone-dot', value: '/^a.b$/.test(output)', native: null, outputs: ['a😀b', 'axb'] },
  { id: 'regex-ignore-case', value: '/ottawa/i.test(output)', native: null, outputs: ['OTTAWA', 'Paris'] },
  { id: 'regex-negated-class', value: '/^[^a]$/.test(output)', native: null, outputs: ['😀', 'b'] },
  { id: 'json-string', value: "JSON.parse(output).a === 'x'", native: 'equals', outputs: ['{"a": "x"}', '{"a": "y"}', 'not json', '{"b": 1}', '["x"]', '"x"'] },
  { id: 'json-number', value: 'JSON.parse(output).n === 2', native: 'equals', outputs: ['{"n": 2}', '{"n": 2.0}', '{"n": "2"}', '{"n": true}'] },
  { id: 'json-negative', value: 'JSON.parse(output).n === -2.5', native: 'equals', outputs: ['{"n": -2.5}', '{"n": -25e-1}', '{"n": 2.5}'] },
  { id: 'json-one', value: 'JSON.parse(output).n === 1', native: null, outputs: ['{"n": true}', '{"n": 1}'] },
  { id: 'json-true', value: 'JSON.parse(output).ok === true', native: null, outputs: ['{"ok": 1}', '{"ok": true}'] },
  { id: 'json-big', value: 'JSON.parse(output).n === 9007199254740993', native: null, outputs: ['{"n": 9007199254740992}'] },
  { id: 'json-null', value: 'JSON.parse(output).a.b === null', native: 'equals', outputs: ['{"a": {"b": null}}', '{"a": {}}', '{"a": null}'] },
  { id: 'json-bracket', value: "JSON.parse(output)['first name'] === 'Ada'", native: 'equals', outputs: ['{"first name": "Ada"}', '{"first": "Ada"}'] },
  { id: 'json-optional', value: "JSON.parse(output)?.a?.b === 'x'", native: 'equals', outputs: ['{"a": null}', '{"a": {"b": "x"}}'] },
  { id: 'json-length', value: 'JSON.parse(output).length === 2', native: null, outputs: ['[1, 2]', '{"length": 2}'] },
  { id: 'json-index', value: "JSON.parse(output).a[0] === 'x'", native: null, outputs: ['{"a": "xyz"}', '{"a": ["x"]}', '{"a": {"0": "x"}}'] },
  { id: 'json-digit-key', value: "JSON.parse(output)['0'] === 'x'", native: null, outputs: ['["x"]', '{"0": "x"}'] },
  { id: 'json-not-equal', value: "JSON.parse(output).a !== 'x'", native: null, outputs: ['{"b": 1}', '{"a": "x"}'] },
  { id: 'json-negated', value: "JSON.parse(output).a === 'x'", not: true, native: null, outputs: ['{"b": 1}', '{"a": "x"}'] },
  { id: 'json-double-negation', value: "!(JSON.parse(output).a !== 'x')", native: 'equals', outputs: ['{"b": 1}', '{"a": "x"}', '{"a": "y"}'] },
  { id: 'json-not-not-equal', value: "JSON.parse(output).a !== 'x'", not: true, native: 'equals', outputs: ['{"b": 1}', '{"a": "x"}'] },
  { id: 'json-loose', value: "JSON.parse(output).a == '2'", native: null, outputs: ['{"a": 2}', '{"a": "2"}'] },
  { id: 'length', value: 'output.length < 5', native: null, outputs: ['😀😀😀', 'abcd', 'abcde'] },
  { id: 'structured-field', value: "output.category === 'billing'", structured: true, native: 'equals', outputs: ['{"category": "billing"}', '{"category": "other"}', '{}'] },
  { id: 'structured-nested', value: "output.customer.tier === 'gold'", structured: true, native: 'equals', outputs: ['{"customer": {"tier": "gold"}}', '{"customer": null}'] },
  { id: 'structured-text', value: "output === 'billing'", structured: true, native: null, outputs: ['"billing"', '{"a": 1}'] },
  { id: 'template-string', value: "output.includes('{{ city }}')", vars: { city: 'Paris' }, native: 'contains', outputs: ['Paris!', 'Rome'] },
  { id: 'template-partial', value: "output === 'Dear {{ name }}!'", vars: { name: 'Ada' }, native: 'equals', outputs: ['Dear Ada!', 'Dear Bob!'] },
  { id: 'template-number', value: 'output.length <= {{ max }}', vars: { max: 5 }, native: null, outputs: ['abcde', 'abcdef'] },
  { id: 'template-number-in-string', value: "output.includes('{{ n }}')", vars: { n: 42 }, native: null, outputs: ['the answer is 42', '24'] },
  { id: 'template-bool', value: 'output.includes("x") === {{ want }}', vars: { want: false }, native: null, outputs: ['x', 'y'] },
  { id: 'template-backtick', value: 'output === `Hi {{ name }}`', vars: { name: 'Ada' }, native: null, outputs: ['Hi Ada', 'Hi'] },
];

const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'native_edges.jsonl');
const lines = [];
for (const entry of ENTRIES) {
  for (const [index, output] of entry.outputs.entries()) {
    lines.push(
      JSON.stringify({
        id: `${entry.id}#${index}`,
        value: entry.value,
        output,
        vars: entry.vars ?? {},
        threshold: entry.threshold ?? null,
        not: Boolean(entry.not),
        structured: Boolean(entry.structured),
        config: null,
        native: entry.native,
        expected: promptfoo(entry, output),
      }),
    );
  }
}
writeFileSync(out, lines.join('\n') + '\n');
