// The program split by command (scripts/build.mjs). V8 scans every byte of a script it compiles, and
// the code cache of one script holds the top level of every module in it: as one chunk, a
// one-statement lint compiled all 297 KB of the program and read a 238 KB cache at every run. Now
// a run compiles the code its command loads, in a few chunks (docs/performance.md):
//
// 1. The command table the program starts from is generated from the declarations, each handler
//    behind a dynamic import of its command's file (commandTable).
// 2. esbuild's code splitting (ES modules only) puts each command's code, and each set of modules
//    several commands share, in a part of its own; the lazily compiled libraries (undici, yargs, …)
//    stay outside, as imports the loader satisfies.
// 3. Each part becomes a CommonJS function body (commonJsPart): its imports of other parts and of
//    the libraries read from the loader's __civctlLoad, its exports module.exports.
// 4. The parts are grouped into a few chunks by which commands load them (groupParts): one script,
//    one code cache per chunk and command, however many parts esbuild made.
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { runInNewContext, Script } from 'node:vm';
import { build } from 'esbuild';
import ts from 'typescript';
import { tsImport } from 'tsx/esm/api';

const COMMANDS_DIR = new URL('../src/commands/', import.meta.url);

/**
 * src/commands/index.ts as the bundle has it: the same declarations in the same order, as data,
 * each `run` importing its command's file when it is called. A declaration must be plain data (it
 * is written out as JSON): the build fails on anything JSON would change.
 */
async function commandTable() {
  const { COMMANDS } = await tsImport(new URL('index.ts', COMMANDS_DIR).href, import.meta.url);
  /** name → [file, export, declaration] of the command's own file. */
  const homes = new Map();
  /** Each command's declaration split in two (withoutHelp), to write and check the help module. */
  const split = [];
  for (const file of readdirSync(COMMANDS_DIR)) {
    if (!file.endsWith('.ts') || file === 'index.ts') continue;
    const module = await tsImport(new URL(file, COMMANDS_DIR).href, import.meta.url);
    for (const [exported, value] of Object.entries(module))
      if (
        value &&
        typeof value === 'object' &&
        typeof value.run === 'function' &&
        typeof value.name === 'string'
      )
        homes.set(value.name, [file, exported, value]);
  }
  /** The command files whose commands talk to a registry. */
  const registryFiles = new Set();
  const entries = COMMANDS.map((spec) => {
    const home = homes.get(spec.name);
    if (!home) throw new Error(`no file in src/commands exports the declaration of ${spec.name}`);
    const { run: _run, ...declaration } = spec;
    const json = JSON.stringify(declaration);
    if (!isDeepStrictEqual(JSON.parse(json), declaration))
      throw new Error(`the declaration of ${spec.name} is not plain data; the split build writes it as JSON`);
    const [file, exported, own] = home;
    // The bundle calls the command file's own run: the table must hold it unchanged.
    const { run: ownRun, ...ownDeclaration } = own;
    if (String(ownRun) !== String(spec.run) || !isDeepStrictEqual(ownDeclaration, declaration))
      throw new Error(
        `src/commands/index.ts changes the declaration of ${spec.name} from ${file}'s ${exported}`,
      );
    if ((spec.talksTo ?? ['registry']).includes('registry')) registryFiles.add(file.slice(0, -'.ts'.length));
    const { lean, texts } = withoutHelp(declaration);
    split.push({ name: spec.name, lean, texts, declaration });
    return `{ ...${JSON.stringify(lean)}, run: (args, ctx) => import(${JSON.stringify(`./${file}`)}).then((m) => m.${exported}.run(args, ctx)) }`;
  });
  const table = [
    `import type { CommandSpec } from '../cli/spec.ts';`,
    `export const COMMANDS: readonly CommandSpec[] = [\n${entries.join(',\n')}\n];`,
    `export const commandsWithHelp = (): Promise<readonly CommandSpec[]> =>`,
    `  import(${JSON.stringify(HELP_TEXTS)}).then((m) => COMMANDS.map((spec, i) => m.withHelp(spec, m.TEXTS[i])));`,
  ].join('\n');
  const helpCode = `const TEXTS = ${JSON.stringify(split.map((c) => c.texts))};\nconst withHelp = ${String(withHelp)};\n`;
  // What ships, run here: every declaration must come back whole from its lean form (as JSON
  // writes it) and its texts.
  const shipped = runInNewContext(`${helpCode}({ TEXTS, withHelp })`);
  split.forEach(({ name, lean, declaration }, i) => {
    const whole = shipped.withHelp(JSON.parse(JSON.stringify(lean)), shipped.TEXTS[i]);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(whole)), declaration))
      throw new Error(`the declaration of ${name} does not come back whole from its help texts`);
  });
  const help = `${helpCode}export { TEXTS, withHelp };\n`;
  return { table, help, registryFiles };
}

/**
 * The help texts (describe, examples) are read only by the full parser (help, completion), which
 * loads yargs anyway: the bundle's table leaves them out, so that a run does not compile all
 * fourteen commands' texts (15 of the table's 20.6 KB; a command's own chunk still holds its own
 * declaration, whose run the table calls), and keeps them in a module of their own, which lands
 * with the full parser in program-usage. withHelp puts them back; it is written into that module
 * as it is here, and the build runs that module's text on every declaration.
 */
const HELP_TEXTS = 'civctl:help-texts';

function withoutHelp({ describe, examples, positionals, options, ...rest }) {
  const lean = {
    ...rest,
    positionals: positionals.map(({ describe: _, ...p }) => p),
    options: Object.fromEntries(Object.entries(options).map(([k, { describe: _, ...o }]) => [k, o])),
  };
  const texts = {
    describe,
    examples,
    positionals: positionals.map((p) => p.describe),
    options: Object.fromEntries(Object.entries(options).map(([k, o]) => [k, o.describe])),
  };
  return { lean, texts };
}

function withHelp(spec, texts) {
  return {
    ...spec,
    describe: texts.describe,
    examples: texts.examples,
    positionals: spec.positionals.map((p, i) => ({ ...p, describe: texts.positionals[i] })),
    options: Object.fromEntries(
      Object.entries(spec.options).map(([k, o]) => [k, { ...o, describe: texts.options[k] }]),
    ),
  };
}

const quoted = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The program as chunks for the loader: `chunks` (name → a CommonJS function body), `parts`
 * (part → the chunk that holds it; `main` is the program's entry), and `compressible`: the chunks
 * runs load only on demand, and help's. `libraries` maps each import
 * specifier of a lazily compiled library to its chunk (undici, yargs, …); `options` are esbuild's.
 */
export async function splitProgram(options, libraries) {
  const { table, help, registryFiles } = await commandTable();
  const specifiers = new RegExp(`^(${Object.keys(libraries).map(quoted).join('|')})$`);
  const result = await build({
    ...options,
    format: 'esm',
    splitting: true,
    metafile: true,
    outdir: 'dist/.split',
    entryNames: '[name]',
    chunkNames: 'shared-[hash]',
    entryPoints: ['src/bin.ts'],
    plugins: [
      {
        name: 'command-table',
        setup(b) {
          b.onLoad({ filter: /[\\/]src[\\/]commands[\\/]index\.ts$/ }, () => ({
            contents: table,
            loader: 'ts',
          }));
          b.onResolve({ filter: new RegExp(`^${quoted(HELP_TEXTS)}$`) }, () => ({
            path: 'help-texts',
            namespace: 'civctl-help',
          }));
          b.onLoad({ filter: /.*/, namespace: 'civctl-help' }, () => ({ contents: help, loader: 'js' }));
        },
      },
      {
        name: 'libraries',
        setup(b) {
          b.onResolve({ filter: specifiers }, (args) => ({ path: args.path, external: true }));
        },
      },
      ...(options.plugins ?? []),
    ],
  });
  checkNoLateExports(Object.keys(result.metafile.inputs));
  const base = (path) => path.slice(path.lastIndexOf('/') + 1, -'.js'.length);
  const partName = (file) => (file === 'bin' ? 'main' : file);
  /** part → its imports of other parts (static ones: loaded with it), and which command file it is. */
  const graph = new Map();
  /** output file → what esbuild says it imports, to check the text rewriting found exactly these. */
  const importsOf = new Map();
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    if (!path.endsWith('.js')) continue;
    const entry = output.entryPoint?.match(/src\/commands\/([\w-]+)\.ts$/)?.[1];
    graph.set(partName(base(path)), {
      command: entry,
      imports: output.imports
        .filter((i) => !i.external)
        .map((i) => ({ part: partName(base(i.path)), dynamic: i.kind === 'dynamic-import' })),
    });
    importsOf.set(
      base(path),
      output.imports.map((i) => `${i.kind} ${i.external ? i.path : `./${base(i.path)}.js`}`),
    );
  }
  const chunkOf = groupParts(graph, registryFiles);
  const bodies = {};
  for (const file of result.outputFiles) {
    const name = base(file.path);
    bodies[partName(name)] = commonJsPart(name, file.text, libraries, partName, importsOf.get(name) ?? []);
  }
  const chunks = {};
  for (const [chunk, parts] of Object.entries(invert(chunkOf)))
    chunks[chunk] = groupSource(
      parts.map((p) => [p, bodies[p]]),
      chunk !== LAZY,
    );
  // What runs load only on demand, and help (which loads yargs, compressed, and so node:zlib,
  // anyway): stored compressed, so that every run reads less. The others are stored as they are:
  // a run that needs one would otherwise pay for node:zlib (about 5 ms) to save reading it.
  const compressible = [LAZY, 'program-usage'].filter((chunk) => chunk in chunks);
  return { chunks, parts: Object.fromEntries(chunkOf), compressible };
}

const LAZY = 'program-lazy';

/**
 * A part reads what it imports once (commonJsPart), after the part it comes from has run to its
 * end: the same as an ES module's live binding unless the exporting module assigns the variable
 * again later, from a function. The build fails on any module of the program that assigns one of
 * its exported bindings inside a function (TypeScript's parser; an assignment at the top level,
 * as a compiled TypeScript enum makes, happens before anything imports it). A local variable of
 * the same name inside a function counts too: the check errs on the side of failing.
 */
function checkNoLateExports(inputs) {
  const isFunction = (node) =>
    ts.isFunctionLike(node) && !ts.isCallSignatureDeclaration(node) && !ts.isMethodSignature(node);
  for (const input of inputs) {
    if (!/\.(ts|js|mjs)$/.test(input)) continue;
    const text = readFileSync(input, 'utf8');
    if (!/\bexport\b/.test(text)) continue;
    const file = ts.createSourceFile(input, text, ts.ScriptTarget.Latest, true);
    /** The module's own names of its exported bindings. */
    const exported = new Set();
    for (const statement of file.statements) {
      const exporting = ts.getModifiers?.(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exporting && ts.isVariableStatement(statement))
        for (const declaration of statement.declarationList.declarations)
          for (const name of boundNames(declaration.name)) exported.add(name);
      else if (
        exporting &&
        (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
        statement.name
      )
        exported.add(statement.name.text);
      else if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause)
        for (const element of statement.exportClause.elements ?? [])
          exported.add((element.propertyName ?? element.name).text);
    }
    if (exported.size === 0) continue;
    const late = new Set();
    const assigned = (target) => {
      for (const name of boundNames(target)) if (exported.has(name)) late.add(name);
    };
    const visit = (node, inFunction) => {
      if (inFunction) {
        if (
          ts.isBinaryExpression(node) &&
          node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
          node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
        )
          assigned(node.left);
        if (
          (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
          (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
        )
          assigned(node.operand);
      }
      ts.forEachChild(node, (child) => visit(child, inFunction || isFunction(node)));
    };
    visit(file, false);
    if (late.size > 0)
      throw new Error(
        `${input} assigns its exported ${[...late].join(', ')} inside a function: the split program reads imports once (scripts/program-split.mjs)`,
      );
  }
}

/** The names a binding or an assignment target names (identifiers, destructuring). */
function boundNames(node) {
  if (ts.isIdentifier(node)) return [node.text];
  if (ts.isParenthesizedExpression(node)) return boundNames(node.expression);
  if (ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node))
    return node.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : boundNames(e.name)));
  if (ts.isArrayLiteralExpression(node))
    return node.elements.flatMap((e) => boundNames(ts.isSpreadElement(e) ? e.expression : e));
  if (ts.isObjectLiteralExpression(node))
    return node.properties.flatMap((p) =>
      ts.isShorthandPropertyAssignment(p)
        ? [p.name.text]
        : ts.isPropertyAssignment(p)
          ? boundNames(p.initializer)
          : ts.isSpreadAssignment(p)
            ? boundNames(p.expression)
            : [],
    );
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    return boundNames(node.left);
  return [];
}

/**
 * Which chunk holds each part, by the command files that load it (static imports) or may (dynamic
 * ones, when a run needs them):
 * - `program`: the entry and what it imports, and what every command file but at most one may
 *   load (the API client, the policy basics): every run of a command needs it.
 * - `program-<file>`: what only that command file loads when it starts.
 * - `program-images`: what several commands that talk to registries, and no other, load when they
 *   start (the image commands: resolve, digests, check, audit).
 * - `program-shared`: what several command files load when they start.
 * - `program-lazy`: what command files load only when a run needs it (a registry client, fleet
 *   formats, the simulator's server).
 * - `program-usage`: what no command loads: the full command-line parser (help, usage errors).
 */
function groupParts(graph, registryFiles) {
  checkAcyclic(graph);
  const closure = (start, dynamic) => {
    const seen = new Set([start]);
    const todo = [start];
    while (todo.length > 0)
      for (const i of graph.get(todo.pop()).imports)
        if ((dynamic || !i.dynamic) && !seen.has(i.part)) {
          seen.add(i.part);
          todo.push(i.part);
        }
    return seen;
  };
  const commands = [...graph].filter(([, node]) => node.command).map(([part, node]) => [node.command, part]);
  const atStart = new Map();
  const mayLoad = new Map();
  for (const [command, part] of commands) {
    for (const p of closure(part, false)) atStart.set(p, [...(atStart.get(p) ?? []), command]);
    for (const p of closure(part, true)) mayLoad.set(p, [...(mayLoad.get(p) ?? []), command]);
  }
  const chunkOf = new Map();
  for (const p of closure('main', false)) chunkOf.set(p, 'program');
  for (const part of graph.keys()) {
    if (chunkOf.has(part)) continue;
    const starting = atStart.get(part) ?? [];
    if ((mayLoad.get(part) ?? []).length >= commands.length - 1) chunkOf.set(part, 'program');
    else if (starting.length === 1) chunkOf.set(part, `program-${starting[0]}`);
    else if (starting.length > 1)
      chunkOf.set(part, starting.every((c) => registryFiles.has(c)) ? 'program-images' : 'program-shared');
    else if (mayLoad.has(part)) chunkOf.set(part, LAZY);
    else chunkOf.set(part, 'program-usage');
  }
  return chunkOf;
}

/**
 * A part reads its imports once, when it runs, after the parts it imports have run to their end:
 * which needs the static imports between parts to have no cycle (esbuild's chunks import towards
 * code more commands share, so they have none).
 */
function checkAcyclic(graph) {
  const state = new Map(); // part → 'open' while its imports are walked, then 'done'
  const visit = (part, path) => {
    if (state.get(part) === 'done') return;
    if (state.get(part) === 'open')
      throw new Error(`the parts import each other in a cycle: ${[...path, part].join(' → ')}`);
    state.set(part, 'open');
    for (const i of graph.get(part).imports) if (!i.dynamic) visit(i.part, [...path, part]);
    state.set(part, 'done');
  };
  for (const part of graph.keys()) visit(part, []);
}

function invert(map) {
  const out = {};
  for (const [key, value] of map) out[value] = [...(out[value] ?? []), key];
  return out;
}

/**
 * A chunk's body: its parts as functions the loader runs when a part is first loaded. Parts that
 * most runs of the chunk run are parenthesised, which V8 takes as a sign to compile them with the
 * chunk instead of scanning them now and again when they are called.
 */
function groupSource(parts, eager) {
  const open = eager ? '(function' : 'function';
  const close = eager ? '\n})' : '\n}';
  // ES modules are strict code: so is every part (the chunk's function holds them all).
  return `"use strict";module.exports={${parts
    .map(([name, body]) => `${JSON.stringify(name)}:${open}(module,exports){${body}${close}`)
    .join(',')}};`;
}

/**
 * A part as a CommonJS function body. esbuild's ES module chunks have one shape: import statements
 * (`import{a as b}from"./x.js";`, `import"./x.js";`, `import c from"node:os";`), the code, and one
 * `export{d as e};` at the end. Each import becomes a variable read from what the loader (another
 * part, a library chunk) or Node (a built-in) gives, and the export the part's module.exports.
 * Imports are read once, after the part they come from has run to its end (parts import each other
 * without cycles), which is what ES modules give unless an exported variable is assigned later:
 * the build fails on a module that exports one (checkNoLateExports). esbuild's own conversion to CommonJS
 * keeps the live bindings with a getter per export and repeats its helpers in every part, which
 * made each chunk's code cache larger than the single program's was.
 */
function commonJsPart(file, text, libraries, partName, expected) {
  const found = [];
  const load = (specifier) => {
    if (Object.hasOwn(libraries, specifier)) return `__civctlLoad(${JSON.stringify(libraries[specifier])})`;
    if (/^\.\/[\w-]+\.js$/.test(specifier))
      return `__civctlLoad(${JSON.stringify(partName(specifier.slice(2, -3)))})`;
    if (specifier.startsWith('.'))
      throw new Error(`part ${file} imports ${specifier}, which is neither a part nor a library`);
    return `require(${JSON.stringify(specifier)})`;
  };
  // esbuild writes the imports of a part first and those of a built-in where its module starts;
  // ES modules run every import before their code, so all of them go first.
  let body = '';
  let code = text.replace(
    /(?<![\w$.])import\s*(?:\{([^}]*)\}\s*from|([\w$]+)\s+from|)\s*"([^"]+)";/g,
    (_, names, defaultName, specifier) => {
      found.push(`import-statement ${specifier}`);
      if (names !== undefined)
        body += `var{${names.replace(/([\w$]+) as ([\w$]+)/g, '$1:$2')}}=${load(specifier)};`;
      else if (defaultName !== undefined)
        body += `var ${defaultName}=${load(specifier)}${Object.hasOwn(libraries, specifier) ? '.default' : ''};`;
      else body += `${load(specifier)};`;
      return '';
    },
  );
  const exported = /export\{([^}]*)\};?\s*$/.exec(code);
  if (exported) {
    const members = exported[1].replace(/([\w$]+) as ([\w$]+)/g, '$2:$1');
    code = `${code.slice(0, exported.index)}module.exports={${members}};`;
  }
  // Node runs import() in CommonJS, so the dynamic imports are left for the loader to answer.
  code = code.replace(/(?<![\w$.])import\("([^"]+)"\)/g, (_, specifier) => {
    found.push(`dynamic-import ${specifier}`);
    return `Promise.resolve().then(()=>${load(specifier)})`;
  });
  // The rewriting reads text: a string that spelled an import would be rewritten too. It must have
  // found exactly the imports esbuild made, no more.
  if (found.sort().join('\n') !== [...expected].sort().join('\n'))
    throw new Error(
      `part ${file}: the imports found in its text are not the ones esbuild reports (${found.length} found, ${expected.length} reported)`,
    );
  const out = body + code;
  // What is left of an import or an export is a syntax error in a script.
  try {
    new Script(`(function(module,exports,require,__civctlLoad,__civctl_meta){${out}\n})`);
  } catch (error) {
    throw new Error(
      `part ${file} is not a script once linked to the loader (${error.message}): esbuild's output has another shape`,
    );
  }
  return out;
}
