// Preloaded (node --import) into tools that fetch from the internet as a side job, which this machine cannot reach:
// @doyensec/electronegativity asks GitHub for translations and Electron's release list through got 11. The request
// fails here; on Node 24, got 11's timeout then throws from a settled promise ("The `onCancel` handler was attached
// after the promise settled") and kills the scan. This stands in for the network: every got call fails at once, as
// the tool expects when offline. Its analysis of our code is local and unchanged (same findings on Node 20 without it).
import Module from 'node:module';

const load = Module._load;
Module._load = function loadWithoutNetwork(request, parent, isMain) {
  if (request === 'got') return () => Promise.reject(new Error('no network in tests'));
  return load.call(this, request, parent, isMain);
};
