/**
 * `kustomize build` for the subset deploy/ uses, so the manifests can be rendered and validated without kubectl:
 * resources (files and kustomization directories), patches (strategic-merge patch files naming their target by kind
 * and metadata.name) and images (newName/newTag). Anything else in a kustomization.yaml is refused rather than
 * ignored, so a render here is the render kustomize gives.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  [key: string]: unknown;
};

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  patches?: Array<{ path: string }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);

/** The list fields a strategic-merge patch merges item by item, and the key that pairs the items. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
};

/** Every YAML document of a file (comments and `---` separators allowed); a YAML error throws with the path. */
export function readYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    return doc.toJS();
  });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Kubernetes' strategic merge, for the fields deploy/ patches: objects merge, keyed lists merge by key, null deletes. */
export function strategicMerge(base: unknown, patch: unknown, field = ''): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Json = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (key.startsWith('$')) throw new Error(`patch directive ${key} is not supported here`);
      if (value === null) delete out[key];
      else out[key] = key in base ? strategicMerge(base[key], value, key) : value;
    }
    return out;
  }
  const mergeKey = MERGE_KEYS[field];
  if (Array.isArray(base) && Array.isArray(patch) && mergeKey) {
    const out = base.map((item) => ({ ...(item as Json) }));
    for (const item of patch as Json[]) {
      const at = out.findIndex((existing) => existing[mergeKey] === item[mergeKey]);
      if (at >= 0) out[at] = strategicMerge(out[at], item) as Json;
      else out.push(item);
    }
    return out;
  }
  return patch;
}

/** Every container of a pod-bearing manifest (Job, Deployment, …). */
export function containersOf(doc: Manifest): Json[] {
  const pod = ((doc.spec as Json | undefined)?.template as Json | undefined)?.spec as Json | undefined;
  return [...((pod?.containers as Json[]) ?? []), ...((pod?.initContainers as Json[]) ?? [])];
}

function setImages(docs: Manifest[], images: Kustomization['images']): void {
  for (const image of images ?? []) {
    for (const container of docs.flatMap(containersOf)) {
      const ref = String(container.image);
      const [name, tag] = ref.split(/:(?=[^/]*$)/);
      if (name !== image.name) continue;
      const newTag = image.newTag ?? tag;
      container.image = `${image.newName ?? name}${newTag ? `:${newTag}` : ''}`;
    }
  }
}

/** `kustomize build DIR` for the subset above. */
export function kustomizeBuild(dir: string): Manifest[] {
  const [config] = readYaml(join(dir, 'kustomization.yaml')) as [Kustomization];
  for (const key of Object.keys(config)) {
    if (!SUPPORTED.has(key))
      throw new Error(`${dir}/kustomization.yaml: "${key}" is not rendered by this helper`);
  }
  let docs: Manifest[] = [];
  for (const resource of config.resources ?? []) {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new Error(`${dir}: resource ${resource} does not exist`);
    docs.push(...(statSync(path).isDirectory() ? kustomizeBuild(path) : (readYaml(path) as Manifest[])));
  }
  for (const { path } of config.patches ?? []) {
    for (const patch of readYaml(join(dir, path)) as Manifest[]) {
      const at = docs.findIndex((d) => d.kind === patch.kind && d.metadata.name === patch.metadata.name);
      if (at < 0) throw new Error(`${dir}/${path}: no ${patch.kind} ${patch.metadata.name} to patch`);
      docs = docs.map((d, i) => (i === at ? (strategicMerge(d, patch) as Manifest) : d));
    }
  }
  setImages(docs, config.images);
  return docs;
}
