// A chunk stored as it is sits inside a comment of the bundle (scripts/build.mjs), which its first
// "*/" would end. esbuild's output holds one only inside a literal (minified code has no comments,
// and no operator is written "*/"): a string, a template or a regular expression. Each is written
// again so that it means the same without the two characters side by side, and the loader
// compiles the chunk straight from the bundle's text, without a copy.
import ts from 'typescript';

/** Literal kinds whose text may hold "*\/", and how to write it without changing the value. */
const REWRITES = {
  // "*\/" is "*/" in a string, and in a template that is not tagged (a tag sees the raw text).
  [ts.SyntaxKind.StringLiteral]: (text) => text.replaceAll('*/', '*\\/'),
  [ts.SyntaxKind.NoSubstitutionTemplateLiteral]: (text) => text.replaceAll('*/', '*\\/'),
  [ts.SyntaxKind.TemplateHead]: (text) => text.replaceAll('*/', '*\\/'),
  [ts.SyntaxKind.TemplateMiddle]: (text) => text.replaceAll('*/', '*\\/'),
  [ts.SyntaxKind.TemplateTail]: (text) => text.replaceAll('*/', '*\\/'),
  // In a regular expression, "*/" inside is "*\/" (only a character class can hold a "/"), and a
  // body ending in "*" (a quantifier or an escaped star) before its closing "/" gets an empty
  // group after it, which matches nothing more.
  [ts.SyntaxKind.RegularExpressionLiteral]: (text) => {
    const close = text.lastIndexOf('/');
    const body = text.slice(1, close).replaceAll('*/', '*\\/');
    return `/${body.endsWith('*') ? `${body}(?:)` : body}${text.slice(close)}`;
  },
};

/**
 * `code` without "*\/", its literals written again; undefined when one remains (a tagged template,
 * or a place this does not know), for the caller to store the chunk escaped instead.
 */
export function withoutCommentEnd(code) {
  if (!code.includes('*/')) return code;
  const file = ts.createSourceFile('chunk.js', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const edits = [];
  const visit = (node, tagged) => {
    const rewrite = REWRITES[node.kind];
    if (rewrite && !tagged) {
      const start = node.getStart(file);
      const text = code.slice(start, node.end);
      if (text.includes('*/')) edits.push([start, node.end, rewrite(text)]);
      return;
    }
    ts.forEachChild(node, (child) => visit(child, tagged || ts.isTaggedTemplateExpression(node)));
  };
  visit(file, false);
  let out = code;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0]))
    out = out.slice(0, start) + text + out.slice(end);
  return out.includes('*/') ? undefined : out;
}
