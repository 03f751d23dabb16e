/** Inference for serving: the tfjs `Runtime` and image decoding for request bodies. */
export {
  type DecodeImageBytesOptions,
  decodeImageBytes,
  preprocessImage,
  TFJS_ARTIFACT,
  TfjsRuntime,
  type TfjsRuntimeOptions,
} from './tfjs-runtime.js';
