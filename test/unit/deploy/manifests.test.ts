/**
 * deploy/ (Kubernetes, kustomize) rendered and validated offline: base and the example overlay built by a faithful
 * subset of kustomize (test/helpers/kustomize.ts), every document validated against the Kubernetes API schemas by
 * kubernetes-models, the invariants of a sharded run asserted, and every shard's arguments parsed by the tool's own
 * flag parser after Kubernetes' $(VAR) expansion.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Flags, Parser } from '@oclif/core';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import Report from '../../../commands/report.js';
import Synth from '../../../commands/synth.js';
import { parseShard } from '../../../src/workload/shard.js';
import { containersOf, kustomizeBuild, type Manifest, strategicMerge } from '../../helpers/kustomize.js';

const DEPLOY = fileURLToPath(new URL('../../../../deploy/', import.meta.url));
const BASE = kustomizeBuild(`${DEPLOY}base`);
const EXAMPLE = kustomizeBuild(`${DEPLOY}overlays/example`);

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, walked by the paths the assertions name.
type Json = Record<string, any>;

/** kubernetes-models' schema check of each kind deploy/ renders (throws on the first violation). */
const VALIDATE: Record<string, (doc: unknown) => void> = {
  Job: (doc) => new Job(doc as ConstructorParameters<typeof Job>[0]).validate(),
  ConfigMap: (doc) => new ConfigMap(doc as ConstructorParameters<typeof ConfigMap>[0]).validate(),
  PersistentVolumeClaim: (doc) =>
    new PersistentVolumeClaim(doc as ConstructorParameters<typeof PersistentVolumeClaim>[0]).validate(),
};

const find = (docs: Manifest[], kind: string, name: string): Json => {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  assert.ok(doc, `${kind} ${name} rendered`);
  return doc as Json;
};

const envOf = (container: Json): Json[] => container.env ?? [];

/** Kubernetes' $(VAR) expansion of command and args (an undefined variable is left as written, as the kubelet does). */
const expand = (text: string, vars: Record<string, string>) =>
  text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => vars[name] ?? whole);

/** The flags s20a adds to synth (--shard, --run-id, --start-at), for as long as synth does not have them yet. */
const SHARD_FLAGS = {
  shard: Flags.string(),
  'run-id': Flags.string(),
  'start-at': Flags.string(),
};

const MODELS = fileURLToPath(new URL('../../../../node_modules/kubernetes-models/', import.meta.url));

/** The property names of a kubernetes-models type, read from its declaration file. */
const propertiesOf = (declaration: string): Set<string> =>
  new Set(
    [...readFileSync(join(MODELS, declaration), 'utf8').matchAll(/^\s+"(\w+)"\??:/gm)].map((m) => m[1]!),
  );

/**
 * Fields the API schemas do not know, at the levels deploy/ writes: kubernetes-models (like the API server without
 * strict field validation) accepts them silently, so a misspelt `backoffLimitPerIndx` would be valid and ignored.
 */
function unknownFields(job: Json): string[] {
  const levels: Array<[string, Json[], string]> = [
    ['spec', [job.spec], 'batch/v1/JobSpec.d.ts'],
    ['pod', [job.spec.template.spec], 'v1/PodSpec.d.ts'],
    ['container', job.spec.template.spec.containers, 'v1/Container.d.ts'],
    ['env', job.spec.template.spec.containers.flatMap((c: Json) => c.env ?? []), 'v1/EnvVar.d.ts'],
    [
      'volumeMount',
      job.spec.template.spec.containers.flatMap((c: Json) => c.volumeMounts),
      'v1/VolumeMount.d.ts',
    ],
    ['volume', job.spec.template.spec.volumes, 'v1/Volume.d.ts'],
  ];
  return levels.flatMap(([level, objects, declaration]) => {
    const known = propertiesOf(declaration);
    return objects.flatMap((o) =>
      Object.keys(o)
        .filter((key) => !known.has(key))
        .map((key) => `${level}.${key}`),
    );
  });
}

/** oclif adds --json to a command with enableJsonFlag when it parses (the parser alone does not). */
const JSON_FLAG = { json: Flags.boolean() };

for (const [name, docs] of [
  ['base', BASE],
  ['overlays/example', EXAMPLE],
] as const) {
  describe(`deploy/${name}`, () => {
    const shards = find(docs, 'Job', 'harper-replay-shards');
    const merge = find(docs, 'Job', 'harper-replay-merge');
    const run = find(docs, 'ConfigMap', 'harper-replay-run');
    const [shard] = containersOf(shards as Manifest) as Json[];

    it('every document is valid against the Kubernetes API schemas', () => {
      assert.deepEqual(docs.map((d) => d.kind).sort(), ['ConfigMap', 'Job', 'Job', 'PersistentVolumeClaim']);
      for (const doc of docs) {
        const validate = VALIDATE[doc.kind];
        assert.ok(validate, `a model for ${doc.kind}`);
        assert.doesNotThrow(() => validate(doc), `${doc.kind} ${doc.metadata.name}`);
      }
    });

    it('no field the API schemas do not know (a misspelt one would be valid, and ignored)', () => {
      assert.deepEqual(unknownFields(shards), []);
      assert.deepEqual(unknownFields(merge), []);
      assert.deepEqual(unknownFields({ ...shards, spec: { ...shards.spec, backoffLimitPerIndx: 0 } }), [
        'spec.backoffLimitPerIndx',
      ]);
    });

    it('the shards Job: Indexed, N = completions = parallelism = SHARD_COUNT, one failure fails the run', () => {
      const spec = shards.spec;
      assert.equal(spec.completionMode, 'Indexed');
      assert.equal(spec.completions, spec.parallelism);
      assert.equal(spec.completions, Number(run.data.SHARD_COUNT));
      assert.equal(spec.backoffLimitPerIndex, 0);
      assert.equal(spec.maxFailedIndexes, 0);
      assert.ok(spec.activeDeadlineSeconds > 0);
      assert.equal(spec.template.spec.restartPolicy, 'Never');
    });

    it('no shell: the tool is the container process, so SIGTERM reaches it', () => {
      for (const job of [shards, merge]) {
        for (const container of containersOf(job as Manifest) as Json[]) {
          assert.deepEqual(container.command, ['harper-replay']);
          for (const arg of container.args as string[]) {
            assert.equal(typeof arg, 'string');
            assert.ok(!/^-c$|[;&|`]|\$\{|\$[A-Za-z]/.test(arg), `no shell syntax in ${arg}`);
          }
        }
      }
    });

    it('the shard index is JOB_COMPLETION_INDEX, and every $(VAR) is defined', () => {
      const args = shard!.args as string[];
      assert.equal(args[args.indexOf('--shard') + 1], '$(JOB_COMPLETION_INDEX)/$(SHARD_COUNT)');
      assert.match(args[args.indexOf('--samples') + 1]!, /^\/results\/.*\$\(JOB_COMPLETION_INDEX\)/);
      const defined = new Set(['JOB_COMPLETION_INDEX', ...envOf(shard!).map((e) => e.name)]);
      for (const [, variable] of args.join(' ').matchAll(/\$\(([A-Za-z_0-9]+)\)/g)) {
        assert.ok(defined.has(variable!), `$(${variable}) is defined`);
      }
      for (const key of ['RUN_ID', 'START_AT', 'SHARD_COUNT', 'HARPER_TARGET']) {
        const env = envOf(shard!).find((e) => e.name === key);
        assert.deepEqual(env?.valueFrom?.configMapKeyRef, { name: 'harper-replay-run', key });
      }
    });

    it('credentials only from a Secret, through env: never in args, never a literal, no Secret in the repo', () => {
      for (const container of [
        ...containersOf(shards as Manifest),
        ...containersOf(merge as Manifest),
      ] as Json[]) {
        const args = (container.args as string[]).join(' ');
        assert.doesNotMatch(args, /--(password|user|token)\b|PASSWORD|HARPER_USER|TOKEN/);
        for (const env of envOf(container)) {
          if (/USER|PASSWORD|TOKEN/.test(env.name)) {
            assert.equal(env.value, undefined, `${env.name} is not a literal`);
            assert.ok(env.valueFrom?.secretKeyRef?.name, `${env.name} comes from a Secret`);
          }
        }
      }
      assert.deepEqual(
        envOf(shard!)
          .filter((e) => e.valueFrom?.secretKeyRef)
          .map((e) => e.name),
        ['HARPER_USER', 'HARPER_PASSWORD'],
      );
      assert.ok(!docs.some((d) => d.kind === 'Secret'));
    });

    it('the shards write to and the merge Job reads the same volume; the merge waits suspended', () => {
      const claim = (job: Json) => job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName;
      const pvc = find(docs, 'PersistentVolumeClaim', claim(shards));
      assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'), 'pods on several nodes write it');
      assert.equal(claim(merge), claim(shards));
      assert.equal(merge.spec.suspend, true);
      const [merger] = containersOf(merge as Manifest) as Json[];
      assert.deepEqual(merger!.args, ['report', '--merge', '/results', '--json']);
      assert.equal(merger!.volumeMounts[0].mountPath, '/results');
    });

    it("each shard's arguments parse with synth's own flags, and --shard gives i/N", async () => {
      const vars = Object.fromEntries(Object.entries(run.data as Record<string, string>));
      const count = Number(vars.SHARD_COUNT);
      for (let index = 0; index < count; index++) {
        const argv = (shard!.args as string[]).map((a) =>
          expand(a, { ...vars, JOB_COMPLETION_INDEX: String(index) }),
        );
        assert.equal(argv[0], 'synth');
        const parsed = await Parser.parse(argv.slice(1), {
          flags: { ...SHARD_FLAGS, ...Synth.baseFlags, ...Synth.flags, ...JSON_FLAG },
          args: Synth.args,
          strict: true,
        });
        assert.deepEqual(parseShard(String(parsed.flags.shard)), { index, count });
        assert.equal(parsed.flags['run-id'], vars.RUN_ID);
        assert.equal(parsed.flags.samples, `/results/shard-${index}.ndjson`);
        assert.equal(parsed.flags.target, vars.HARPER_TARGET);
      }
      const [merger] = containersOf(merge as Manifest) as Json[];
      const report = await Parser.parse((merger!.args as string[]).slice(1), {
        flags: { ...Report.baseFlags, ...Report.flags, ...JSON_FLAG },
        args: Report.args,
        strict: false,
      });
      assert.equal(report.flags.merge, true);
      assert.equal(report.flags.json, true);
    });
  });
}

describe('deploy/overlays/example: what the overlay changes', () => {
  it('N, the run id and start time, and the image; the rest is the base', () => {
    const shards = find(EXAMPLE, 'Job', 'harper-replay-shards');
    assert.equal(shards.spec.completions, 5);
    assert.equal(find(BASE, 'Job', 'harper-replay-shards').spec.completions, 3);
    const run = find(EXAMPLE, 'ConfigMap', 'harper-replay-run').data;
    assert.equal(run.SHARD_COUNT, '5');
    assert.notEqual(run.RUN_ID, find(BASE, 'ConfigMap', 'harper-replay-run').data.RUN_ID);
    assert.ok(!Number.isNaN(Date.parse(run.START_AT)), 'START_AT is a time');
    for (const job of EXAMPLE.filter((d) => d.kind === 'Job')) {
      for (const container of containersOf(job) as Json[]) {
        assert.equal(container.image, 'registry.example.com/harper-replay:0.1.0');
      }
    }
    for (const job of BASE.filter((d) => d.kind === 'Job')) {
      for (const container of containersOf(job) as Json[]) assert.equal(container.image, 'harper-replay');
    }
    const { spec: _overlaid, ...rest } = shards;
    const { spec: _base, ...baseRest } = find(BASE, 'Job', 'harper-replay-shards');
    assert.deepEqual(rest, baseRest);
  });
});

describe('strategic merge (the helper the render relies on)', () => {
  it('merges objects, keyed lists by key, replaces other lists, deletes on null', () => {
    const base = {
      spec: {
        a: 1,
        b: 2,
        args: ['x', 'y'],
        containers: [
          { name: 'one', image: 'i1', env: [{ name: 'A', value: '1' }] },
          { name: 'two', image: 'i2' },
        ],
      },
    };
    const patch = {
      spec: {
        b: null,
        args: ['z'],
        containers: [
          { name: 'one', env: [{ name: 'B', value: '2' }] },
          { name: 'three', image: 'i3' },
        ],
      },
    };
    assert.deepEqual(strategicMerge(base, patch), {
      spec: {
        a: 1,
        args: ['z'],
        containers: [
          {
            name: 'one',
            image: 'i1',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
          { name: 'two', image: 'i2' },
          { name: 'three', image: 'i3' },
        ],
      },
    });
    assert.throws(() => strategicMerge({ a: [] }, { $patch: 'replace' }), /not supported/);
  });

  it('refuses a kustomization field it does not render', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\nnamePrefix: x-\n');
      assert.throws(() => kustomizeBuild(dir), /"namePrefix" is not rendered/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
