// Public surface of the Kubernetes datastore: Calico CRDs, Nodes and Secrets from the API server,
// as Snapshots of the datastore contract.
export { KubernetesDatastore, loadKubeConfig, referencedSecrets, type KubernetesDatastoreOptions } from './datastore.js';
export { CALICO_CRDS, NODE_ANNOTATIONS, crdToV3, nodeToV3, secretFromKube, type KubeObject } from './convert.js';
