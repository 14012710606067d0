/**
 * YAML files as their users wrote them (eemeli/yaml's Document API keeps comments, order and
 * styles): reading every document of a stream with its positions, and writing it back.
 */
import { type Document, isMap, LineCounter, type Node, parseAllDocuments, Scalar, visit } from 'yaml';
import { SettingsFileError } from './read-settings.ts';

export interface YamlStream {
  documents: Document.Parsed[];
  lines: LineCounter;
  text: string;
}

export function parseYamlStream(text: string): YamlStream {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  for (const doc of documents) {
    const error = doc.errors[0];
    if (error) {
      const at = lines.linePos(error.pos[0]);
      throw new SettingsFileError(`it is not valid YAML: ${error.message.split('\n')[0]}`, at.line, at.col);
    }
  }
  return { documents, lines, text };
}

export function writeYamlStream(stream: YamlStream): string {
  return stream.documents.map((d) => d.toString({ lineWidth: 0 })).join('');
}

/** The `kind` of a document, when it is a mapping with one. */
export function kindOf(doc: Document.Parsed): string | undefined {
  const kind = isMap(doc.contents) ? doc.get('kind') : undefined;
  return typeof kind === 'string' ? kind : undefined;
}

/** A YAML node for the image-verifier-plugins subtree, with every string double-quoted. */
export function subtreeNode(doc: Document, subtree: Record<string, unknown>): Node {
  const node = doc.createNode(subtree) as Node;
  visit(node, {
    Scalar(key, scalar) {
      if (key === 'value' && typeof scalar.value === 'string') scalar.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return node;
}

/** 1-based line and column of a node (or of the key of a pair), for lint findings. */
export function positionOf(lines: LineCounter, node: unknown): { line: number; column: number } {
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (!range) return { line: 1, column: 1 };
  const at = lines.linePos(range[0]);
  return { line: at.line, column: at.col };
}
