// The datastore contract: where Calico resources come from (YAML files or the Kubernetes API).
// Each datastore turns its source into the same thing: a snapshot of Calico v3 resources shaped
// exactly as `calicoctl get -o yaml` prints them, plus Secrets. The pure model builder turns a
// snapshot into the typed NodeModel of one node; datastores know nothing of BGP.

/** A Calico v3 resource as calicoctl users write it (apiVersion projectcalico.org/v3). */
export interface CalicoResource {
  apiVersion: string;
  kind: string; // Node | BGPConfiguration | BGPPeer | IPPool | BlockAffinity | BGPFilter
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
  /** Where it came from, for error messages: "file.yaml:12" or "bgppeers/name". */
  source?: string;
}

/** A core v1 Secret; data values are base64 as in Kubernetes, stringData plain. */
export interface SecretResource {
  name: string;
  namespace: string;
  data: Record<string, string>; // already decoded to plain text
  source?: string;
}

/** A problem found while reading a source; the rest of the snapshot still applies. */
export interface ResourceProblem {
  source: string; // file:line or kind/name
  message: string;
  /** "error": the resource was rejected (or an older good copy kept); "warning": applied anyway. Absent means error. */
  severity?: 'error' | 'warning';
}

export interface Snapshot {
  resources: CalicoResource[];
  secrets: SecretResource[];
  problems: ResourceProblem[];
}

export interface Datastore {
  /** Read the source once and begin following changes; resolves with the first snapshot. */
  start(): Promise<Snapshot>;
  /** Called with a complete new snapshot whenever the source changes. */
  onChange(listener: (snap: Snapshot) => void): void;
  /** The source could not be read (API outage, unreadable file); the last snapshot stays valid. */
  onError(listener: (err: Error) => void): void;
  stop(): Promise<void>;
}
