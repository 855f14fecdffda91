/** The rules stoa's Dockerfile must follow; each returns problems (empty when it holds). */
import { execForm, instructions, stageEnv, type Dockerfile, type Stage } from './dockerfile.js';

const FORBIDDEN_PACKAGES = /^(git|git-core|git-all|go|golang|golang-go|golang-\d[\w.-]*|go\d[\w.-]*)(=\S*)?$/;

function finalStage(df: Dockerfile): Stage | undefined {
  return df.stages[df.stages.length - 1];
}

function runs(stage: Stage): string[] {
  return instructions(stage, 'RUN').map((i) => i.rest);
}

/** Packages named by `apt-get install`, `apk add`, ... in a shell command. */
export function installedPackages(command: string): string[] {
  const out: string[] = [];
  for (const part of command.split(/&&|\|\||;|\|/)) {
    const m = /\b(?:apt-get|apt|apk|yum|dnf|microdnf)\s+(?:-\S+\s+)*(?:install|add)\s+(.*)$/.exec(
      part.trim(),
    );
    if (m === null) continue;
    out.push(...(m[1] ?? '').split(/\s+/).filter((t) => t !== '' && !t.startsWith('-')));
  }
  return out;
}

function npmCi(cmd: string): boolean {
  return /\bnpm\s+ci\b/.test(cmd);
}

export function dockerfileProblems(df: Dockerfile, knownEnv: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const last = finalStage(df);
  if (last === undefined) return ['no FROM'];
  if (df.stages.length < 2) problems.push('not multi-stage');

  for (const s of df.stages) {
    const ref = s.image.replace(/^docker\.io\/(library\/)?/, '');
    const tag = ref.includes('@') ? 'digest' : ref.split(':')[1];
    if (tag === undefined || tag === 'latest')
      problems.push(`stage ${s.index}: base image ${s.image} is not pinned`);
    for (const cmd of runs(s)) {
      const bad = installedPackages(cmd).filter((p) => FORBIDDEN_PACKAGES.test(p));
      if (bad.length > 0) problems.push(`stage ${s.index}: installs ${bad.join(', ')}`);
    }
  }
  if (!/^(docker\.io\/(library\/)?)?node:20([.-]|$)/.test(last.image) || !/slim|alpine/.test(last.image)) {
    problems.push(`runtime base ${last.image} is not a slim Node 20 image`);
  }

  const build = df.stages.slice(0, -1);
  if (!build.some((s) => runs(s).some((c) => npmCi(c) && !c.includes('--omit=dev')))) {
    problems.push('no build stage runs npm ci with dev dependencies');
  }
  if (!build.some((s) => runs(s).some((c) => /\bnpm\s+run\s+build\b/.test(c)))) {
    problems.push('no build stage runs npm run build');
  }
  if (!runs(last).some((c) => npmCi(c) && c.includes('--omit=dev'))) {
    problems.push('runtime stage does not run npm ci --omit=dev');
  }
  const names = new Set(build.flatMap((s) => [String(s.index), ...(s.name === undefined ? [] : [s.name])]));
  const copiesDist = instructions(last, 'COPY').some(
    (i) => names.has(i.flags.from ?? '') && /(^|\/)dist\/?(\s|$)/.test(i.rest),
  );
  if (!copiesDist) problems.push('runtime stage does not copy dist/ from a build stage');

  const user = instructions(last, 'USER').pop()?.rest.split(':')[0]?.trim();
  if (user === undefined) problems.push('runtime stage has no USER (runs as root)');
  else if (user === 'root' || user === '0') problems.push(`runtime USER is ${user}`);

  const exposed = instructions(last, 'EXPOSE').flatMap((i) => i.rest.split(/\s+/));
  if (!exposed.some((p) => p === '3000' || p === '3000/tcp')) problems.push('does not EXPOSE 3000');

  const cmd = instructions(last, 'CMD').pop();
  const argv = cmd === undefined ? undefined : execForm(cmd.rest);
  if (argv === undefined) problems.push('CMD is missing or not in exec form');
  else if (argv[0] !== 'node' || !argv.includes('dist/src/main.js')) {
    problems.push(`CMD ${JSON.stringify(argv)} does not run node dist/src/main.js`);
  }
  if (instructions(last, 'ENTRYPOINT').length > 0)
    problems.push('ENTRYPOINT set: node must be PID 1 via CMD');

  const volumes = instructions(last, 'VOLUME').flatMap((i) => execForm(i.rest) ?? i.rest.split(/\s+/));
  const env = stageEnv(last);
  if (env.STOA_STORAGE_ROOT === undefined || !volumes.includes(env.STOA_STORAGE_ROOT)) {
    problems.push('STOA_STORAGE_ROOT is not set to a VOLUME');
  }
  for (const name of Object.keys(env)) {
    if (!knownEnv.has(name)) problems.push(`ENV ${name} is not a stoa setting`);
  }
  return problems;
}
