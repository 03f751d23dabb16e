/**
 * Traffic splits of `mlops deploy --traffic`: `latest=10` sends 10% to the revision this deploy
 * creates and leaves the other 90% where it is now, in the proportions it has now (a canary);
 * `latest=100` promotes it; named revisions (`latest=20,shoes-00004-abc=80`) state the split in
 * full. Without `--traffic` the new revision takes all traffic (as `gcloud run deploy` does), and
 * revisions that carry a tag keep it (at 0%), so their tag URLs keep working.
 */
import { MlopsError } from '@mlops/core';
import type { CloudRunTrafficTarget, CurrentService } from './cloud-run-service.js';

/** A parsed `--traffic` value. */
export interface TrafficSpec {
  /** Percent for the new revision. */
  latest: number;
  /** Percent per named revision. */
  revisions: { revision: string; percent: number }[];
}

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

/** Parses `latest=N` and `<revision>=N` items (see the module comment). */
export function parseTraffic(items: readonly string[]): TrafficSpec {
  const spec: TrafficSpec = { latest: 0, revisions: [] };
  let sawLatest = false;
  for (const item of items) {
    const match = /^([a-z][-a-z0-9]*|LATEST)=(\d{1,3})%?$/.exec(item);
    const percent = match ? Number(match[2]) : Number.NaN;
    if (!match || percent > 100) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `--traffic expects latest=N or <revision>=N (0-100), got "${item}"`,
        {
          hint: 'e.g. --traffic latest=10 (a canary: 10% to the new revision, 90% stays where it is)',
        },
      );
    }
    const target = (match[1] as string).toLowerCase();
    if (target === 'latest') {
      spec.latest = percent;
      sawLatest = true;
    } else spec.revisions.push({ revision: match[1] as string, percent });
  }
  if (!sawLatest) {
    throw new MlopsError('MLOPS_ERR_USAGE', '--traffic must say what the new revision gets (latest=N)', {
      hint: 'e.g. --traffic latest=10, or latest=0,shoes-00004-abc=100 to deploy without traffic',
    });
  }
  const total = spec.latest + spec.revisions.reduce((sum, r) => sum + r.percent, 0);
  if (total > 100 || (spec.revisions.length > 0 && total !== 100)) {
    throw new MlopsError('MLOPS_ERR_USAGE', `--traffic percentages add up to ${total}, not 100`, {
      hint: 'Name every revision that keeps traffic, or give only latest=N to keep the rest where it is.',
    });
  }
  return spec;
}

/** The Service.traffic of this deploy, given the service as it is (undefined when new). */
export function resolveTraffic(
  spec: TrafficSpec | undefined,
  current: CurrentService | undefined,
): CloudRunTrafficTarget[] {
  const tags = taggedRevisions(current);
  if (!spec || (spec.latest === 100 && spec.revisions.length === 0)) {
    return [
      { type: LATEST, percent: 100 },
      ...[...tags].map(([revision, tag]) => ({ type: REVISION, percent: 0, revision, tag }) as const),
    ];
  }
  let split = spec.revisions;
  if (split.length === 0) {
    const serving = servingRevisions(current);
    if (serving.size === 0) {
      throw new MlopsError(
        'MLOPS_ERR_USAGE',
        `--traffic latest=${spec.latest} leaves ${100 - spec.latest}% for revisions serving now, and none is`,
        {
          hint: 'The first deploy of a service sends all traffic to it: drop --traffic (or pass latest=100).',
        },
      );
    }
    split = apportion(serving, 100 - spec.latest);
  }
  const targets: CloudRunTrafficTarget[] = [{ type: LATEST, percent: spec.latest }];
  for (const { revision, percent } of split) {
    const tag = tags.get(revision);
    targets.push({ type: REVISION, percent, revision, ...(tag ? { tag } : {}) });
    tags.delete(revision);
  }
  for (const [revision, tag] of tags) targets.push({ type: REVISION, percent: 0, revision, tag });
  return targets.filter((t) => t.percent > 0 || t.tag || t.type === LATEST);
}

/** Revision → percent now (a LATEST target counts for the latest ready revision). */
function servingRevisions(current: CurrentService | undefined): Map<string, number> {
  const serving = new Map<string, number>();
  const statuses = current?.trafficStatuses ?? current?.traffic ?? [];
  for (const status of statuses) {
    const revision = status.type === LATEST ? current?.latestReadyRevision : status.revision;
    if (!revision || !status.percent) continue;
    serving.set(revision, (serving.get(revision) ?? 0) + status.percent);
  }
  return serving;
}

function taggedRevisions(current: CurrentService | undefined): Map<string, string> {
  const tags = new Map<string, string>();
  for (const target of current?.traffic ?? []) {
    if (target.tag && target.revision && target.type === REVISION) tags.set(target.revision, target.tag);
  }
  return tags;
}

/** Splits `total` over the revisions in proportion to their share now (largest remainders). */
function apportion(serving: Map<string, number>, total: number): { revision: string; percent: number }[] {
  const sum = [...serving.values()].reduce((a, b) => a + b, 0);
  const shares = [...serving].map(([revision, now]) => {
    const exact = (now / sum) * total;
    return { revision, now, percent: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = total - shares.reduce((a, s) => a + s.percent, 0);
  // Largest remainders first; on a tie, the revision serving more now.
  for (const share of [...shares].sort((a, b) => b.rest - a.rest || b.now - a.now)) {
    if (left <= 0) break;
    share.percent += 1;
    left -= 1;
  }
  return shares.map(({ revision, percent }) => ({ revision, percent }));
}
