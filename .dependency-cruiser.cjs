/**
 * The layers of kposture, lowest first, written once. A module may import its own group and the
 * groups of lower layers, never a higher layer nor another group of its own layer; no module
 * may take part in a circle. `npm run lint:layers` checks the tree, and test/meta/layers.test.ts
 * runs the same check in the test suite (and proves that it catches a violation).
 */
const LAYERS = [
  ['src/util', 'src/errors.ts', 'src/version.ts'],
  ['src/catalog'],
  // The domain: Kubernetes objects, kinds, the inventory model, facts checks are built on.
  ['src/k8s'],
  // Talking to an API server.
  ['src/kube'],
  // Reading a cluster or a snapshot into an inventory; reading images from registries and layouts.
  ['src/inventory', 'src/images'],
  ['src/engine'],
  ['checks', 'src/report', 'src/config'],
  // Several clusters' reports reduced to one fleet report, and their drift.
  ['src/fleet'],
  // The package's public entry (package.json exports) sits on top: it may name any type below.
  ['src/cli', 'src/docs', 'bench', 'src/index.ts'],
];

const escape = (path) => path.replace(/[.]/g, '\\.');
const pattern = (group) => `^${escape(group)}(/|$)`;

const forbidden = [
  {
    name: 'no-circular',
    comment: 'Files that import each other, directly or through others, cannot be understood or changed one at a time.',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
];
LAYERS.forEach((layer, level) => {
  const allowed = [...LAYERS.slice(0, level).flat()];
  for (const group of layer) {
    forbidden.push({
      name: `layer:${group}`,
      comment: `${group} may import only itself and the layers below it: ${allowed.join(', ') || 'none'}.`,
      severity: 'error',
      from: { path: pattern(group) },
      to: {
        path: '^(src|checks|bench)/',
        pathNot: [pattern(group), ...allowed.map(pattern)],
      },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test)/' },
    // Type-only imports tie layers together as much as value imports.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },

};
