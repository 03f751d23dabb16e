/**
 * Datasets: ImageFolder scanning, class maps, data version manifests (`mlops data add|status|
 * checkout`) and core's default data stage.
 */
export { localCacheDir } from './cache-dir.js';
export { type ClassMap, loadClassMap } from './class-map.js';
export { CLASSES_FILE, type ClassesFile, makeClassesFile, readClassesFile } from './classes-file.js';
export {
  DATA_MANIFEST_SUFFIX,
  type DataAddOptions,
  type DataAddResult,
  type DataCheckoutOptions,
  type DataCheckoutResult,
  type DataStatus,
  dataAdd,
  dataCheckout,
  dataStatus,
  defaultManifestPath,
} from './data-commands.js';
export {
  createDataManifest,
  DATA_MANIFEST_FORMAT,
  type DataManifest,
  type DataManifestDiff,
  type DataManifestFile,
  type DataManifestOptions,
  diffDataManifest,
  readDataManifest,
  writeDataManifest,
} from './data-manifest.js';
export { runDataStage } from './data-stage.js';
export { type DatasetTreeEntry, datasetTreeEntries } from './dataset-tree.js';
export { type FileDigest, FileHashCache } from './file-hash-cache.js';
export { toFolderName, uniqueFolderNames } from './folder-name.js';
export { imageFolderSource } from './image-folder-source.js';
export { type InspectImagesOptions, inspectImages } from './inspect-images.js';
export { InspectionCache, type InspectionResult } from './inspection-cache.js';
export {
  createPixelPreprocessing,
  type PixelPreprocessing,
  pixelPreprocessing,
} from './preprocess-pixels.js';
export {
  type ClassMapSource,
  IMAGE_EXTENSIONS,
  type ScannedImage,
  type ScanOptions,
  type ScanResult,
  scanImageFolder,
} from './scan-image-folder.js';
export { type PutTreeMemoizedOptions, putTreeMemoized } from './tree-memo.js';
