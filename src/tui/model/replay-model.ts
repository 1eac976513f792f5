/**
 * The replay model of one run directory: its manifest, index, groups and
 * cells, and the on-demand reads the views need (a group's lanes, one
 * step's record, the observation an agent saw). Opening costs one scan of
 * the logs at most (then the cached index); nothing else is read up front.
 */
import { join } from 'node:path';
import { errorText, hashString, HotmessError, type Action, type AnyEnvironment, type Json } from '../../core/index.js';
import { FILES, readLineAt, readManifest, type Manifest, type StepRecord } from '../../log/index.js';
import { loadGroup, MISSING_KEY, type GroupData, type Lane } from './group-data.js';
import { groupRollouts, type Cell, type GroupRef } from './groups.js';
import { describePatches } from './patches.js';
import { StateReplayer } from './observe.js';
import { openIndex, sameStamp, stampOf, type RunIndex } from './run-index.js';

export interface ReplayOptions {
  /** Look an environment up by name (the CLI passes its registry), to re-derive observations. */
  readonly resolveEnvironment?: (name: string) => AnyEnvironment | undefined;
  /** Use RUN/.replay-index.json (default true). */
  readonly cache?: boolean;
  readonly onIndexProgress?: (bytes: number, total: number) => void;
}

export type ObservationView =
  | { readonly text: string; readonly source: 'logged' | 'derived'; readonly hashMatches: boolean | null }
  | { readonly text: null; readonly note: string };

export interface StepView {
  readonly record: StepRecord;
  readonly observation: ObservationView;
  /** The state change, one line per patch. */
  readonly changes: readonly string[];
}

const GROUP_CACHE = 8;

export class ReplayModel {
  readonly stepsFile: string;
  readonly groups: readonly GroupRef[];
  readonly cells: readonly Cell[];
  /** Why observations cannot be re-derived, when they cannot. */
  readonly envNote: string | null;
  private readonly replayer: StateReplayer | null;
  private readonly loaded = new Map<string, Promise<GroupData>>();

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly index: RunIndex,
    readonly indexFromCache: boolean,
    private readonly opts: ReplayOptions,
  ) {
    this.stepsFile = join(dir, FILES.steps);
    const { groups, cells } = groupRollouts(index.rollouts, manifest.agents.map((a) => a.name));
    this.groups = groups;
    this.cells = cells;
    const envName = manifest.environment.name;
    const env = opts.resolveEnvironment?.(envName);
    if (!env) {
      this.replayer = null;
      this.envNote = `environment "${envName}" is not registered here: observations are shown only when logged`;
    } else {
      const params = env.params.safeParse((manifest.scenario as { params?: unknown } | undefined)?.params ?? {});
      this.replayer = params.success ? new StateReplayer(env, params.data) : null;
      this.envNote = params.success ? null : `the manifest's params do not fit environment "${envName}" any more: observations are shown only when logged`;
    }
  }

  /**
   * Open a run. A run still `running` is read, never written: no index cache
   * is read or left behind, so watching a sweep from a second terminal
   * cannot disturb it (and takes no lock).
   */
  static async open(dir: string, opts: ReplayOptions = {}): Promise<ReplayModel> {
    const manifest = readManifest(dir);
    const cache = opts.cache !== false && manifest.status !== 'running';
    const { index, fromCache } = await openIndex(dir, { cache, onProgress: opts.onIndexProgress });
    return new ReplayModel(dir, manifest, index, fromCache, opts);
  }

  /** Whether caches in the run directory are read and written: asked for, and the run is not still being written. */
  get usesCache(): boolean {
    return this.opts.cache !== false && !this.live;
  }

  /** The run was still being written when it was opened: the view follows it. */
  get live(): boolean {
    return this.manifest.status === 'running';
  }

  /** Whether the run has moved on since this model was opened: new rollouts committed, or its status changed. */
  hasChanged(): boolean {
    try {
      if (!sameStamp(stampOf(join(this.dir, FILES.rollouts)), this.index.stamps.rollouts)) return true;
      return readManifest(this.dir).status !== this.manifest.status;
    } catch {
      // Mid-rename of the manifest, say: look again at the next tick.
      return false;
    }
  }

  /** The same run opened afresh, with the same options. */
  reopen(): Promise<ReplayModel> {
    return ReplayModel.open(this.dir, this.opts);
  }

  /** A group's lanes, loaded on first use (the last few are kept). */
  group(key: string): Promise<GroupData> {
    const hit = this.loaded.get(key);
    if (hit) {
      this.loaded.delete(key);
      this.loaded.set(key, hit);
      return hit;
    }
    const ref = this.groups.find((g) => g.key === key);
    if (!ref) throw new HotmessError('usage', `no group ${key} in ${this.dir}`);
    const p = loadGroup(this.stepsFile, ref);
    p.catch(() => this.loaded.delete(key));
    this.loaded.set(key, p);
    if (this.loaded.size > GROUP_CACHE) this.loaded.delete(this.loaded.keys().next().value!);
    return p;
  }

  /**
   * Where a group's rollouts first diverge: from the index when it holds
   * the group (no step is read), else from its loaded lanes.
   */
  async firstDivergence(key: string): Promise<number | null> {
    const cached = this.index.divergence[key];
    return cached !== undefined ? cached : (await this.group(key)).divergence.first;
  }

  /** The logged record of step t of a lane, read by offset; null when the lane has no step t. */
  readStep(lane: Lane, t: number): StepRecord | null {
    if (t < 1 || t > lane.len || lane.sizes[t - 1] === 0) return null;
    const text = readLineAt(this.stepsFile, lane.offsets[t - 1], lane.sizes[t - 1]);
    try {
      return JSON.parse(text) as StepRecord;
    } catch {
      throw new HotmessError('log', `${this.stepsFile}: step ${t} of ${lane.rollout.id} is not JSON at byte ${lane.offsets[t - 1]} (the file changed since it was indexed?)`);
    }
  }

  /** Everything the detail pane shows for step t of a lane; the observation may be re-derived. */
  async stepView(group: GroupData, lane: Lane, t: number, signal?: AbortSignal): Promise<StepView | null> {
    const record = this.readStep(lane, t);
    if (!record) return null;
    const logged = (record.info as { observation?: Json } | undefined)?.observation;
    let observation: ObservationView;
    let before: unknown;
    if (typeof logged === 'string') observation = { text: logged, source: 'logged', hashMatches: record.obs ? hashString(logged) === record.obs : null };
    else if (!this.replayer) observation = { text: null, note: this.envNote ?? 'observation not logged' };
    else {
      const actionAt = (i: number): Action | undefined => {
        const key = group.keys[lane.actions[i - 1]];
        return i > lane.len || key === MISSING_KEY ? undefined : (JSON.parse(key) as Action);
      };
      const r = await this.replayer.stateAfter(lane.rollout, t - 1, actionAt, signal);
      if (!r.ok) observation = { text: null, note: `observation not re-derived: ${r.reason}` };
      else {
        before = r.state;
        try {
          const text = this.replayer.env.observe(r.state).text;
          observation = { text, source: 'derived', hashMatches: record.obs ? hashString(text) === record.obs : null };
        } catch (e) {
          observation = { text: null, note: `observe failed: ${errorText(e)}` };
        }
      }
    }
    return { record, observation, changes: describePatches(record.patches, before) };
  }
}
