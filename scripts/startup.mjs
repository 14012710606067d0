// What runs before any of civctl is compiled — the bundle's loader (scripts/loader.cjs, filled in by
// scripts/build.mjs) and the standalone binary's banner (scripts/build-standalone.mjs) — needs two
// facts from the command declarations: where the command is in argv (src/cli/command-word.ts, the
// fast path's own reading, with the spellings of globalOptions in src/cli/spec.ts), and which
// commands talk HTTP (those whose CommandSpec.talksTo names the API or a registry), for which V8's
// --liftoff-only is set. Both are read from
// src/ here, at build time, so that no list of commands or global options is written twice.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';

/**
 * `commandWord`: a JavaScript function expression, argv (without node and the script) → the
 * command word or undefined; `httpCommands`: the names of the commands that talk HTTP.
 */
export async function startupFacts() {
  const { COMMANDS } = await tsImport('../src/commands/index.ts', import.meta.url);
  const { globalOptions, talksToOf } = await tsImport('../src/cli/spec.ts', import.meta.url);
  const compiled = await build({
    entryPoints: [fileURLToPath(new URL('../src/cli/command-word.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    charset: 'ascii',
    write: false,
    logLevel: 'warning',
  });
  const module = `(function(){var module={exports:{}},exports=module.exports;${compiled.outputFiles[0].text.trim()}\nreturn module.exports})()`;
  // The same compiled code gives the spellings here and splits argv at run time.
  const { globalSpellings } = new Function(`return ${module}`)();
  const spellings = globalSpellings(globalOptions({}));
  if (spellings.withValue.length + spellings.flags.length === 0)
    throw new Error('src/cli/spec.ts globalOptions declares no option: the command-word split needs them');
  // A command that talks to the API or a registry speaks HTTP (CommandSpec.talksTo).
  const httpCommands = COMMANDS.filter((c) => talksToOf(c).length > 0).map((c) => c.name);
  if (httpCommands.length === 0) throw new Error('no command in src/commands talks to the API or a registry');
  return {
    commandWord: `((m,g)=>(argv)=>m.splitCommand(argv,g)?.name)(${module},${JSON.stringify(spellings)})`,
    httpCommands,
  };
}

/**
 * The standalone binary's first statement: the same decision as scripts/loader.cjs makes (the
 * Liftoff-only flag for HTTP commands, unless CIVCTL_WASM_TIERUP=1), and with
 * CIVCTL_TRACE_CHUNKS=1 the same "civctl command:" line at exit, for tests.
 */
export function liftoffBanner({ commandWord, httpCommands }) {
  return `{const f=(${commandWord})(process.argv.slice(2));const w=typeof f==='string'&&/^[a-z]+$/.test(f)?f:'none';const l=${JSON.stringify(httpCommands)}.includes(w)&&process.env.CIVCTL_WASM_TIERUP!=='1';if(l)require('node:v8').setFlagsFromString('--liftoff-only');if(process.env.CIVCTL_TRACE_CHUNKS==='1')process.once('exit',()=>process.stderr.write(\`civctl command: \${w}\${l?' (--liftoff-only)':''}\\n\`));}`;
}
