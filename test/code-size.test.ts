// Small units with one job each, enforced: no source file of a package (its src/, and the
// viewer's ui-assets/src/) over 350 lines, and no function over 80 lines unless the comment
// right above it says why it is long (a line starting `Long because`).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
export const MAX_FILE_LINES = 350;
export const MAX_FUNCTION_LINES = 80;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const packageSources = (): string[] => readdirSync(path.join(ROOT, 'packages')).flatMap((pkg) => [
  ...sourceFiles(path.join(ROOT, 'packages', pkg, 'src')),
  ...sourceFiles(path.join(ROOT, 'packages', pkg, 'ui-assets', 'src')),
]);

interface LongFunction { name: string; line: number; lines: number }

/** Functions (declarations, methods, arrows, expressions, constructors, accessors) longer than `max` lines with no `Long because` comment above. */
export function longFunctions(file: string, text: string, max = MAX_FUNCTION_LINES): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max && !explained(source, node)) found.push({ name: nameOf(node, source), line: start + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Whether a comment above the function (or above the statement that holds it) starts a line with `Long because`. */
function explained(source: ts.SourceFile, node: ts.Node): boolean {
  let holder: ts.Node = node;
  const holds = (n: ts.Node) => ts.isVariableDeclaration(n) || ts.isVariableDeclarationList(n) || ts.isVariableStatement(n)
    || ts.isPropertyAssignment(n) || ts.isPropertyDeclaration(n) || ts.isExportAssignment(n) || ts.isParenthesizedExpression(n);
  while (holder.parent && holds(holder.parent)) holder = holder.parent;
  const ranges = ts.getLeadingCommentRanges(source.text, holder.getFullStart()) ?? [];
  return ranges.some((r) => /^\s*(\/\/|\/?\*+)?\s*Long because\b/m.test(source.text.slice(r.pos, r.end)));
}

function nameOf(node: ts.SignatureDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

describe('code size: small files, short functions', () => {
  const files = packageSources();

  it(`no package source file is over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((f) => ({ file: path.relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_FILE_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    assert.deepEqual(long, []);
  });

  it(`no function in a package's sources is over ${MAX_FUNCTION_LINES} lines without a "Long because" comment`, () => {
    const long = files.flatMap((f) => longFunctions(f, readFileSync(f, 'utf8'))
      .map((fn) => `${path.relative(ROOT, f)}:${fn.line} ${fn.name}: ${fn.lines} lines`));
    assert.deepEqual(long, []);
  });

  it('the checks fire: a long function is found, and a "Long because" comment above it is accepted', () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    assert.deepEqual(longFunctions('probe.ts', `export function big(): void {\n${body}\n}\n`).map((f) => [f.name, f.lines]), [['big', MAX_FUNCTION_LINES + 2]]);
    assert.deepEqual(longFunctions('probe.ts', `const arrow = () => {\n${body}\n};\n`).map((f) => f.name), ['arrow']);
    assert.deepEqual(longFunctions('probe.ts', `// Long because it is one table.\nexport function big(): void {\n${body}\n}\n`), []);
    assert.deepEqual(longFunctions('probe.ts', `/**\n * Builds it.\n * Long because it is one table.\n */\nconst big = () => {\n${body}\n};\n`), []);
    assert.deepEqual(longFunctions('probe.ts', `// Builds it.\nexport function big(): void {\n${body}\n}\n`).map((f) => f.name), ['big']);
    assert.deepEqual(longFunctions('probe.ts', `export function small(): void {\n  return;\n}\n`), []);
  });
});
