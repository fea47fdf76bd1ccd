// Reading one YAML file into Calico resources and Secrets, each tagged "file:line". Multi-document
// files, `List` kinds (v1 List or BGPPeerList etc.) with `items`, and core v1 Secrets (base64
// `data`, plain `stringData`) are understood. Every resource is validated here so that a bad one is
// reported at its line; unknown kinds are skipped with a warning. Pure apart from its input text.
import { LineCounter, parseAllDocuments, isMap, isSeq, visit, type Node as YamlNode } from 'yaml';
import type { CalicoResource, ResourceProblem, SecretResource } from './datastore.js';
import { KNOWN_KINDS, validateResource } from './resources.js';

export interface FileContents {
  resources: CalicoResource[];
  secrets: SecretResource[];
  problems: ResourceProblem[];
  /** The file could not be parsed at all (YAML syntax): nothing in it can be trusted. */
  unparsable: boolean;
  /** "Kind/name" of resources that were present but rejected (their last good copy may be kept). */
  rejected: string[];
}

const LIST_KIND = /^(List|[A-Za-z]+List)$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function keyOf(kind: string, name: unknown): string {
  return `${kind}/${String(name)}`;
}

function decodeSecret(obj: Record<string, unknown>, src: string, problems: ResourceProblem[]): SecretResource | undefined {
  const meta = isObj(obj.metadata) ? obj.metadata : {};
  if (typeof meta.name !== 'string' || !meta.name) {
    problems.push({ source: src, message: 'Secret rejected: metadata.name is required', severity: 'error' });
    return undefined;
  }
  const data: Record<string, string> = {};
  if (obj.data !== undefined && obj.data !== null) {
    if (!isObj(obj.data)) {
      problems.push({ source: src, message: `Secret ${meta.name} rejected: data must be a map`, severity: 'error' });
      return undefined;
    }
    for (const [k, v] of Object.entries(obj.data)) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, '')) || v.replace(/\s/g, '').length % 4 !== 0) {
        problems.push({ source: src, message: `Secret ${meta.name} rejected: data.${k} is not base64`, severity: 'error' });
        return undefined;
      }
      data[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  if (obj.stringData !== undefined && obj.stringData !== null) {
    if (!isObj(obj.stringData)) {
      problems.push({ source: src, message: `Secret ${meta.name} rejected: stringData must be a map`, severity: 'error' });
      return undefined;
    }
    // Kubernetes merges stringData over data.
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = String(v);
  }
  const s: SecretResource = { name: meta.name, namespace: typeof meta.namespace === 'string' ? meta.namespace : '', data, source: src };
  return s;
}

/** Parse and validate the text of one file; `file` is used only to name sources. */
export function readYamlText(file: string, text: string): FileContents {
  const out: FileContents = { resources: [], secrets: [], problems: [], unparsable: false, rejected: [] };
  const lc = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    out.unparsable = true;
    out.problems.push({ source: `${file}:1`, message: `cannot parse YAML: ${(err as Error).message}`, severity: 'error' });
    return out;
  }
  const docList = Array.isArray(docs) ? docs : [];
  const lineOf = (node: YamlNode | null | undefined, fallback = 0): number => lc.linePos(node?.range?.[0] ?? fallback).line;
  for (const doc of docList) {
    if (doc.errors.length) {
      // A syntax error anywhere makes the whole file suspect: keep what ran before.
      out.unparsable = true;
      for (const e of doc.errors) {
        const line = e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line;
        out.problems.push({ source: `${file}:${line}`, message: `malformed YAML: ${e.message.split('\n')[0]}`, severity: 'error' });
      }
      continue;
    }
    const contents = doc.contents as YamlNode | null;
    if (contents === null || contents === undefined) continue; // empty document ("---" alone)
    // An unquoted asdot AS number ("asNumber: 65000.100") reads as the float 65000.1 and would
    // lose its digits; no Calico field is a float, so such scalars keep their source text.
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'number' && !Number.isInteger(node.value) && node.source && /^\d+\.\d+$/.test(node.source)) node.value = node.source;
      },
    });
    const docLine = lineOf(contents);
    let value: unknown;
    try {
      // maxAliasCount bounds alias expansion ("billion laughs").
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      out.unparsable = true;
      out.problems.push({ source: `${file}:${docLine}`, message: `malformed YAML: ${(err as Error).message}`, severity: 'error' });
      continue;
    }
    if (!isObj(value)) {
      out.problems.push({ source: `${file}:${docLine}`, message: 'document is not a map of a resource; ignored', severity: 'error' });
      continue;
    }
    if (typeof value.kind === 'string' && LIST_KIND.test(value.kind)) {
      const itemsNode = isMap(contents) ? (contents.get('items', true) as YamlNode | undefined) : undefined;
      if (!Array.isArray(value.items)) {
        out.problems.push({ source: `${file}:${docLine}`, message: `${value.kind} without an items list; ignored`, severity: 'error' });
        continue;
      }
      value.items.forEach((item, i) => {
        const itemNode = isSeq(itemsNode) ? (itemsNode.items[i] as YamlNode | undefined) : undefined;
        addObject(out, file, itemNode ? lineOf(itemNode) : docLine, item);
      });
      continue;
    }
    addObject(out, file, docLine, value);
  }
  return out;
}

function addObject(out: FileContents, file: string, line: number, obj: unknown): void {
  const src = `${file}:${line}`;
  if (!isObj(obj)) {
    out.problems.push({ source: src, message: 'list item is not a map of a resource; ignored', severity: 'error' });
    return;
  }
  const kind = obj.kind;
  if (typeof kind !== 'string' || !kind) {
    out.problems.push({ source: src, message: 'resource without a kind; ignored', severity: 'error' });
    return;
  }
  if (kind === 'Secret') {
    const s = decodeSecret(obj, src, out.problems);
    if (s) out.secrets.push(s);
    else out.rejected.push(keyOf('Secret', isObj(obj.metadata) ? obj.metadata.name : undefined));
    return;
  }
  if (!(KNOWN_KINDS as readonly string[]).includes(kind)) {
    out.problems.push({ source: src, message: `unknown kind ${JSON.stringify(kind)} ignored`, severity: 'warning' });
    return;
  }
  const r = obj as unknown as CalicoResource;
  const name = isObj(obj.metadata) ? obj.metadata.name : undefined;
  const res = validateResource(r);
  // Warnings of accepted resources are reported once, by the model builder, with this source.
  if (!res.ok) {
    for (const w of res.warnings) out.problems.push({ source: src, message: `${kind} ${String(name)}: ${w}`, severity: 'warning' });
    out.problems.push({ source: src, message: `${kind} ${String(name ?? '')} rejected: ${res.errors.join('; ')}`, severity: 'error' });
    out.rejected.push(keyOf(kind, name));
    return;
  }
  out.resources.push({
    apiVersion: typeof obj.apiVersion === 'string' ? obj.apiVersion : 'projectcalico.org/v3',
    kind,
    metadata: obj.metadata as CalicoResource['metadata'],
    ...(isObj(obj.spec) ? { spec: obj.spec } : {}),
    source: src,
  });
}
