/**
 * The web page served at `/ui/`: one self-contained HTML document (inline CSS and script, no
 * external assets, no framework). It reads `/about/` and `/v1/models/:name` for the model's
 * name, aliases, version and metrics, and sends a picked or dropped image to
 * `/v1/models/:name/predict` as multipart, showing the top classes as bars. Labels and messages
 * are inserted with `textContent` only, so a model's labels cannot inject markup.
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
  <div id="results" aria-live="polite"></div>
</div>

<p class="muted">API docs: <a href="../docs">/docs</a> · metrics: <a href="../metrics">/metrics</a></p>

<script>
(() => {
  const $ = (id) => document.getElementById(id);
  let model = '';
  let detail = null;

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
      if (aliases.length === 0) showError('No alias points at a version of this model yet.');
    } catch (error) {
      $('model-line').textContent = '';
      showError('Cannot read the model: ' + error.message);
    }
  }

  function render(prediction) {
    const results = $('results');
    results.textContent = '';
    for (const { label, probability } of prediction.top) {
      const row = document.createElement('div');
      row.className = 'row';
      row.dataset.label = label;
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

  async function classify(file) {
    showError('');
    $('results').textContent = '';
    const preview = $('preview');
    preview.src = URL.createObjectURL(file);
    preview.style.display = 'block';
    const form = new FormData();
    form.append('image_file', file, file.name || 'image');
    const query = '?topk=5&alias=' + encodeURIComponent($('alias').value || 'production');
    try {
      const body = await getJson('../v1/models/' + encodeURIComponent(model) + '/predict' + query, { method: 'POST', body: form });
      render(body.predictions[0]);
      $('version').textContent = 'version ' + body.version;
    } catch (error) {
      showError(error.message);
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
  $('alias').addEventListener('change', showVersion);
  load();
})();
</script>
</body>
</html>
`;

/**
 * Content-Security-Policy of the page: everything from this server only (inline style and
 * script are the page itself; `blob:` is the preview of the picked image).
 */
export const UI_CSP =
  "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'";
