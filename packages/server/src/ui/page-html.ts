import { createPixelPreprocessing } from '@mlops/core';

/**
 * The comments around the inlined pixel preprocessing in {@link UI_HTML}, so a test can take the
 * page's own copy of the code out and run it.
 */
export const PIXEL_PREPROCESSING_MARKERS = [
  '/* <pixel-preprocessing> */',
  '/* </pixel-preprocessing> */',
] as const;

/**
 * The web page served at `/ui/`: one self-contained HTML document (inline CSS and script, no
 * external assets, no framework). It reads `/about/` and `/v1/models/:name` for the model's
 * name, aliases, version and metrics, and sends a picked, dropped or sample image to
 * `/v1/models/:name/predict` as multipart, showing the top classes as bars. Beside the server's
 * answer it runs the same version's ONNX artifact in the browser with onnxruntime-web (wasm,
 * loaded from this server's `/ui/ort/`), with the runtimes' own preprocessing (core's
 * `createPixelPreprocessing`, inlined from its source between the
 * {@link PIXEL_PREPROCESSING_MARKERS}), and shows both timings and the largest probability
 * difference. Sample images of the version's evaluation split come from
 * `/v1/models/:name/samples`. Labels and messages are inserted with `textContent` only, so a
 * model's labels cannot inject markup.
 */
export const UI_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlops · try the model</title>
<style>
  :root { color-scheme: light dark; --accent: #2f6fde; --muted: #7a7f87; --line: #d0d4da; }
  * { box-sizing: border-box; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 760px; padding: 24px 16px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  .muted { color: var(--muted); }
  .card { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
  #drop { border: 2px dashed var(--line); border-radius: 8px; padding: 28px; text-align: center; cursor: pointer; }
  #drop.over { border-color: var(--accent); background: rgba(47, 111, 222, 0.08); }
  #preview { max-width: 160px; max-height: 160px; display: none; margin: 10px auto 0; image-rendering: pixelated; }
  table.metrics { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  table.metrics td { padding: 1px 12px 1px 0; }
  .row { display: grid; grid-template-columns: 140px 1fr 64px; gap: 10px; align-items: center; margin: 6px 0; }
  .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .track { background: rgba(127, 127, 127, 0.18); border-radius: 4px; height: 16px; }
  .bar { background: var(--accent); border-radius: 4px; height: 100%; width: 0; }
  .pct { text-align: right; font-variant-numeric: tabular-nums; }
  #error { color: #c62828; display: none; }
  select { font: inherit; }
  .columns { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
  @media (max-width: 640px) { .columns { grid-template-columns: 1fr; } .row { grid-template-columns: 100px 1fr 56px; } }
  .columns h2 { font-size: 15px; margin: 10px 0 2px; }
  .timing { font-variant-numeric: tabular-nums; }
  #samples { display: flex; flex-wrap: wrap; gap: 8px; }
  #samples button { border: 1px solid var(--line); border-radius: 6px; background: none; padding: 4px; cursor: pointer; font: inherit; font-size: 12px; }
  #samples img { display: block; width: 56px; height: 56px; object-fit: contain; image-rendering: pixelated; margin: 0 auto 2px; }
  #samples-card { display: none; }
</style>
</head>
<body>
<h1>Try <span id="model-name">the model</span></h1>
<div class="muted" id="model-line">loading…</div>

<div class="card">
  <label>Alias <select id="alias"></select></label>
  <span class="muted" id="version"></span>
  <table class="metrics" id="metrics"></table>
</div>

<div class="card">
  <div id="drop" tabindex="0">Drop an image here, or click to pick one (PNG, JPEG, WebP, SVG)
    <input type="file" id="file" accept="image/png,image/jpeg,image/webp,image/svg+xml" hidden>
    <img id="preview" alt="uploaded image">
  </div>
  <p id="error" role="alert"></p>
  <div class="columns">
    <div>
      <h2>Server</h2>
      <div class="muted timing" id="server-time"></div>
      <div id="results" aria-live="polite"></div>
    </div>
    <div>
      <h2>In this browser <span class="muted">(onnxruntime-web)</span></h2>
      <div class="muted timing" id="browser-time"></div>
      <div id="browser-results"></div>
      <p class="muted" id="browser-note"></p>
    </div>
  </div>
  <p class="muted timing" id="parity"></p>
</div>

<div class="card" id="samples-card">
  <div class="muted" id="samples-line">Sample images</div>
  <div id="samples"></div>
</div>

<p class="muted">API docs: <a href="../docs">/docs</a> · metrics: <a href="../metrics">/metrics</a></p>

<script>
(() => {
  const $ = (id) => document.getElementById(id);
  // @mlops/core's one pixel preprocessing (the runtimes' and training's), from its source text.
  const pixels = ${PIXEL_PREPROCESSING_MARKERS[0]}(${createPixelPreprocessing.toString()})()${PIXEL_PREPROCESSING_MARKERS[1]};
  let model = '';
  let detail = null;
  /** The ONNX model of one version for the browser: its description and session, loaded once. */
  const webModels = new Map();
  let ortModule = null;

  function showError(message) {
    $('error').textContent = message;
    $('error').style.display = message ? 'block' : 'none';
  }

  async function getJson(url, init) {
    const res = await fetch(url, init);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.message || res.status + ' ' + res.statusText);
    return body;
  }

  const modelUrl = () => '../v1/models/' + encodeURIComponent(model);
  const aliasVersion = () => detail && detail.aliases[$('alias').value];
  const ms = (t) => (t < 10 ? t.toFixed(2) : t.toFixed(1)) + ' ms';

  function showVersion() {
    const alias = $('alias').value;
    const table = $('metrics');
    table.textContent = '';
    const number = detail && detail.aliases[alias];
    const version = detail && detail.versions.find((v) => v.version === number);
    $('version').textContent = version ? 'version ' + version.version + ' · ' + version.createdAt.slice(0, 19).replace('T', ' ') : '';
    if (!version) return;
    const entries = Object.entries(version.metrics).filter(([k]) => !k.startsWith('auc/')).slice(0, 8);
    for (const [key, value] of entries) {
      const tr = table.insertRow();
      tr.insertCell().textContent = key;
      tr.insertCell().textContent = typeof value === 'number' ? value.toFixed(4) : String(value);
    }
  }

  async function showSamples() {
    const box = $('samples');
    box.textContent = '';
    $('samples-card').style.display = 'none';
    const number = aliasVersion();
    if (number === undefined) return;
    try {
      const body = await getJson(modelUrl() + '/samples?version=' + number);
      if (body.samples.length === 0 || aliasVersion() !== number) return;
      $('samples-line').textContent = 'Sample images of the ' + body.split + ' split (click one)';
      for (const sample of body.samples) {
        const url = modelUrl() + '/versions/' + number + '/samples/' + sample.index;
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.label = sample.label;
        button.title = sample.path;
        const img = document.createElement('img');
        img.src = url;
        img.alt = sample.label;
        const caption = document.createElement('span');
        caption.textContent = sample.label;
        button.append(img, caption);
        button.addEventListener('click', async () => {
          const res = await fetch(url);
          const blob = await res.blob();
          classify(new File([blob], sample.path.split('/').pop(), { type: sample.mediaType }));
        });
        box.append(button);
      }
      $('samples-card').style.display = 'block';
    } catch (error) {
      // Samples are an extra: the page works without them.
    }
  }

  async function load() {
    try {
      const about = await getJson('../about/');
      model = about.model_name;
      $('model-name').textContent = model;
      detail = await getJson('../v1/models/' + encodeURIComponent(model));
      const aliases = Object.keys(detail.aliases).sort((a, b) => (a === 'production' ? -1 : b === 'production' ? 1 : a.localeCompare(b)));
      for (const alias of aliases) $('alias').add(new Option(alias + ' → v' + detail.aliases[alias], alias));
      $('model-line').textContent = detail.versions.length + ' version(s) in the registry';
      showVersion();
      showSamples();
      if (aliases.length === 0) showError('No alias points at a version of this model yet.');
    } catch (error) {
      $('model-line').textContent = '';
      showError('Cannot read the model: ' + error.message);
    }
  }

  function render(target, top) {
    const results = $(target);
    results.textContent = '';
    for (const { label, probability } of top) {
      const row = document.createElement('div');
      row.className = 'row';
      row.dataset.label = label;
      row.dataset.probability = String(probability);
      const name = document.createElement('span');
      name.className = 'label';
      name.textContent = label;
      name.title = label;
      const track = document.createElement('div');
      track.className = 'track';
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = (probability * 100).toFixed(2) + '%';
      track.append(bar);
      const pct = document.createElement('span');
      pct.className = 'pct';
      pct.textContent = (probability * 100).toFixed(1) + '%';
      row.append(name, track, pct);
      results.append(row);
    }
  }

  /**
   * Whether this server has onnxruntime-web (an optional dependency): its module is there, or a
   * coded 404 whose message says how to install it; that one line is then all the browser column
   * shows, and the page works with the server's answer only.
   */
  let ortMissing = '';
  const ortChecked = (async () => {
    try {
      const url = './ort/ort.wasm.min.mjs';
      if ((await fetch(url, { method: 'HEAD' })).status !== 404) return;
      const body = await (await fetch(url)).json().catch(() => ({}));
      ortMissing = body.code === 'MLOPS_SRV_ERR_WEB_RUNTIME_MISSING' ? body.message : '';
      $('browser-note').textContent = ortMissing;
    } catch (error) {
      // Unreachable now: the first prediction says why, if it still is.
    }
  })();

  /** onnxruntime-web's wasm build, from this server; one thread (no cross-origin isolation needed). */
  async function loadOrt() {
    if (!ortModule) {
      const ort = await import('./ort/ort.wasm.min.mjs');
      ort.env.wasm.wasmPaths = new URL('./ort/', document.baseURI).href;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      ortModule = ort;
    }
    return ortModule;
  }

  /** The version's ONNX model in the browser, or { reason } when it has none. */
  function webModel(version) {
    let entry = webModels.get(version);
    if (!entry) {
      entry = (async () => {
        const info = await getJson(modelUrl() + '/web-model?version=' + version);
        if (!info.format) return { reason: info.reason };
        const started = performance.now();
        const ort = await loadOrt();
        const res = await fetch(modelUrl() + '/versions/' + version + '/artifacts/' + info.format);
        if (!res.ok) throw new Error('cannot download the ' + info.format + ' file (' + res.status + ')');
        const bytes = new Uint8Array(await res.arrayBuffer());
        const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
        return { info, ort, session, bytes: bytes.length, loadMs: performance.now() - started };
      })();
      entry.catch(() => webModels.delete(version));
      webModels.set(version, entry);
    }
    return entry;
  }

  /** Decodes the file with the browser's own decoder, as stored: no colour management, no premultiplied alpha. */
  async function decodePixels(file) {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    bitmap.close();
    return { data, width: canvas.width, height: canvas.height };
  }

  /** Runs the version's ONNX model on the file in this browser; all probabilities by label. */
  async function predictInBrowser(file, version) {
    const loaded = await webModel(version);
    if (loaded.reason) return loaded;
    const { info, ort, session } = loaded;
    const started = performance.now();
    const image = await decodePixels(file);
    const decoded = performance.now();
    const pre = info.preprocessing;
    let x = pixels.preprocess(image.data, image.width, image.height, 4, pre);
    const [height, width, modelChannels] = info.inputShape || [pre.size, pre.size, pre.channels];
    if (modelChannels !== pre.channels) {
      // A gray pipeline feeding an RGB graph: repeat the channel, as the server's runtimes do.
      const repeated = new Float32Array(x.length * modelChannels);
      for (let i = 0; i < x.length; i++) repeated.fill(x[i], i * modelChannels, (i + 1) * modelChannels);
      x = repeated;
    }
    const input = new ort.Tensor('float32', x, [1, height, width, modelChannels]);
    const output = await session.run({ [session.inputNames[0]]: input });
    const probabilities = output[session.outputNames[0]].data;
    const done = performance.now();
    const byLabel = {};
    info.labels.forEach((label, i) => { byLabel[label] = probabilities[i]; });
    return { info, byLabel, ms: done - started, decodeMs: decoded - started, loadMs: loaded.loadMs, bytes: loaded.bytes };
  }

  async function predictOnServer(file, version, topk) {
    const form = new FormData();
    form.append('image_file', file, file.name || 'image');
    const query = '?topk=' + topk + (version !== undefined ? '&version=' + version : '&alias=' + encodeURIComponent($('alias').value || 'production'));
    const started = performance.now();
    const body = await getJson(modelUrl() + '/predict' + query, { method: 'POST', body: form });
    return { body, ms: performance.now() - started };
  }

  async function classify(file) {
    showError('');
    for (const id of ['results', 'browser-results', 'server-time', 'browser-time', 'browser-note', 'parity']) $(id).textContent = '';
    $('parity').removeAttribute('data-max-diff');
    const preview = $('preview');
    preview.src = URL.createObjectURL(file);
    preview.style.display = 'block';
    // Both sides answer for the same version: the one the alias points at now.
    const version = aliasVersion();
    const registered = detail && detail.versions.find((item) => item.version === version);
    // Every class from the server (not only the top 5), so the two answers compare in full.
    const classes = registered && Array.isArray(registered.metadata.labels) ? registered.metadata.labels.length : 5;
    // Both requests run at once and are awaited in turn below: mark them handled now, so a rejection
    // that comes before its await is not also logged as an unhandled rejection.
    const started = (promise) => { promise.catch(() => {}); return promise; };
    const server = started(predictOnServer(file, version, Math.min(1000, Math.max(5, classes))));
    await ortChecked;
    if (ortMissing) $('browser-note').textContent = ortMissing;
    const browser = ortMissing
      ? Promise.resolve({ missing: true })
      : version === undefined
        ? Promise.resolve({ reason: 'no version to run' })
        : started(predictInBrowser(file, version));
    let serverTop = null;
    try {
      const { body, ms: took } = await server;
      serverTop = body.predictions[0].top;
      render('results', serverTop.slice(0, 5));
      $('server-time').textContent = 'round trip ' + ms(took) + (body.runtime ? ' · ' + body.runtime : '');
      $('version').textContent = 'version ' + body.version;
    } catch (error) {
      showError(error.message);
    }
    try {
      const result = await browser;
      if (result.missing) return;
      if (result.reason) {
        $('browser-note').textContent = 'Not run in the browser: ' + result.reason;
        return;
      }
      const top = Object.entries(result.byLabel)
        .map(([label, probability]) => ({ label, probability }))
        .sort((a, b) => b.probability - a.probability)
        .slice(0, 5);
      render('browser-results', top);
      $('browser-time').textContent = 'decode + preprocess + inference ' + ms(result.ms) + ' · ' + result.info.format +
        ' (' + (result.bytes / 1048576).toFixed(2) + ' MB, loaded in ' + ms(result.loadMs) + ')';
      if (serverTop) {
        let diff = 0;
        let compared = 0;
        for (const { label, probability } of serverTop) {
          if (result.byLabel[label] === undefined) continue;
          diff = Math.max(diff, Math.abs(result.byLabel[label] - probability));
          compared++;
        }
        $('parity').dataset.maxDiff = String(diff);
        $('parity').textContent = 'largest difference between the two: ' + diff.toExponential(1) + ' (' + compared + ' classes)';
      }
    } catch (error) {
      $('browser-note').textContent = 'Not run in the browser: ' + error.message;
    }
  }

  const drop = $('drop');
  drop.addEventListener('click', () => $('file').click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') $('file').click(); });
  $('file').addEventListener('change', () => { const f = $('file').files[0]; if (f) classify(f); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) classify(f);
  });
  $('alias').addEventListener('change', () => { showVersion(); showSamples(); });
  load();
})();
</script>
</body>
</html>
`;

/**
 * Content-Security-Policy of the page: everything from this server only (inline style and
 * script are the page itself; `'self'` scripts are onnxruntime-web's modules under `/ui/ort/`,
 * `'wasm-unsafe-eval'` lets it compile its WebAssembly; `blob:` is the preview of the picked image).
 */
export const UI_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'";
