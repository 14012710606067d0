// What runs before any of civctl is compiled — the loader (scripts/loader.cjs, filled in by
// scripts/build.mjs, and the standalone binary's copy of it) — needs to know where the command is in
// argv, to name the code caches: src/cli/command-word.ts, the fast path's own reading, with the
// spellings of globalOptions in src/cli/spec.ts. It is read from src/ here, at build time, so
// that no list of global options is written twice.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';

/**
 * `commandWord`: a JavaScript function expression, argv (without node and the script) → the
 * command word or undefined.
 */
export async function startupFacts() {
  const { globalOptions } = await tsImport('../src/cli/spec.ts', import.meta.url);
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
  return {
    commandWord: `((m,g)=>(argv)=>m.splitCommand(argv,g)?.name)(${module},${JSON.stringify(spellings)})`,
  };
}
