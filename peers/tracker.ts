// Follows configuration over time for one node: each new snapshot gives the new model, the new
// desired sessions and what changed since the last one, so the speaker touches only those
// sessions (and restarts the listener or everything only when the model says so). Holds no
// sockets and no timers; the daemon feeds it snapshots from whichever datastore it runs.
import type { ResourceProblem, Snapshot } from '../config/datastore.js';
import { buildNodeModel, type BuildOptions, type NodeModel } from '../config/model.js';
import { computeSessions } from './compute.js';
import { diffModels, diffSessions, type ModelChange, type SessionDiff } from './diff.js';
import type { DesiredSession } from './session.js';

export interface ConfigUpdate {
  model: NodeModel;
  sessions: DesiredSession[];
  /** Against the previous update (everything is "added" the first time). */
  diff: SessionDiff;
  /** Absent the first time. */
  modelChange?: ModelChange;
  problems: ResourceProblem[];
}

export class SessionTracker {
  #model: NodeModel | undefined;
  #sessions: DesiredSession[] = [];

  constructor(
    readonly nodeName: string,
    readonly opts: BuildOptions = {},
  ) {}

  get model(): NodeModel | undefined {
    return this.#model;
  }

  get sessions(): readonly DesiredSession[] {
    return this.#sessions;
  }

  update(snap: Snapshot): ConfigUpdate {
    const { model, problems } = buildNodeModel(snap, this.nodeName, this.opts);
    const plan = computeSessions(model);
    const diff = diffSessions(this.#sessions, plan.sessions);
    const out: ConfigUpdate = { model, sessions: plan.sessions, diff, problems: [...problems, ...plan.problems] };
    if (this.#model) out.modelChange = diffModels(this.#model, model);
    this.#model = model;
    this.#sessions = plan.sessions;
    return out;
  }
}
