// tsyringe throws at import time unless the Reflect metadata polyfill is loaded first; importing it
// here, in the only module that imports tsyringe's runtime, keeps that order in any bundle.
import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';

/** A fresh child of tsyringe's root container: one per pipeline, so runs never share services. */
export function createPipelineContainer(): DependencyContainer {
  return container.createChildContainer();
}
