// Public surface of config/: the datastore contract, the YAML file datastore, resource
// validation and the NodeModel builder.
export type { CalicoResource, Datastore, ResourceProblem, SecretResource, Snapshot } from './datastore.js';
export { FileDatastore, type FileDatastoreOptions } from './file.js';
export { readYamlText } from './yamlfile.js';
export { validateResource, KNOWN_KINDS, type TypedResource, type Validation } from './resources.js';
export {
  buildNodeModel,
  hashRouterId,
  poolsForNode,
  DEFAULT_AS,
  DEFAULT_PORT,
  DEFAULT_RESTART_TIME,
  type BuildOptions,
  type BuildResult,
  type ClusterNode,
  type NodeModel,
  type PeerModel,
  type PoolModel,
} from './model.js';
export { parseSelector, Selector, SelectorError } from './selector.js';
