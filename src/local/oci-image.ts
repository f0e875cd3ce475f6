import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { cp, mkdir, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { KafkaplaneError } from '../core/errors.ts'
import { cacheDir } from './paths.ts'

const run = promisify(execFile)

/** One thing put into an image's root filesystem. */
export type ImageEntry =
  /** A file or directory tree of this machine, copied (symlinks kept as they are). */
  | { kind: 'copy'; from: string; to: string }
  /** A tar file unpacked at the root (a base root filesystem), owners and modes kept. */
  | { kind: 'tar'; from: string }
  /** A file with this content. */
  | { kind: 'file'; to: string; content: string; mode?: number }
  /** A symbolic link `to` -> `target`. */
  | { kind: 'link'; to: string; target: string }
  | { kind: 'dir'; to: string; mode?: number }
  /**
   * A command run in the root filesystem as it is by then (a Dockerfile RUN): chrooted into it, as root,
   * with `env` alone, in network (loopback only), mount and pid namespaces of its own (its /proc, gone
   * with it); needs root, `unshare` and `ip`. A command that fails fails the build, with its last words.
   */
  | { kind: 'run'; command: readonly string[]; env?: Readonly<Record<string, string>> }

/** What an OCI image is made of: its name and tag, root filesystem and config. */
export interface ImageRecipe {
  /** Repository name as containerd will know it, e.g. `docker.io/local/kafkaplane` or `registry.k8s.io/pause`. */
  name: string
  tag: string
  entries: readonly ImageEntry[]
  entrypoint: readonly string[]
  cmd?: readonly string[]
  env?: Readonly<Record<string, string>>
  workdir?: string
  /** `uid:gid`; default root. */
  user?: string
}

export interface BuiltImage {
  /** `name:tag` */
  reference: string
  /** An OCI image layout as a tar file (what `ctr images import` reads). */
  tarFile: string
  /** Size of the tar file: bytes. */
  bytes: number
  /** The hash of the recipe and of every input file's content: the cache key. */
  contentHash: string
  /** True when the tar came from the cache. */
  cached: boolean
  /** How long the build (or the cache look-up) took: milliseconds. */
  tookMs: number
}

/**
 * Builds an OCI image without a container engine or registry, with umoci (Debian package, installed by
 * scripts/install-bed-packages.sh):
 * 1. Hash the recipe and the content of every input file (the cache key).
 * 2. When `$KAFKAPLANE_CACHE/images/<name>-<tag>-<hash>.tar` exists, return it (a new build removes the
 *    older tars of the same name and tag).
 * 3. Else `umoci init` a layout, `umoci new` an empty image, `umoci unpack` it into a bundle, fill the
 *    bundle's rootfs with the entries (and run the `run` ones in it, in order), `umoci repack` (one
 *    layer), `umoci config` the entrypoint, env,
 *    working dir and user, tar the layout and move it into the cache.
 * The result is imported into a node's containerd with `ctr -n k8s.io images import --base-name NAME`.
 */
export async function buildImage(recipe: ImageRecipe, options: { cache?: string } = {}): Promise<BuiltImage> {
  const started = performance.now()
  const reference = `${recipe.name}:${recipe.tag}`
  const contentHash = await recipeHash(recipe)
  const cache = join(options.cache ?? cacheDir(), 'images')
  const stem = `${recipe.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${recipe.tag}-`
  const tarFile = join(cache, `${stem}${contentHash.slice(0, 16)}.tar`)
  if (existsSync(tarFile)) {
    return { reference, tarFile, bytes: (await stat(tarFile)).size, contentHash, cached: true, tookMs: Math.round(performance.now() - started) }
  }
  await mkdir(cache, { recursive: true })
  const work = `${tarFile}.tmp.${process.pid}`
  await rm(work, { recursive: true, force: true })
  try {
    const layout = join(work, 'layout')
    const bundle = join(work, 'bundle')
    const image = `${layout}:${recipe.tag}`
    await umoci(['init', '--layout', layout])
    await umoci(['new', '--image', image])
    await umoci(['unpack', '--image', image, bundle])
    const rootfs = join(bundle, 'rootfs')
    let wholeSeconds = false
    for (const entry of recipe.entries) {
      // What a `run` command sees must be what the image holds: the layer keeps times to the second
      // (umoci rounds them), and a JVM's class data archive checks its jars' times against its own.
      if (entry.kind === 'run' && !wholeSeconds) {
        await truncateTimes(rootfs)
        wholeSeconds = true
      }
      await place(rootfs, entry)
    }
    await umoci(['repack', '--image', image, bundle])
    await umoci([
      'config', '--image', image, '--no-history',
      ...recipe.entrypoint.flatMap((arg) => ['--config.entrypoint', arg]),
      ...(recipe.cmd ?? []).flatMap((arg) => ['--config.cmd', arg]),
      ...Object.entries(recipe.env ?? {}).flatMap(([k, v]) => ['--config.env', `${k}=${v}`]),
      ...(recipe.workdir ? ['--config.workingdir', recipe.workdir] : []),
      ...(recipe.user ? ['--config.user', recipe.user] : []),
    ])
    await umoci(['gc', '--layout', layout])
    await run('tar', ['-C', layout, '-cf', `${work}.tar`, '.'], { maxBuffer: 1 << 20 })
    await rename(`${work}.tar`, tarFile)
    // older builds of the same name and tag are not used again
    for (const old of await readdir(cache)) {
      if (old.startsWith(stem) && /^[0-9a-f]{16}\.tar$/.test(old.slice(stem.length)) && join(cache, old) !== tarFile) await rm(join(cache, old), { force: true })
    }
  } finally {
    await rm(work, { recursive: true, force: true })
    await rm(`${work}.tar`, { force: true })
  }
  return { reference, tarFile, bytes: (await stat(tarFile)).size, contentHash, cached: false, tookMs: Math.round(performance.now() - started) }
}

async function place(rootfs: string, entry: ImageEntry): Promise<void> {
  if (entry.kind === 'run') {
    const env = Object.entries(entry.env ?? {}).map(([k, v]) => `${k}=${v}`)
    // The host's sh and ip bring the new namespace's loopback up; then the command runs chrooted.
    const script = 'ip link set lo up && exec chroot "$0" env -i "$@"'
    try {
      await run('unshare', ['--net', '--mount', '--pid', '--fork', `--mount-proc=${join(rootfs, 'proc')}`, 'sh', '-c', script, rootfs, ...env, ...entry.command], { timeout: 900_000, maxBuffer: 16 << 20 })
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string }
      const words = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')
      throw new KafkaplaneError('IMAGE_BUILD_FAILED', `${entry.command.join(' ')}, run in the image's root filesystem, failed: ${e.code === 'ENOENT' ? 'unshare is not installed' : words || e.message}`, {
        fix: process.getuid?.() === 0 ? 'read its last words; `ip` is in Debian\'s iproute2 (scripts/install-bed-packages.sh)' : 'build the image as root (the Kubernetes test bed runs as root)',
      })
    }
    return
  }
  if (entry.kind === 'tar') {
    await run('tar', ['-xf', entry.from, '-C', rootfs, '--same-owner', '--same-permissions', '--numeric-owner'], { maxBuffer: 16 << 20 })
    return
  }
  const to = join(rootfs, entry.to)
  await mkdir(dirname(to), { recursive: true })
  switch (entry.kind) {
    case 'copy':
      await cp(entry.from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
      return
    case 'file':
      await writeFile(to, entry.content, { mode: entry.mode ?? 0o644 })
      return
    case 'link':
      await symlink(entry.target, to)
      return
    case 'dir':
      await mkdir(to, { recursive: true, mode: entry.mode ?? 0o755 })
      return
  }
}

/** Every file's and directory's modification time under `dir`, down to the whole second (symlinks left alone). */
async function truncateTimes(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isSymbolicLink()) continue
    const path = join(entry.parentPath, entry.name)
    const { mtimeMs } = await stat(path)
    const whole = Math.floor(mtimeMs / 1000)
    if (whole * 1000 !== mtimeMs) await utimes(path, whole, whole)
  }
}

/**
 * sha256 over the recipe (JSON) and, for every copied path, each file's relative path and content. Where
 * an input lies on this machine is left out: the same sources in another checkout (a clean clone, a
 * worktree) make the same image, so it is built once.
 */
export async function recipeHash(recipe: ImageRecipe): Promise<string> {
  const hash = createHash('sha256')
  hash.update(JSON.stringify({ ...recipe, entries: recipe.entries.map((e) => (e.kind === 'copy' ? { kind: e.kind, to: e.to } : e.kind === 'tar' ? { kind: e.kind } : e)) }))
  for (const entry of recipe.entries) {
    if (entry.kind === 'copy' || entry.kind === 'tar') await hashTree(hash, entry.from, '')
  }
  return hash.digest('hex')
}

async function hashTree(hash: ReturnType<typeof createHash>, path: string, relative: string): Promise<void> {
  const info = await stat(path).catch(() => undefined)
  if (!info) {
    throw new KafkaplaneError('IMAGE_INPUT_MISSING', `${path}, an input of the image, does not exist`, { fix: 'build or fetch it first' })
  }
  hash.update(`\0${relative}\0${info.mode}\0`)
  if (info.isDirectory()) {
    for (const name of (await readdir(path)).sort()) await hashTree(hash, join(path, name), `${relative}/${name}`)
    return
  }
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
}

async function umoci(args: string[]): Promise<void> {
  try {
    await run('umoci', args, { timeout: 600_000, maxBuffer: 16 << 20 })
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new KafkaplaneError('UMOCI_MISSING', 'umoci is not installed; it builds the OCI images of the Kubernetes test bed', {
        fix: 'run scripts/install-bed-packages.sh (Debian: apt-get install umoci)',
      })
    }
    throw new KafkaplaneError('IMAGE_BUILD_FAILED', `umoci ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`, {
      fix: 'read the umoci error; the image cache is under $KAFKAPLANE_CACHE/images',
    })
  }
}
