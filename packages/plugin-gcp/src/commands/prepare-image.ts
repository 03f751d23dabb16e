import type { Logger } from '@mlops/core';
import {
  ensureProjectImage,
  type ProjectImagePlan,
  type ProjectImageResult,
} from '../build/project-image.js';
import { checkSecretsExist, type SecretRef } from '../deploy/secrets.js';
import type { GcpContext } from '../gcp-context.js';
import { withCancelOnInterrupt } from './interrupt.js';

/**
 * The shared first steps of `mlops deploy` and `mlops vertex train`: check that every secret the
 * workload reads exists — before a build of several minutes — then build the project image when a
 * `plan` asks for one (Ctrl-C cancels the build). Undefined when the user brought an `--image`.
 */
export async function checkSecretsThenBuild(
  context: GcpContext,
  secrets: readonly SecretRef[],
  plan: ProjectImagePlan | undefined,
  options: { logger: Logger; rebuild: boolean },
): Promise<ProjectImageResult | undefined> {
  if (secrets.length)
    await checkSecretsExist(context.apiClient(), secrets, context.endpoint('secretManager'));
  if (!plan) return undefined;
  return withCancelOnInterrupt('the image build', (signal) =>
    ensureProjectImage(context, plan, { logger: options.logger, rebuild: options.rebuild, signal }),
  );
}
