/**
 * The layering rules `npm run lint` enforces (dependency-cruiser). The folders of src/ form layers, lowest first:
 * a folder may import only the folders before it in LAYERS (and commands/ import any of them). The named rules
 * below say the same for the boundaries that matter most, with a reason. See the README's design section.
 */
const LAYERS = [
  'protocol',
  'common',
  'events',
  'net',
  'capture',
  'export',
  'harper',
  'workload',
  'session',
  'report',
  'run',
  'cli',
];

const layerOrder = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-order-${layer}`,
  comment: `src/${layer} imports only the layers below it (${LAYERS.slice(0, i).join(', ') || 'none of the project'}).`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^(src/(${LAYERS.slice(i + 1).join('|')})/|commands/)` },
}));

module.exports = {
  forbidden: [
    ...layerOrder,
    {
      name: 'no-circular',
      comment: 'A module cycle: split the shared part out into the lower module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders form layers: two folders that import each other are one layer in two places.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(src|commands)' },
      to: { circular: true },
    },
    {
      name: 'protocol-is-pure',
      comment:
        'The wire codec imports nothing of the project (only node: built-ins and the codec libraries).',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^(src|commands)/', pathNot: '^src/protocol/' },
    },
    {
      name: 'common-is-a-leaf',
      comment: 'Exit codes, units and the histogram are for every layer: they import none of them.',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^(src|commands)/', pathNot: '^src/common/' },
    },
    {
      name: 'events-is-the-schema',
      comment: 'The event schema and the bus are shared by producers and sinks: they import neither.',
      severity: 'error',
      from: { path: '^src/events/' },
      to: { path: '^(src|commands)/', pathNot: '^src/(events|common)/' },
    },
    {
      name: 'report-is-a-sink',
      comment:
        'Reporters read events and results; they never reach into sessions, runs, the CLI or the node.',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^(src/(session|run|cli|harper)/|commands/)' },
    },
    {
      name: 'session-below-run',
      comment:
        'A session speaks the protocol over a socket; the run, the CLI and the commands drive it, not the reverse.',
      severity: 'error',
      from: { path: '^src/session/' },
      to: { path: '^(src/(run|cli)/|commands/)' },
    },
    {
      name: 'nothing-imports-commands',
      comment: 'Commands are the outermost layer: oclif loads them; nothing else may.',
      severity: 'error',
      from: {},
      to: { path: '^commands/' },
    },
    {
      name: 'no-dev-dependencies-in-src',
      comment: 'What ships must not need a devDependency.',
      severity: 'error',
      from: { path: '^(src|commands)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
