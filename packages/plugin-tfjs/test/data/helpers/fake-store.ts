// One fake store for both packages' tests: core's (it writes stable-JSON manifests like the real store).
export { FakeStore } from '../../../../core/test/data/helpers/fake-store.js';
