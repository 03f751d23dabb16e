/**
 * `mlops data push [manifest]` and `mlops data pull [manifest] [--checkout]`, nested under core's
 * `data` group. Without a manifest they act on every `*.mlops-data.json` of the project.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { DATA_MANIFEST_SUFFIX, dataCheckout, MlopsError, type PluginCommand } from '@mlops/core';
import { type DataTransferResult, pullDataVersion, pushDataVersion } from '../data/data-remote.js';
import type { GcpContext } from '../gcp-context.js';

/** The two commands, bound to the plugin's resources. */
export function dataSyncCommands(context: GcpContext): PluginCommand[] {
  return [
    {
      name: 'data push [manifest]',
      description:
        'upload a data version (default: every *.mlops-data.json) to store.remote, only what is missing',
      action: async (args) => {
        const remote = context.remoteStore('mlops data push');
        const results: DataTransferResult[] = [];
        for (const manifest of await manifestsFor(args[0], context.config.root)) {
          results.push(await pushDataVersion(manifest, remote));
        }
        return results;
      },
    },
    {
      name: 'data pull [manifest]',
      description:
        'download a data version (default: every *.mlops-data.json) from store.remote, only what is missing',
      options: [
        ['--checkout', 'then restore the folder beside the manifest (mlops data checkout)'],
        ['--force', 'with --checkout: replace files that are not saved in the store'],
      ],
      action: async (args, options) => {
        const remote = context.remoteStore('mlops data pull');
        const results: (DataTransferResult & { checkedOut?: string })[] = [];
        for (const manifest of await manifestsFor(args[0], context.config.root)) {
          const pulled = await pullDataVersion(manifest, remote);
          if (options.checkout) {
            const restored = await dataCheckout(manifest, remote.cache, undefined, {
              force: options.force === true,
            });
            results.push({ ...pulled, checkedOut: restored.dest });
          } else results.push(pulled);
        }
        return results;
      },
    },
  ];
}

/** The manifest given, or every manifest under the project root (skipping dot-folders and node_modules). */
async function manifestsFor(given: string | undefined, root: string): Promise<string[]> {
  if (given) return [resolve(process.cwd(), given)];
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name.endsWith(DATA_MANIFEST_SUFFIX)) found.push(path);
      else if (entry.isDirectory() && depth < 3) await walk(path, depth + 1);
    }
  };
  await walk(root, 0);
  if (found.length === 0) {
    throw new MlopsError('MLOPS_ERR_USAGE', `no *${DATA_MANIFEST_SUFFIX} manifest found under ${root}`, {
      hint: 'Name one (`mlops data push data/train.mlops-data.json`) or record a folder first with `mlops data add <dir>`.',
    });
  }
  return found.sort((a, b) => relative(root, a).localeCompare(relative(root, b)));
}
