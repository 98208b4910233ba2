// Writes corpus.jsonl: typical promptfoo `javascript` assertions, each with outputs (and
// vars), and the result node computes for them under promptfoo's rules
// (src/assertions/javascript.ts): how the value becomes a function body, what the function
// is called with, which return values are valid, and how pass and score follow from them.
//
//   node --expose-internals tests/data/javascript/make_corpus.mjs [OUT]
//
// OUT defaults to corpus.jsonl beside this script. `--expose-internals` gives node's own
// copy of acorn (the parser promptfoo uses to find the last top-level semicolon); with an
// `acorn` package installed the flag is not needed. evalkit's test suite checks that QuickJS
// agrees with every line, and re-runs this script when node is installed.

import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

function loadAcorn() {
  for (const name of ['acorn', 'internal/deps/acorn/acorn/dist/acorn']) {
    try {
      return require(name);
    } catch {
      // try the next one
    }
  }
  throw new Error('acorn not found: run node with --expose-internals, or npm install acorn');
}
const acorn = loadAcorn();

// ---- promptfoo's rules ------------------------------------------------------------------

// The last `;` at bracket depth 0 that some token follows, as promptfoo finds it with acorn.
function lastStatementSemicolon(code) {
  const prefix = 'function __assertion__() {\n';
  let depth = 0;
  let pending = -1;
  let last = -1;
  const onToken = (token) => {
    const start = token.start - prefix.length;
    if (start < 0 || start >= code.length || token.type === acorn.tokTypes.eof) return;
    const label = token.type.label;
    if (label === ';' && depth === 0) {
      pending = start;
      return;
    }
    last = pending;
    if (['(', '[', '{', '${'].includes(label)) depth++;
    else if ([')', ']', '}'].includes(label)) depth--;
  };
  try {
    acorn.parse(prefix + code + '\n}', { ecmaVersion: 'latest', onToken });
  } catch (error) {
    if (!(error instanceof SyntaxError) || last === -1) throw error;
    // promptfoo accepts a bare final object once `return` is put before it.
    const candidate = `${code.slice(0, last + 1)} return ${code.slice(last + 1).trim()}`;
    const tree = acorn.parse(prefix + candidate + '\n}', { ecmaVersion: 'latest' });
    const body = tree.body[0].body.body.filter((s) => s.type !== 'EmptyStatement');
    const final = body[body.length - 1];
    if (final?.type !== 'ReturnStatement' || !final.argument) throw error;
  }
  return last;
}

function functionBody(value) {
  const rendered = value.trimEnd();
  if (rendered.includes('\n')) return rendered;
  const trimmed = rendered.trim().replace(/;+\s*$/, '');
  if (/^(const|let|var)\s/.test(trimmed)) {
    const semi = lastStatementSemicolon(trimmed);
    if (semi !== -1 && trimmed.slice(semi + 1).trim()) {
      return `${trimmed.slice(0, semi + 1)} return ${trimmed.slice(semi + 1).trim()}`;
    }
    return trimmed;
  }
  return `return ${trimmed}`;
}

function isGradingResult(r) {
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.pass === 'boolean' &&
    typeof r.score === 'number' &&
    typeof r.reason === 'string' &&
    (typeof r.namedScores === 'undefined' || typeof r.namedScores === 'object') &&
    (typeof r.tokensUsed === 'undefined' || typeof r.tokensUsed === 'object') &&
    (typeof r.componentResults === 'undefined' || Array.isArray(r.componentResults)) &&
    (typeof r.assertion === 'undefined' || r.assertion === null || typeof r.assertion === 'object') &&
    (typeof r.comment === 'undefined' || typeof r.comment === 'string')
  );
}

async function promptfoo(entry, text) {
  const inverse = Boolean(entry.not);
  const output = entry.structured ? JSON.parse(text) : text;
  const vars = entry.vars ?? {};
  const context = { vars, test: { vars }, ...(entry.config ? { config: entry.config } : {}) };
  try {
    const fn = new Function('output', 'context', functionBody(entry.value));
    const result = await Promise.resolve(fn(output, context));
    if (typeof result === 'boolean') {
      const pass = result !== inverse;
      return { kind: 'boolean', pass, score: pass ? 1 : 0 };
    }
    if (typeof result === 'number' && Number.isFinite(result)) {
      const raw = entry.threshold === undefined ? result > 0 : result >= entry.threshold;
      return { kind: 'number', pass: raw !== inverse, score: result };
    }
    if (isGradingResult(result) && Number.isFinite(result.score)) {
      return { kind: 'object', pass: result.pass !== inverse, score: result.score };
    }
    throw new Error(`Custom function must return a boolean, a finite number, or a GradingResult object. Got type ${typeof result}.`);
  } catch (error) {
    return { kind: 'error', pass: false, score: 0, message: String(error?.message ?? error) };
  }
}

// ---- the corpus -------------------------------------------------------------------------
// Each entry: id, value (as written in promptfoo YAML), outputs, and optionally vars,
// threshold, not, config, structured (output is JSON.parse'd, as for a json_schema answer),
// message (true: the error is the user's own, and evalkit must report its text too).

const JSON_OK = '{"name": "Ada", "age": 36, "tags": ["math", "code"], "address": {"city": "London"}}';
const JSON_BAD = 'Sure! Here is the JSON: {"name": "Ada"}';

const ENTRIES = [
  // includes, case, starts/ends
  { id: 'includes', value: "output.includes('Paris')", outputs: ['The capital is Paris.', 'It is Lyon.'] },
  { id: 'includes-lower', value: "output.toLowerCase().includes('paris')", outputs: ['PARIS!', 'Rome'] },
  { id: 'not-includes', value: "!output.includes('As an AI')", outputs: ['Sure.', 'As an AI model, I cannot'] },
  { id: 'includes-both', value: "output.includes('red') && output.includes('blue')", outputs: ['red and blue', 'only red'] },
  { id: 'includes-either', value: "output.includes('yes') || output.includes('Yes')", outputs: ['Yes.', 'no'] },
  { id: 'starts-with', value: "output.trim().startsWith('Dear')", outputs: ['  Dear Ada,', 'Hi Ada'] },
  { id: 'ends-with', value: "output.trim().endsWith('?')", outputs: ['Is it?  ', 'It is.'] },
  { id: 'includes-var', value: 'output.includes(context.vars.name)', vars: { name: 'Ada' }, outputs: ['Hello Ada', 'Hello Bob'] },
  { id: 'includes-var-lower', value: 'output.toLowerCase().includes(context.vars.city.toLowerCase())', vars: { city: 'Berlin' }, outputs: ['berlin is big', 'munich'] },
  { id: 'not-prefix', value: "output.includes('sorry')", not: true, outputs: ['All good', 'I am sorry'] },
  { id: 'every-keyword', value: "['alpha', 'beta', 'gamma'].every(k => output.includes(k))", outputs: ['alpha beta gamma', 'alpha gamma'] },
  { id: 'some-keyword', value: "['refund', 'return', 'exchange'].some(k => output.toLowerCase().includes(k))", outputs: ['We offer a Refund', 'No.'] },
  { id: 'keywords-from-vars', value: 'context.vars.keywords.every(k => output.includes(k))', vars: { keywords: ['tea', 'milk'] }, outputs: ['tea with milk', 'tea only'] },
  // regular expressions
  { id: 'regex-test', value: '/\\d{3}-\\d{4}/.test(output)', outputs: ['Call 555-1234', 'Call me'] },
  { id: 'regex-count-g', value: '(output.match(/\\bthe\\b/gi) || []).length >= 2', outputs: ['The cat and the dog', 'A cat'] },
  { id: 'regex-count-score', value: '(output.match(/\\./g) || []).length / 10', threshold: 0.3, outputs: ['a. b. c. d.', 'a. b'] },
  { id: 'regex-no-match-null', value: 'output.match(/xyz/g).length > 0', outputs: ['abc'] },
  { id: 'regex-semicolon', value: 'const m = output.match(/a;b/g) || []; m.length === 1', outputs: ['x a;b y', 'a;b a;b'] },
  { id: 'regex-i-flag', value: '/^hello/i.test(output)', outputs: ['HELLO there', 'oh hello'] },
  { id: 'regex-lookbehind', value: '/(?<=\\$)\\d+/.test(output)', outputs: ['costs $40', 'costs 40'] },
  { id: 'regex-named-group', value: "output.match(/(?<year>\\d{4})/)?.groups?.year === '2024'", outputs: ['in 2024', 'in 2023', 'never'] },
  { id: 'regex-unicode-prop', value: '/\\p{Emoji_Presentation}/u.test(output)', outputs: ['great 🎉', 'great'] },
  { id: 'regex-replace-all', value: "output.replace(/\\s+/g, ' ').trim() === 'a b c'", outputs: ['a   b\n c ', 'a b'] },
  { id: 'regex-sticky-lastindex', value: "const re = /o/g; re.test(output); re.test(output)", outputs: ['foo', 'fo'] },
  // JSON
  { id: 'json-field', value: "JSON.parse(output).name === 'Ada'", outputs: [JSON_OK, '{"name": "Bob"}'] },
  { id: 'json-invalid-throws', value: "JSON.parse(output).name === 'Ada'", outputs: [JSON_BAD] },
  { id: 'json-optional-chaining', value: "JSON.parse(output)?.address?.city === 'London'", outputs: [JSON_OK, '{"name": "Ada"}'] },
  { id: 'json-nullish', value: "(JSON.parse(output).nickname ?? 'none') === 'none'", outputs: [JSON_OK, '{"nickname": "A"}'] },
  { id: 'json-array-length', value: 'JSON.parse(output).tags.length === 2', outputs: [JSON_OK, '{"tags": []}'] },
  { id: 'json-number-range', value: 'const d = JSON.parse(output); d.age >= 18 && d.age < 65', outputs: [JSON_OK, '{"age": 70}'] },
  { id: 'json-keys', value: "Object.keys(JSON.parse(output)).sort().join(',') === 'address,age,name,tags'", outputs: [JSON_OK, '{"a": 1}'] },
  { id: 'json-try-catch', value: 'try {\n  JSON.parse(output);\n  return true;\n} catch (e) {\n  return false;\n}', outputs: [JSON_OK, JSON_BAD] },
  { id: 'json-extract-braces', value: "const m = output.match(/\\{[\\s\\S]*\\}/); m !== null && JSON.parse(m[0]).name === 'Ada'", outputs: [JSON_BAD, 'no json'] },
  { id: 'json-typeof', value: "typeof JSON.parse(output).age === 'number'", outputs: [JSON_OK, '{"age": "36"}'] },
  { id: 'json-entries-filter', value: 'Object.entries(JSON.parse(output)).filter(([k, v]) => typeof v === "string").length', outputs: [JSON_OK, '{"a": 1}'] },
  { id: 'json-stringify-roundtrip', value: "JSON.stringify(JSON.parse(output)) === '{\"a\":1,\"b\":[true,null]}'", outputs: ['{ "a": 1, "b": [true, null] }', '{"b": [true, null], "a": 1}'] },
  { id: 'structured-field', value: "output.category === 'billing'", structured: true, outputs: ['{"category": "billing"}', '{"category": "technical"}'] },
  { id: 'structured-parse-fails', value: "JSON.parse(output).category === 'billing'", structured: true, outputs: ['{"category": "billing"}'] },
  { id: 'structured-array', value: 'output.items.filter(i => i.qty > 1).length === 1', structured: true, outputs: ['{"items": [{"qty": 2}, {"qty": 1}]}', '{"items": []}'] },
  // lengths, UTF-16, Unicode
  { id: 'length-max', value: 'output.length <= 20', outputs: ['short', 'this one is far too long for it'] },
  { id: 'length-emoji', value: 'output.length === 4', outputs: ['😀😀', 'abcd', 'é👍'] },
  { id: 'code-points', value: '[...output].length === 2', outputs: ['😀😀', 'abcd'] },
  { id: 'array-from-length', value: 'Array.from(output).length', threshold: 0.5, outputs: ['👍', ''] },
  { id: 'at-last', value: "output.trim().at(-1) === '.'", outputs: ['Done. ', 'Done'] },
  { id: 'at-emoji-surrogate', value: "output.at(-1) === '😀'", outputs: ['hi 😀'] },
  { id: 'upper-sharp-s', value: "output.toUpperCase() === 'STRASSE'", outputs: ['straße', 'strasse'] },
  { id: 'normalize-nfc', value: "output.normalize('NFC') === 'caf\\u00e9'", outputs: ['cafe\u0301', 'cafe'] },
  { id: 'code-point-at', value: 'output.codePointAt(0) > 0xffff', outputs: ['😀 hi', 'hi'] },
  { id: 'word-count', value: 'output.trim().split(/\\s+/).length <= 5', outputs: ['one two three', 'one two three four five six'] },
  { id: 'line-count', value: "output.split('\\n').filter(l => l.trim()).length === 3", outputs: ['a\nb\n\nc', 'a\nb'] },
  { id: 'sentence-score', value: 'Math.min(output.split(/[.!?]/).filter(s => s.trim()).length / 3, 1)', threshold: 0.6, outputs: ['One. Two! Three?', 'One.'] },
  { id: 'pad-start', value: "output.padStart(5, '0') === '00042'", outputs: ['42', '4242'] },
  { id: 'repeat-compare', value: "output === '-'.repeat(3)", outputs: ['---', '--'] },
  { id: 'sort-utf16', value: "[...output].sort().join('') === 'ABab'", outputs: ['baBA', 'abAB'] },
  { id: 'string-compare', value: "output > 'm'", outputs: ['zebra', 'apple', 'Zebra'] },
  // coercion
  { id: 'loose-equals-number', value: 'output == 42', outputs: ['42', ' 42 ', '42.0', 'forty-two'] },
  { id: 'strict-equals-number', value: 'output === 42', outputs: ['42'] },
  { id: 'loose-equals-empty', value: 'output == 0', outputs: ['', '0', ' ', 'a'] },
  { id: 'number-parse', value: 'Number(output) > 10', outputs: ['11', '9', '', 'abc'] },
  { id: 'parse-float', value: 'parseFloat(output) >= 3.5', outputs: ['3.7 stars', 'about 3', 'n/a'] },
  { id: 'parse-int-radix', value: 'parseInt(output, 16) === 255', outputs: ['ff', '0xff', 'zz'] },
  { id: 'string-number-compare', value: "'10' > '9'", outputs: ['any'] },
  { id: 'truthy-coercion', value: '!!output.trim()', outputs: ['x', '   '] },
  { id: 'plus-concat', value: "output + 1 === '11'", outputs: ['1', '2'] },
  { id: 'nan-compare', value: 'Number(output) !== Number(output)', outputs: ['abc', '5'] },
  // numbers as scores
  { id: 'score-ratio', value: 'output.length / 100', threshold: 0.5, outputs: ['x'.repeat(80), 'x'.repeat(20)] },
  { id: 'score-no-threshold-zero', value: "output.includes('a') ? 1 : 0", outputs: ['a', 'b'] },
  { id: 'score-no-threshold-positive', value: 'output.length / 1000', outputs: ['tiny', ''] },
  { id: 'score-above-one', value: 'Math.log(output.length) * 10', outputs: ['hello world', 'a'] },
  { id: 'score-negative', value: 'output.length - 10', outputs: ['abc', 'abcdefghijklmnop'] },
  { id: 'score-threshold-zero', value: 'output.length - 3', threshold: 0, outputs: ['abc', 'ab'] },
  { id: 'score-math-round', value: 'Math.round(output.length / 3) / 10', threshold: 0.2, outputs: ['abcdefg', 'ab'] },
  { id: 'score-max-min', value: 'Math.max(0, Math.min(1, (output.length - 10) / 10))', threshold: 0.5, outputs: ['x'.repeat(17), 'x'.repeat(12)] },
  { id: 'score-not', value: 'output.length / 10', threshold: 0.5, not: true, outputs: ['abcdefgh', 'ab'] },
  { id: 'score-nan', value: "parseFloat(output)", outputs: ['abc'] },
  { id: 'score-infinity', value: '1 / output.length', outputs: [''] },
  { id: 'score-from-var', value: 'output.length <= context.vars.max ? 1 : 0.25', threshold: 0.5, vars: { max: 10 }, outputs: ['short', 'much much longer'] },
  // grading-result objects
  { id: 'object-pass', value: "({ pass: output.includes('ok'), score: 0.9, reason: 'checked ok' })", outputs: ['ok', 'nope'] },
  { id: 'object-threshold-ignored', value: "({ pass: true, score: 0.1, reason: 'low but passing' })", threshold: 0.5, outputs: ['x'] },
  { id: 'object-score-above-one', value: "({ pass: true, score: 7, reason: 'seven' })", outputs: ['x'] },
  { id: 'object-missing-reason', value: '({ pass: true, score: 1 })', outputs: ['x'] },
  { id: 'object-pass-not-boolean', value: "({ pass: 1, score: 1, reason: 'r' })", outputs: ['x'] },
  { id: 'object-score-string', value: "({ pass: true, score: '1', reason: 'r' })", outputs: ['x'] },
  { id: 'object-score-nan', value: "({ pass: true, score: NaN, reason: 'r' })", outputs: ['x'] },
  { id: 'object-not', value: "({ pass: output === 'a', score: 0.5, reason: 'is a' })", not: true, outputs: ['a', 'b'] },
  { id: 'object-named-scores', value: "({ pass: true, score: 0.75, reason: 'x', namedScores: { fluency: 0.5 }, componentResults: [] })", outputs: ['x'] },
  { id: 'object-comment-null', value: "({ pass: true, score: 1, reason: 'x', comment: null })", outputs: ['x'] },
  { id: 'object-multiline', value: "const words = output.split(' ');\nconst ok = words.length < 5;\nreturn {\n  pass: ok,\n  score: ok ? 1 : 0,\n  reason: `${words.length} words`,\n};", outputs: ['a b c', 'a b c d e f'] },
  { id: 'object-after-declaration', value: "const n = output.length; {pass: n > 2, score: n / 10, reason: 'len'}", outputs: ['abcd', 'a'] },
  // function bodies, declarations
  { id: 'body-return', value: "const lower = output.toLowerCase();\nreturn lower.includes('thanks');", outputs: ['Thanks!', 'bye'] },
  { id: 'body-if', value: "if (output.length === 0) {\n  return false;\n}\nreturn output.split(',').length === 3;", outputs: ['a,b,c', '', 'a,b'] },
  { id: 'body-no-return', value: "output.includes('a') &&\n  output.includes('b')", outputs: ['ab'] },
  { id: 'body-loop', value: 'let vowels = 0;\nfor (const ch of output) {\n  if (\'aeiou\'.includes(ch)) vowels++;\n}\nreturn vowels >= 3;', outputs: ['education', 'rhythm'] },
  { id: 'body-function-decl', value: "function words(s) { return s.split(/\\s+/).filter(Boolean); }\nreturn words(output).length === 2;", outputs: ['hello world', 'hi'] },
  { id: 'body-yaml-block-trailing-newline', value: "output === 'true'\n", outputs: ['true', 'false'] },
  { id: 'decl-single-line', value: 'const s = JSON.parse(output).score; s > 0.5', outputs: ['{"score": 0.8}', '{"score": 0.2}'] },
  { id: 'decl-semicolon-in-string', value: "const s = output; s === 'a;b'", outputs: ['a;b', 'a'] },
  { id: 'decl-trailing-semicolons', value: "let n = output.length; n > 3;;", outputs: ['abcd', 'ab'] },
  { id: 'decl-two-statements', value: "var a = output.split(' '); var b = a.filter(w => w.length > 3); b.length", threshold: 0.5, outputs: ['tiny words only', 'a b c'] },
  { id: 'decl-no-final-expression', value: 'const x = output.length', outputs: ['abc'] },
  { id: 'decl-template-semicolon', value: 'const t = `${output};x`; t.endsWith(";x")', outputs: ['a'] },
  { id: 'decl-object-braces', value: "const o = { a: output.length, b: 'x;y' }; o.a > 2 && o.b.length === 3", outputs: ['abc', 'ab'] },
  { id: 'decl-split-semicolon', value: "let parts = output.split(';'); parts.length === 3", outputs: ['a;b;c', 'a;b'] },
  { id: 'decl-regex-class-semicolon', value: 'const r = /[;]/; r.test(output)', outputs: ['a;b', 'ab'] },
  { id: 'decl-arrow-body-semicolons', value: "const f = (x) => { const y = x.trim(); return y; }; f(output) === 'a'", outputs: [' a ', 'b'] },
  { id: 'decl-division-not-regex', value: 'const half = output.length / 2; half > 3 / 2', outputs: ['abcd', 'ab'] },
  { id: 'decl-template-nested', value: "const t = `${output.split(';').map(p => `<${p}>`).join('')}`; t === '<a><b>'", outputs: ['a;b', 'a'] },
  { id: 'decl-block-for-semicolons', value: 'let c = 0; for (let i = 0; i < output.length; i++) { c++; } c === output.length', outputs: ['abc'] },
  // template literals
  { id: 'template-compare', value: 'output === `Hello, ${context.vars.name}!`', vars: { name: 'Ada' }, outputs: ['Hello, Ada!', 'Hello, Bob!'] },
  { id: 'template-multiline', value: 'const expected = `line1\nline2`;\nreturn output === expected;', outputs: ['line1\nline2', 'line1 line2'] },
  // arrays, sets, reduce
  { id: 'array-unique', value: "new Set(output.split(',').map(s => s.trim())).size === output.split(',').length", outputs: ['a, b, c', 'a, b, a'] },
  { id: 'array-reduce-sum', value: "output.split('+').map(Number).reduce((a, b) => a + b, 0) === 10", outputs: ['1+2+3+4', '5+6'] },
  { id: 'array-sorted-numbers', value: "const n = output.split(',').map(Number); n.every((x, i) => i === 0 || n[i - 1] <= x)", outputs: ['1,2,10', '10,2,1'] },
  { id: 'array-default-sort', value: "output.split(',').sort().join(',') === '1,10,2'", outputs: ['2,10,1', '1,2,10'] },
  { id: 'array-find-index', value: "output.split(' ').findIndex(w => w === 'b') === 1", outputs: ['a b c', 'b a'] },
  { id: 'array-flat-includes', value: 'JSON.parse(output).flat(Infinity).includes(3)', outputs: ['[1, [2, [3]]]', '[1, 2]'] },
  { id: 'array-to-sorted', value: "JSON.parse(output).toSorted((a, b) => a - b)[0] === 1", outputs: ['[3, 1, 2]', '[3, 2]'] },
  { id: 'object-from-entries', value: "Object.fromEntries(output.split('&').map(p => p.split('='))).a === '1'", outputs: ['a=1&b=2', 'b=1'] },
  { id: 'array-map-includes', value: "JSON.parse(output).items.map(i => i.name).includes('tea')", outputs: ['{"items": [{"name": "tea"}]}', '{"items": []}'] },
  { id: 'string-search', value: "output.search(/[A-Z]/) === 0", outputs: ['Hello', 'hello'] },
  // Math
  { id: 'math-abs', value: 'Math.abs(Number(output) - 3.14) < 0.01', outputs: ['3.1415', '3.2'] },
  { id: 'math-floor-parity', value: 'Math.floor(Number(output)) % 2 === 0', outputs: ['4.7', '3.2'] },
  { id: 'to-fixed', value: "Number(output).toFixed(2) === '2.35'", outputs: ['2.345', '2.3449'] },
  { id: 'float-sum', value: '0.1 + 0.2 === Number(output)', outputs: ['0.30000000000000004', '0.3'] },
  // errors thrown
  { id: 'throw-explicit', value: "if (output.includes('secret')) {\n  throw new Error('leaked a secret');\n}\nreturn true;", outputs: ['all fine', 'the secret is 42'], message: true },
  { id: 'throw-single-line', value: "throw new Error('x')", outputs: ['x'] },
  { id: 'throw-string', value: "if (output) {\n  throw 'plain string';\n}\nreturn true;", outputs: ['x'] },
  { id: 'type-error-null', value: 'output.match(/zzz/)[0] === "z"', outputs: ['abc'] },
  { id: 'reference-error', value: 'undefinedVariable === 1', outputs: ['x'] },
  { id: 'syntax-error', value: "output.includes('a'", outputs: ['a'] },
  // other return values
  { id: 'return-string', value: "output.includes('a') ? 'yes' : 'no'", outputs: ['a'] },
  { id: 'return-undefined', value: 'undefined', outputs: ['x'] },
  { id: 'return-null', value: 'null', outputs: ['x'] },
  { id: 'return-array', value: "output.split(',')", outputs: ['a,b'] },
  { id: 'return-function', value: '() => true', outputs: ['x'] },
  // promises
  { id: 'promise-resolved', value: "Promise.resolve(output.includes('a'))", outputs: ['a', 'b'] },
  { id: 'promise-async-iife', value: "(async () => {\n  const words = await Promise.resolve(output.split(' '));\n  return words.length === 2;\n})()", outputs: ['a b', 'a'] },
  { id: 'promise-async-iife-return', value: "return (async () => {\n  const words = await Promise.resolve(output.split(' '));\n  return words.length === 2;\n})();", outputs: ['a b', 'a'] },
  { id: 'promise-then-chain', value: "Promise.resolve(output).then(s => s.trim()).then(s => s.length > 2)", outputs: [' abc ', ' a '] },
  { id: 'promise-rejected', value: "Promise.reject(new Error('nope'))", outputs: ['x'], message: true },
  // config
  { id: 'config-max', value: 'output.length <= context.config.maximumOutputSize', config: { maximumOutputSize: 10 }, outputs: ['short', 'very long output'] },
  // misc
  { id: 'ternary-chain', value: "output === 'a' ? true : output === 'b' ? false : output.length > 1", outputs: ['a', 'b', 'cc', 'c'] },
  { id: 'switch-body', value: "switch (output.trim()) {\n  case 'A':\n  case 'B':\n    return true;\n  default:\n    return false;\n}", outputs: ['A', ' B ', 'C'] },
  { id: 'encode-uri', value: "encodeURIComponent(output) === 'a%20b%26c'", outputs: ['a b&c', 'abc'] },
  { id: 'btoa', value: "btoa(output) === 'aGk='", outputs: ['hi', 'ho'] },
  { id: 'typeof-output', value: "typeof output === 'string'", outputs: ['anything'] },
  { id: 'includes-quote-chars', value: 'output.includes(\'"\') && output.includes("`")', outputs: ['a "quote" and `tick`', 'none'] },
  { id: 'vars-number', value: 'output.split(" ").length === context.vars.n', vars: { n: 3 }, outputs: ['a b c', 'a b'] },
  { id: 'vars-nested', value: 'output.includes(context.vars.user.name) && context.test.vars.user.age > 30', vars: { user: { name: 'Ada', age: 36 } }, outputs: ['Ada', 'Bob'] },
  { id: 'vars-missing', value: 'output.includes(context.vars.missing)', outputs: ['undefined here', 'nothing'] },
  { id: 'label-semicolons-in-comment', value: "const a = 1; // a; b\nreturn a === 1;", outputs: ['x'] },
];

// ---- write ------------------------------------------------------------------------------

const out = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'corpus.jsonl');
const lines = [];
for (const entry of ENTRIES) {
  for (const [index, output] of entry.outputs.entries()) {
    const expected = await promptfoo(entry, output);
    const line = {
      id: `${entry.id}#${index}`,
      value: entry.value,
      output,
      vars: entry.vars ?? {},
      threshold: entry.threshold ?? null,
      not: Boolean(entry.not),
      structured: Boolean(entry.structured),
      config: entry.config ?? null,
      same_message: Boolean(entry.message), // a user's own error text: evalkit must report it
      expected,
    };
    lines.push(JSON.stringify(line));
  }
}
writeFileSync(out, lines.join('\n') + '\n');
console.error(`${ENTRIES.length} assertions, ${lines.length} cases → ${out}`);
