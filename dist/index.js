import { mkdtempSync, existsSync, statSync, readdirSync, mkdirSync, linkSync, copyFileSync, constants, writeFileSync, realpathSync, createReadStream, fstatSync, readSync, closeSync, openSync, readFileSync, rmSync, accessSync, chmodSync, renameSync, lstatSync, ftruncateSync, writeSync, readlinkSync, symlinkSync } from 'node:fs';
import path$1 from 'node:path';
import { s as saveState, i as info, w as warning, g as getExecOutput, a as setSecret, c as core, n as notice, b as semverExports, d as debug, e as exec, f as isDebug, h as cp, m as mkdirP, r as rmRF, H as HttpClient, j as startGroup, k as endGroup, l as getIDToken, o as semver, p as which, q as error, t as getInput, u as summary, v as setFailed, x as group, y as setOutput } from './chunks/index-DLVYN93V.js';
import { c as code, t as text, l as link, a as clip$1, f as flat, b as cell } from './chunks/markdown-BQzPEqmq.js';
import { createHash, randomBytes } from 'node:crypto';
import { Transform, Writable, Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import os$1, { availableParallelism } from 'node:os';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import 'child_process';
import * as path from 'path';
import * as stream from 'stream';
import * as util from 'util';
import { ok } from 'assert';
import { e as environmentPage } from './chunks/environment-page-BgPAVXFW.js';
import { a as atOrAbove, S as SEVERITIES, c as countsText, b as countBySeverity, p as platformNote, d as parseSeverity, F as FINDINGS_TABLE_HEADER, f as findingRow, s as scanSection, m as mergePlatformFindings, e as mergeLayerMaps } from './chunks/summary-BvJrpyvc.js';
import { Buffer as Buffer$1 } from 'node:buffer';
import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import 'http';
import 'https';
import './chunks/index-DPHC-cSm.js';
import 'net';
import 'tls';
import 'events';
import 'node:assert';
import 'node:net';
import 'node:util';
import 'node:querystring';
import 'node:events';
import 'node:diagnostics_channel';
import 'node:tls';
import 'node:zlib';
import 'node:perf_hooks';
import 'node:util/types';
import 'node:worker_threads';
import 'node:url';
import 'node:async_hooks';
import 'node:console';
import 'node:dns';
import 'string_decoder';
import 'timers';

// The main step's side of the state it hands the post step (GITHUB_STATE, read back as
// STATE_<name>): every value goes through here, so the main step also knows, when it ends, what
// it left for the post step to finish (a held lock, a rollout under way).
const lastSaved = new Map();
function saveForPost(name, value) {
    lastSaved.set(name, value);
    saveState(name, value);
}
/** The value last saved under `name` in this run ('' when none). */
function savedForPost(name) {
    return lastSaved.get(name) ?? '';
}
/**
 * Saves every name empty first. The runner applies a step's state file when the step ends, over
 * any value a printed `::save-state` line set meanwhile: with every name in the file, nothing
 * printed can add state the post step would read.
 */
function claimEveryState(names) {
    for (const name of names)
        saveForPost(name, '');
}

// The names of the state the orchestrator itself hands the post step (GITHUB_STATE, read back as
// STATE_<name>); each step names its own (Step.states).
var State;
(function (State) {
    /** The private DOCKER_CONFIG folder the post step logs out of and removes. */
    State["DockerConfig"] = "docker-config";
    /** JSON list of the steps' private folders under the runner's temp folder. */
    State["WorkDirs"] = "work-dirs";
})(State || (State = {}));

// The steps' private working folders under the runner's temp folder (the build's image ID and
// metadata files), recorded as they are made so that the post step removes them however the main
// step ended: a cancelled run never gets to its own clean-up. (The scan's folder is not one: it
// holds report-file, an output later steps read.)
const made = [];
/** A new private folder under `tempRoot`, saved for the post step. */
function makeWorkDir(tempRoot, prefix) {
    const dir = mkdtempSync(path$1.join(tempRoot, prefix));
    made.push(dir);
    saveForPost(State.WorkDirs, JSON.stringify(made));
    return dir;
}

// Generated from action.yml by scripts/action-defaults.mjs: do not edit (npm run defaults).
// The literal default of every input that has one, applied where an input comes empty.
const ACTION_DEFAULTS = {
    steps: 'build,scan,push,deploy',
    context: '.',
    sbom: 'false',
    pull: 'false',
    'no-cache': 'false',
    'tag-latest': 'auto',
    'tag-sha': 'true',
    push: 'auto',
    'registry-timeout': '600',
    'severity-threshold': 'HIGH',
    severities: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
    'compare-to': 'deployed',
    'gate-on': 'all',
    'ignore-unfixed': 'false',
    'ignore-file': '.trivyignore',
    scanners: 'vuln,secret',
    'trivy-version': '0.74.0',
    'trivy-releases': 'https://github.com/aquasecurity/trivy/releases/download',
    'skip-db-update': 'false',
    'db-cache': 'true',
    'db-max-age': '2d',
    'scan-annotations': 'true',
    'pr-comment': 'true',
    orchestrator: 'compose',
    'compose-file': 'docker-compose.yml',
    'health-timeout': '120',
    'drain-seconds': '0',
    'startup-grace': '10',
    'lock-timeout': '600',
    'keep-releases': '3',
    'break-stale-lock': 'false',
    'rollout-batch': '1',
    'batch-wait': '0',
    'on-failure': 'rollback',
    rollback: 'false',
    'deploy-on-untrusted-events': 'false',
    sign: 'false',
    'cosign-tlog': 'true',
    'certificate-oidc-issuer': 'https://token.actions.githubusercontent.com'
};

// Inputs that were renamed: the old name is still accepted for now, with a warning naming the new
// one. One row per rename, so the next rename is one more row. Every reader of inputs (the main
// step's InputFields, the post step's) reads through renamedInputReader, so the rest of the code
// only knows the new names.
const RENAMED_INPUTS = [
    { old: 'docker-host', now: 'deploy-host', carry: (value) => value || undefined },
    // annotations now takes OCI annotations for the build; exactly true or false is the old switch.
    {
        old: 'annotations',
        now: 'scan-annotations',
        carry: (value) => (value === 'true' || value === 'false' ? value : undefined)
    }
];
function renamedInputReader(given, renames = RENAMED_INPUTS) {
    const warnings = [];
    const problems = [];
    const carried = new Map();
    const taken = new Set();
    for (const rename of renames) {
        const value = rename.carry(given(rename.old));
        if (value === undefined)
            continue;
        taken.add(rename.old);
        // The runner passes a declared input's default when the workflow does not set it, so a new
        // input that holds its default counts as not set.
        const now = given(rename.now);
        if (now && now !== (ACTION_DEFAULTS[rename.now] ?? '')) {
            problems.push(`${rename.now}: ${rename.old} is set too, and it is the old name of ${rename.now}: keep only ${rename.now} (remove ${rename.old} from the workflow)`);
            continue;
        }
        carried.set(rename.now, value);
        warnings.push(`${rename.old} is deprecated: rename it to ${rename.now} in the workflow (same value, same meaning); the old name will be removed in a later major version`);
    }
    return {
        read: (name) => {
            // An old name whose value was carried over has no meaning left under that name.
            if (taken.has(name))
                return '';
            return carried.get(name) ?? given(name);
        },
        warnings,
        problems
    };
}

// Reading inputs: each parser's error becomes a problem naming the input, and every problem of
// every input is reported together (InputError) before any program runs. Each step reads its own
// inputs through one InputFields; the parsers here are the ones more than one step uses.
class InputError extends Error {
    problems;
    constructor(problems) {
        super(problems.length === 1
            ? `Invalid input: ${problems[0]}`
            : `Invalid inputs:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
        this.problems = problems;
        this.name = 'InputError';
    }
}
/** The inputs being read, and the problems found so far. */
class InputFields {
    cwd;
    problems;
    /** Old input names used (renamed.ts): for the log, not failures. */
    warnings;
    given;
    constructor(given, 
    /** The workspace, against which paths in inputs are resolved. */
    cwd) {
        this.cwd = cwd;
        const renamed = renamedInputReader(given);
        this.given = renamed.read;
        this.problems = [...renamed.problems];
        this.warnings = renamed.warnings;
    }
    /** An input's value; an empty one gets action.yml's default, as the runner gives it. */
    read = (name) => this.given(name) || ACTION_DEFAULTS[name] || '';
    /** Runs one input's parser; a thrown message becomes a problem naming the input. */
    field(name, parse, fallback) {
        try {
            return parse(this.read(name));
        }
        catch (error) {
            this.problems.push(`${name}: ${error.message}`);
            return fallback;
        }
    }
    /** A problem found by looking at several inputs together; it starts with the input's name. */
    problem(message) {
        this.problems.push(message);
    }
    /** Throws every problem found, if any. */
    check() {
        if (this.problems.length > 0)
            throw new InputError(this.problems);
    }
}
/** YAML 1.2 core booleans, as core.getBooleanInput accepts them. */
function parseBoolean(raw) {
    if (['true', 'True', 'TRUE'].includes(raw))
        return true;
    if (['false', 'False', 'FALSE', ''].includes(raw))
        return false;
    throw new Error(`"${raw}" is not a boolean (true or false)`);
}
function parseChoice(raw, choices) {
    const lower = raw.toLowerCase();
    const found = choices.find((choice) => choice === lower);
    if (!found)
        throw new Error(`"${raw}" is not one of ${choices.join(', ')}`);
    return found;
}
/** Checks that PEM text has the expected block; never quotes the text (it may be a key). */
function checkPem(fields, name, text, kind) {
    if (!text)
        return;
    if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text) || !/-----END [A-Z ]+-----/.test(text)) {
        fields.problem(`${name}: is not PEM text with a ${kind} block (-----BEGIN ...${kind}-----)`);
    }
}
function isDirectory(target) {
    return existsSync(target) && statSync(target).isDirectory();
}
function isFile(target) {
    return existsSync(target) && statSync(target).isFile();
}

/** Splits the lines without judging them; blank lines and `#` comments are skipped. */
function keyValueLines(text) {
    const lines = [];
    text.split(/\r?\n/).forEach((line, index) => {
        const trimmed = line.trim();
        if (trimmed === '' || trimmed.startsWith('#'))
            return;
        const equals = trimmed.indexOf('=');
        const pair = equals > 0
            ? { key: trimmed.slice(0, equals).trim(), value: trimmed.slice(equals + 1).trim() }
            : undefined;
        lines.push({ lineNumber: index + 1, pair });
    });
    return lines;
}
/**
 * One pair per line. Throws naming the line number only, never its text, because the text may
 * be a secret.
 */
function parseKeyValueLines(text, keyPattern, keyHint) {
    return keyValueLines(text).map(({ lineNumber, pair }) => {
        if (!pair)
            throw new Error(`line ${lineNumber} is not KEY=VALUE`);
        if (!keyPattern.test(pair.key))
            throw new Error(`line ${lineNumber}: the key is not ${keyHint}`);
        return pair;
    });
}
/** Items separated by commas or new lines, trimmed, empty ones dropped. */
function parseList(text) {
    return text
        .split(/[,\n]/)
        .map((item) => item.trim())
        .filter((item) => item !== '');
}
/** Items one per line (for values that contain commas, like cache specs). */
function parseLines(text) {
    return text
        .split(/\r?\n/)
        .map((item) => item.trim())
        .filter((item) => item !== '' && !item.startsWith('#'));
}

// The annotations input: OCI annotations for the build, one a line, as docker/build-push-action
// takes them (and docker/metadata-action's annotations output gives them): key=value, or
// type:key=value with the types buildx knows, several comma separated, optionally a platform
// in brackets. Each line becomes one `--annotation` of docker buildx build; checked here so a
// slip fails before anything runs rather than as a buildx error after the login.
/** Where buildx puts an annotation (docker buildx build --annotation). */
const ANNOTATION_TYPES = ['manifest', 'index', 'manifest-descriptor', 'index-descriptor'];
const LEVEL = /^([a-z-]+(?:,[a-z-]+)*)(\[[A-Za-z0-9_./,-]+\])?$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
/** The lines, each as buildx's --annotation value; throws naming the line and what it should be. */
function parseAnnotations(raw) {
    const annotations = [];
    raw.split(/\r?\n/).forEach((text, index) => {
        const line = text.trim();
        if (!line)
            return;
        const where = `line ${index + 1}`;
        const equals = line.indexOf('=');
        if (equals <= 0)
            throw new Error(`${where} "${line}" is not key=value or type:key=value (e.g. manifest:org.opencontainers.image.title=web)`);
        const name = line.slice(0, equals);
        const colon = name.lastIndexOf(':');
        const key = colon < 0 ? name : name.slice(colon + 1);
        if (colon >= 0) {
            const level = LEVEL.exec(name.slice(0, colon));
            const types = level?.[1]?.split(',') ?? [];
            const unknown = types.find((type) => !ANNOTATION_TYPES.includes(type));
            if (!level || unknown !== undefined)
                throw new Error(`${where}: "${name.slice(0, colon)}" is not an annotation type; use ${ANNOTATION_TYPES.join(', ')} (several comma separated, a platform in brackets: manifest[linux/amd64]:key=value)`);
        }
        if (!KEY.test(key))
            throw new Error(`${where}: "${key}" is not an annotation key (letters, digits, . _ / -, e.g. org.opencontainers.image.title)`);
        annotations.push(line);
    });
    return annotations;
}

// The build step's inputs: what to build (context, Dockerfile, target) and how.
/** Build secrets: each value is masked. */
const BUILD_SECRET_INPUTS = { whole: [], values: ['secrets'] };
const BUILD_ARG_KEY = /^[^\s=]+$/;
const SECRET_ID = /^[A-Za-z0-9_.-]+$/;
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/;
const REMOTE_CONTEXT = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i;
function readBuildInputs(fields, scope) {
    const { read, cwd } = fields;
    const context = read('context');
    const contextIsLocal = !REMOTE_CONTEXT.test(context);
    // A remote context brings its own Dockerfile unless one is named.
    const file = read('file') || (contextIsLocal ? path$1.join(context, 'Dockerfile') : '');
    if (scope.steps.includes('build') && contextIsLocal) {
        if (!isDirectory(path$1.resolve(cwd, context)))
            fields.problem(`context: "${context}" is not a folder`);
        else if (file && !isFile(path$1.resolve(cwd, file)))
            fields.problem(`file: "${file}" does not exist`);
    }
    const named = 'a name without spaces';
    return {
        context,
        contextIsLocal,
        file,
        buildArgs: fields.field('build-args', (raw) => parseKeyValueLines(raw, BUILD_ARG_KEY, named), []),
        labels: fields.field('labels', (raw) => parseKeyValueLines(raw, BUILD_ARG_KEY, named), []),
        annotations: fields.field('annotations', parseAnnotations, []),
        secrets: fields.field('secrets', (raw) => parseKeyValueLines(raw, SECRET_ID, 'an id of letters, digits, . _ -'), []),
        target: read('target'),
        builder: fields.field('builder', parseBuilderName, ''),
        platforms: fields.field('platforms', parsePlatforms, []),
        provenance: fields.field('provenance', parseProvenance, { set: false, attest: true, attrs: '' }),
        sbom: fields.field('sbom', parseBoolean, false),
        cacheFrom: parseLines(read('cache-from')),
        cacheTo: parseLines(read('cache-to')),
        pull: fields.field('pull', parseBoolean, false),
        noCache: fields.field('no-cache', parseBoolean, false)
    };
}
function parsePlatforms(raw) {
    const platforms = parseList(raw);
    for (const platform of platforms) {
        if (!PLATFORM.test(platform))
            throw new Error(`"${platform}" is not os/arch[/variant], e.g. linux/amd64`);
    }
    const repeated = platforms.find((platform, index) => platforms.indexOf(platform) !== index);
    if (repeated)
        throw new Error(`"${repeated}" is named twice`);
    return platforms;
}
const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
function parseBuilderName(raw) {
    const name = raw.trim();
    if (!name)
        return '';
    if (!BUILDER_NAME.test(name))
        throw new Error(`"${name}" is not a buildx builder name`);
    return name;
}
const PROVENANCE_ATTR = /^([a-z][a-z-]*)=([^,=\s]+)$/;
function parseProvenance(raw) {
    const value = raw.trim();
    if (!value)
        return { set: false, attest: true, attrs: '' };
    if (value === 'false')
        return { set: true, attest: false, attrs: '' };
    if (value === 'true')
        return { set: true, attest: true, attrs: 'mode=min' };
    const attrs = value.split(',').map((attr) => attr.trim());
    for (const attr of attrs) {
        const match = PROVENANCE_ATTR.exec(attr);
        if (!match)
            throw new Error(`"${attr}" is not true, false or key=value attributes such as mode=max`);
        if (match[1] === 'mode' && match[2] !== 'min' && match[2] !== 'max')
            throw new Error(`mode is min or max, not "${match[2]}"`);
    }
    return { set: true, attest: true, attrs: attrs.join(',') };
}

function ociLabels({ github, version, created }) {
    const labels = [{ key: 'org.opencontainers.image.created', value: created.toISOString() }];
    if (github.repositoryUrl) {
        labels.push({ key: 'org.opencontainers.image.source', value: github.repositoryUrl });
        labels.push({ key: 'org.opencontainers.image.url', value: github.repositoryUrl });
    }
    if (github.repository)
        labels.push({ key: 'org.opencontainers.image.title', value: github.repository.split('/').pop() ?? '' });
    if (github.sha)
        labels.push({ key: 'org.opencontainers.image.revision', value: github.sha });
    labels.push({ key: 'org.opencontainers.image.version', value: version });
    return labels;
}
/** The automatic labels, each overridden by a user label of the same key (user order kept last). */
function mergeLabels(automatic, user) {
    const userKeys = new Set(user.map((label) => label.key));
    return [...automatic.filter((label) => !userKeys.has(label.key)), ...user];
}
function buildTime(env = process.env, now = new Date()) {
    const epoch = env.SOURCE_DATE_EPOCH;
    return epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : now;
}

// An OCI image layout folder (oci-layout, index.json, blobs/sha256/<hex>) as the build writes it,
// read as untrusted input: every JSON shape is checked, every digest is `sha256:<64 hex>`, a blob
// is read only from blobs/sha256 inside the folder (a link pointing out of it is refused) and its
// bytes are checked against its digest. The push uploads exactly these bytes; the scan reads one
// platform at a time from a layout of its own (singlePlatformLayout).
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST];
const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST];
/** BuildKit marks an attestation manifest in the index with this annotation (and this value). */
const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';
const ATTESTATION_MANIFEST = 'attestation-manifest';
/** ...and names the image manifest it is about with this one. */
const REFERENCE_DIGEST_ANNOTATION = 'vnd.docker.reference.digest';
/** Registries refuse manifests over 4 MiB (Distribution's default limit): nothing larger is read as JSON. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST$5 = /^sha256:[0-9a-f]{64}$/;
/** One part of os/architecture/variant, as OCI names them. */
const PLATFORM_PART = /^[A-Za-z0-9_.-]{1,64}$/;
class LayoutError extends Error {
    constructor(message) {
        super(message);
        this.name = 'LayoutError';
    }
}
function isDigest(value) {
    return typeof value === 'string' && DIGEST$5.test(value);
}
function isIndexType(mediaType) {
    return INDEX_TYPES.includes(mediaType);
}
function isManifestType(mediaType) {
    return MANIFEST_TYPES.includes(mediaType);
}
function isAttestation(descriptor) {
    return descriptor.annotations?.[REFERENCE_TYPE_ANNOTATION] === ATTESTATION_MANIFEST;
}
/** `linux/arm64/v8`: os/architecture, then the variant when there is one. */
function platformString(platform) {
    return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}
/** The real path of the layout folder, refused when it lacks the oci-layout marker. */
function openLayout(layoutDir) {
    let dir;
    try {
        dir = realpathSync(layoutDir);
    }
    catch {
        throw new LayoutError(`${layoutDir} is not an OCI image layout: the folder is missing`);
    }
    const marker = parseJson(readInside(dir, 'oci-layout', 4096), `${layoutDir}/oci-layout`);
    if (!isObject$1(marker) || typeof marker.imageLayoutVersion !== 'string')
        throw new LayoutError(`${layoutDir}/oci-layout does not name an imageLayoutVersion`);
    return dir;
}
/** The descriptors index.json names (at least one). */
function readLayoutIndex(layoutDir) {
    const dir = openLayout(layoutDir);
    const what = `${layoutDir}/index.json`;
    const index = parseJson(readInside(dir, 'index.json', MAX_MANIFEST_BYTES), what);
    const manifests = indexManifests(index, what);
    if (manifests.length === 0)
        throw new LayoutError(`${what} names no manifest`);
    return manifests;
}
/**
 * A blob's bytes as a stream that checks them as they pass: the last chunk is held back until
 * the size and sha256 are known, and the stream fails instead of sending it when they are not the
 * descriptor's. An upload of it never completes with bytes that are not what they are named, and
 * the file is read once, not once to check and once to send.
 */
function openCheckedBlob(layoutDir, descriptor) {
    const hash = createHash('sha256');
    let size = 0;
    let held;
    const check = new Transform({
        transform(chunk, _encoding, done) {
            hash.update(chunk);
            size += chunk.length;
            const previous = held;
            held = chunk;
            done(null, previous);
        },
        flush(done) {
            try {
                checkBytes(descriptor, size, `sha256:${hash.digest('hex')}`);
            }
            catch (error) {
                done(error);
                return;
            }
            done(null, held);
        }
    });
    const file = openBlob(layoutDir, descriptor.digest);
    file.on('error', (error) => check.destroy(error));
    return file.pipe(check);
}
/** A stream of a blob's file, inside the layout only (its bytes are not checked here: verifyBlob). */
function openBlob(layoutDir, digest) {
    const fd = openInside(openLayout(layoutDir), blobPath(digest));
    return createReadStream('', { fd });
}
/** The whole graph index.json names: every manifest read and checked, every blob listed once. */
function readLayoutGraph(layoutDir) {
    const dir = openLayout(layoutDir);
    const roots = readLayoutIndex(dir);
    const manifests = [];
    const blobs = new Map();
    const state = new Map();
    const visit = (descriptor, trail) => {
        const seen = state.get(descriptor.digest);
        if (seen === 'done')
            return;
        if (seen === 'open')
            throw new LayoutError(`${trail} names ${descriptor.digest}, which names it back: a cycle`);
        state.set(descriptor.digest, 'open');
        const body = readBlobIn(dir, descriptor);
        const what = `${descriptor.digest} (named by ${trail})`;
        const json = parseJson(body, what);
        checkStatedType(json, descriptor.mediaType, what);
        if (isIndexType(descriptor.mediaType)) {
            for (const child of indexManifests(json, what))
                visit(child, descriptor.digest);
        }
        else if (isManifestType(descriptor.mediaType)) {
            for (const blob of manifestBlobs(json, what)) {
                const known = blobs.get(blob.digest);
                if (known && known.size !== blob.size)
                    throw new LayoutError(`${blob.digest} is named with two sizes, ${known.size} and ${blob.size}`);
                if (!known)
                    blobs.set(blob.digest, { digest: blob.digest, size: blob.size, mediaType: blob.mediaType });
            }
        }
        else {
            throw new LayoutError(`${what} has the media type ${descriptor.mediaType}, neither an index nor a manifest`);
        }
        manifests.push({
            digest: descriptor.digest,
            size: descriptor.size,
            mediaType: descriptor.mediaType,
            body
        });
        state.set(descriptor.digest, 'done');
    };
    for (const root of roots)
        visit(root, 'index.json');
    return { dir, roots, blobs: [...blobs.values()], manifests };
}
/**
 * The image of each platform: the manifests of the index (or indexes) index.json names, without
 * attestation manifests and BuildKit's `unknown/unknown` entries. A manifest named directly by
 * index.json without a platform gets the one its config states.
 */
function platformImages(layoutDir) {
    const dir = openLayout(layoutDir);
    const images = [];
    const add = (descriptor, trail) => {
        if (isAttestation(descriptor))
            return;
        if (isIndexType(descriptor.mediaType)) {
            const what = `${descriptor.digest} (named by ${trail})`;
            for (const child of indexManifests(parseJson(readBlobIn(dir, descriptor), what), what))
                add(child, descriptor.digest);
            return;
        }
        if (!isManifestType(descriptor.mediaType))
            return;
        const platform = descriptor.platform ?? configPlatform(dir, descriptor);
        if (!platform || (platform.os === 'unknown' && platform.architecture === 'unknown'))
            return;
        const name = platformString(platform);
        if (!images.some((image) => image.descriptor.digest === descriptor.digest))
            images.push({ platform: name, descriptor: { ...descriptor, platform } });
    };
    for (const root of readLayoutIndex(dir))
        add(root, 'index.json');
    return images;
}
/**
 * A new layout folder `destDir` whose index.json names only this image manifest, its blobs
 * hard-linked from the layout (copied when the two are on different file systems): what Trivy
 * reads to scan one platform. `destDir` must not exist or be empty.
 */
function singlePlatformLayout(layoutDir, manifest, destDir) {
    const dir = openLayout(layoutDir);
    if (!isManifestType(manifest.mediaType))
        throw new LayoutError(`${manifest.digest} is a ${manifest.mediaType}, not an image manifest`);
    const what = manifest.digest;
    const body = readBlobIn(dir, manifest);
    const json = parseJson(body, what);
    checkStatedType(json, manifest.mediaType, what);
    const blobs = [manifest, ...manifestBlobs(json, what)];
    if (existsSync(destDir) && readdirSync(destDir).length > 0)
        throw new LayoutError(`${destDir} is not empty: the single-platform layout needs a folder of its own`);
    mkdirSync(path$1.join(destDir, 'blobs', 'sha256'), { recursive: true });
    for (const blob of blobs) {
        const target = path$1.join(destDir, blobPath(blob.digest));
        if (existsSync(target))
            continue; // a config that is also a layer, say
        const source = sourcePath(dir, blobPath(blob.digest));
        try {
            linkSync(source, target);
        }
        catch (error) {
            const code = error.code;
            if (code !== 'EXDEV' && code !== 'EPERM')
                throw error;
            copyFileSync(source, target, constants.COPYFILE_EXCL);
        }
    }
    const descriptor = {
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.size,
        ...(manifest.platform ? { platform: manifest.platform } : {})
    };
    writeFileSync(path$1.join(destDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(path$1.join(destDir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor] }));
}
// --- shapes -------------------------------------------------------------------------------------
function isObject$1(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function parseJson(bytes, what) {
    try {
        return JSON.parse(bytes.toString('utf8'));
    }
    catch {
        throw new LayoutError(`${what} is not JSON`);
    }
}
function descriptorOf(value, what) {
    if (!isObject$1(value))
        throw new LayoutError(`${what}: a descriptor is not an object`);
    const { mediaType, digest, size, platform, annotations } = value;
    if (typeof mediaType !== 'string' || mediaType === '')
        throw new LayoutError(`${what}: a descriptor has no mediaType`);
    if (!isDigest(digest))
        throw new LayoutError(`${what}: the digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
        throw new LayoutError(`${what}: ${digest} has the size ${JSON.stringify(size)}, not a byte count`);
    const descriptor = { mediaType, digest, size };
    if (platform !== undefined)
        descriptor.platform = platformOf(platform, `${what}: ${digest}`);
    if (annotations !== undefined) {
        if (!isObject$1(annotations) || Object.values(annotations).some((v) => typeof v !== 'string'))
            throw new LayoutError(`${what}: the annotations of ${digest} are not string to string`);
        descriptor.annotations = annotations;
    }
    return descriptor;
}
function platformOf(value, what) {
    if (!isObject$1(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string')
        throw new LayoutError(`${what}: the platform has no os and architecture`);
    if (value.variant !== undefined && typeof value.variant !== 'string')
        throw new LayoutError(`${what}: the platform variant is not a string`);
    const platform = { os: value.os, architecture: value.architecture };
    if (value.variant)
        platform.variant = value.variant;
    // A platform names files and summary rows: words only (linux, arm64, v8), never a path or markup.
    for (const part of [platform.os, platform.architecture, platform.variant ?? 'none']) {
        if (!PLATFORM_PART.test(part))
            throw new LayoutError(`${what}: ${JSON.stringify(part)} is not a platform name`);
    }
    return platform;
}
function indexManifests(json, what) {
    if (!isObject$1(json) || json.schemaVersion !== 2 || !Array.isArray(json.manifests))
        throw new LayoutError(`${what} is not an image index (schemaVersion 2 and a manifests list)`);
    return json.manifests.map((entry) => descriptorOf(entry, what));
}
function manifestBlobs(json, what) {
    if (!isObject$1(json) || json.schemaVersion !== 2 || !Array.isArray(json.layers))
        throw new LayoutError(`${what} is not an image manifest (schemaVersion 2, a config and layers)`);
    return [
        descriptorOf(json.config, `${what} config`),
        ...json.layers.map((layer) => descriptorOf(layer, what))
    ];
}
/** A manifest that states its media type must state the one it is named with. */
function checkStatedType(json, mediaType, what) {
    const stated = isObject$1(json) ? json.mediaType : undefined;
    if (stated !== undefined && stated !== mediaType)
        throw new LayoutError(`${what} says it is a ${String(stated)} but is named as a ${mediaType}`);
}
function configPlatform(dir, manifest) {
    const what = manifest.digest;
    const [config] = manifestBlobs(parseJson(readBlobIn(dir, manifest), what), what);
    if (!config || config.size > MAX_MANIFEST_BYTES)
        return undefined;
    const json = parseJson(readBlobIn(dir, config), `${config.digest} (config of ${what})`);
    if (!isObject$1(json) || typeof json.os !== 'string' || typeof json.architecture !== 'string')
        return undefined;
    return platformOf(json, `${config.digest} (config of ${what})`);
}
// --- files --------------------------------------------------------------------------------------
function readBlobIn(dir, descriptor) {
    if (descriptor.size > MAX_MANIFEST_BYTES)
        throw new LayoutError(`${descriptor.digest} is ${descriptor.size} bytes: too large to read whole`);
    const body = readInside(dir, blobPath(descriptor.digest), MAX_MANIFEST_BYTES);
    checkBytes(descriptor, body.length, sha256(body));
    return body;
}
function sha256(bytes) {
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
function checkBytes(descriptor, size, digest) {
    if (size !== descriptor.size)
        throw new LayoutError(`the blob ${descriptor.digest} is ${size} bytes, not the ${descriptor.size} its descriptor says`);
    if (digest !== descriptor.digest)
        throw new LayoutError(`the blob ${descriptor.digest} holds bytes that hash to ${digest}: it is not what it is named`);
}
/** blobs/sha256/<hex> for a checked digest: the only blob paths ever opened. */
function blobPath(digest) {
    if (!isDigest(digest))
        throw new LayoutError(`${JSON.stringify(digest)} is not sha256:<64 hex digits>`);
    return path$1.join('blobs', 'sha256', digest.slice('sha256:'.length));
}
/** The real path of a file of the layout, refused when a link takes it outside the folder. */
function sourcePath(dir, relative) {
    let real;
    try {
        real = realpathSync(path$1.join(dir, relative));
    }
    catch {
        throw new LayoutError(`${relative} is missing from the layout ${dir}`);
    }
    if (!real.startsWith(dir + path$1.sep))
        throw new LayoutError(`${relative} in the layout ${dir} links to ${real}, outside the layout: refused`);
    return real;
}
/** Opens a regular file of the layout (no link followed past the checked real path). */
function openInside(dir, relative) {
    const real = sourcePath(dir, relative);
    const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        throw new LayoutError(`${relative} in the layout ${dir} is not a regular file`);
    }
    return fd;
}
function readInside(dir, relative, limit) {
    const fd = openInside(dir, relative);
    try {
        const size = fstatSync(fd).size;
        if (size > limit)
            throw new LayoutError(`${relative} in the layout ${dir} is ${size} bytes: more than ${limit}`);
        const bytes = Buffer.alloc(size);
        let read = 0;
        while (read < size) {
            const n = readSync(fd, bytes, read, size - read, read);
            if (n === 0)
                break;
            read += n;
        }
        return bytes.subarray(0, read);
    }
    finally {
        closeSync(fd);
    }
}

// The SBOM attestations BuildKit made, written out as plain SPDX JSON files (one per platform), so
// later steps of the job (a license check, an upload to a dependency service) read the SBOM of
// exactly the image that was built, without pulling attestations from a registry.
const SPDX_PREDICATE = 'https://spdx.dev/Document';
const PREDICATE_ANNOTATION = 'in-toto.io/predicate-type';
/** An SBOM statement larger than this is not read (a layer's SBOM is some MB at most). */
const MAX_STATEMENT_BYTES = 256 * 1024 * 1024;
/**
 * Writes the SPDX document of each platform's SBOM attestation in the layout to `destDir` as
 * `sbom-<os>-<arch>[-<variant>].spdx.json`; returns platform → path (none when no SBOM was made).
 */
async function writeSboms(layoutDir, destDir) {
    const graph = readLayoutGraph(layoutDir);
    const manifests = new Map(graph.manifests.map((manifest) => [manifest.digest, manifest]));
    const entries = graph.manifests.flatMap((manifest) => indexEntries(manifest.body));
    const platformOf = new Map(entries
        .filter((entry) => entry.platform && !isAttestation(entry))
        .map((entry) => [entry.digest, entry.platform]));
    const written = {};
    for (const attestation of entries.filter(isAttestation)) {
        const subject = platformOf.get(attestation.annotations?.[REFERENCE_DIGEST_ANNOTATION] ?? '');
        const body = manifests.get(attestation.digest)?.body;
        if (!subject || !body)
            continue;
        const layers = JSON.parse(body.toString('utf8')).layers ?? [];
        const spdx = layers.find((layer) => layer.annotations?.[PREDICATE_ANNOTATION] === SPDX_PREDICATE);
        if (!spdx)
            continue;
        const statement = JSON.parse((await readVerified(layoutDir, spdx)).toString('utf8'));
        if (statement.predicateType !== SPDX_PREDICATE || typeof statement.predicate !== 'object')
            continue;
        const platform = platformString(subject);
        const file = path$1.join(destDir, `sbom-${platform.replaceAll('/', '-')}.spdx.json`);
        writeFileSync(file, JSON.stringify(statement.predicate, null, 2));
        written[platform] = file;
    }
    return written;
}
/** The manifests an index lists; none for an image manifest. */
function indexEntries(body) {
    const parsed = JSON.parse(body.toString('utf8'));
    return Array.isArray(parsed.manifests) ? parsed.manifests : [];
}
/** A blob read whole, checked against its descriptor's size and digest. */
async function readVerified(layoutDir, descriptor) {
    if (descriptor.size > MAX_STATEMENT_BYTES) {
        throw new Error(`the SBOM statement ${descriptor.digest} is ${descriptor.size} bytes, more than it reads`);
    }
    const chunks = [];
    const hash = createHash('sha256');
    for await (const chunk of openBlob(layoutDir, descriptor.digest)) {
        hash.update(chunk);
        chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== descriptor.size || `sha256:${hash.digest('hex')}` !== descriptor.digest) {
        throw new Error(`the SBOM statement ${descriptor.digest} in the layout does not match its digest`);
    }
    return bytes;
}

// Which builder builds, and where its image goes. A builder that can export an OCI image layout
// (buildx's docker-container, remote and kubernetes drivers, or the docker driver on an engine
// with the containerd image store) builds every platform, with attestations, into a folder the
// scan reads and the push uploads as it is. The plain docker driver can only load one platform
// into the engine's store, where attestations are lost; the classic builder (no buildx) too.
/** Drivers whose BuildKit runs apart from the engine's image store and exports OCI layouts. */
const LAYOUT_DRIVERS = ['docker-container', 'remote', 'kubernetes'];
/**
 * `docker buildx inspect`'s text: the builder's Name and Driver (the first of each, before the
 * nodes' own Name lines) and the union of its nodes' Platforms (a `*` marks ones set by hand).
 */
function parseBuildxInspect(text) {
    let name = '';
    let driver = '';
    const platforms = new Set();
    for (const line of text.split('\n')) {
        const match = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(line.trim());
        if (!match)
            continue;
        const [, key, value = ''] = match;
        if (key === 'Name' && !name)
            name = value.trim();
        else if (key === 'Driver' && !driver)
            driver = value.trim();
        else if (key === 'Platforms') {
            for (const platform of value.split(',')) {
                const clean = platform.trim().replace(/\*$/, '');
                if (clean)
                    platforms.add(clean);
            }
        }
    }
    return { name, driver, platforms: [...platforms] };
}
/** The engine uses the containerd image store (`driver-type` in `docker info`'s DriverStatus). */
function hasContainerdStore(driverStatusJson) {
    try {
        const status = JSON.parse(driverStatusJson);
        return (Array.isArray(status) &&
            status.some((entry) => Array.isArray(entry) && entry[0] === 'driver-type' && entry[1] === 'io.containerd.snapshotter.v1'));
    }
    catch {
        return false;
    }
}
/** What only buildx can do, as the input names a user wrote. */
function buildxOnlyInputs(inputs) {
    const needed = [];
    if (inputs.builder)
        needed.push('builder');
    if (inputs.secrets.length > 0)
        needed.push('secrets');
    if (inputs.platforms.length > 0)
        needed.push('platforms');
    if (inputs.cacheTo.length > 0)
        needed.push('cache-to');
    // The classic builder takes --cache-from image references only, not buildx's type=... specs.
    if (inputs.cacheFrom.some((source) => source.includes('=')))
        needed.push('cache-from');
    if (inputs.sbom)
        needed.push('sbom');
    if (inputs.annotations.length > 0)
        needed.push('annotations');
    return needed;
}
const GET_A_BUILDER = 'Add docker/setup-buildx-action before this step (it creates a docker-container builder), or name such a builder in the builder input.';
/**
 * What loading into the engine cannot do, as the inputs that ask for it: several platforms in
 * one image, and attestations (they do not survive --load).
 */
function layoutOnlyInputs(inputs) {
    const needed = [];
    if (inputs.platforms.length > 1)
        needed.push(`platforms (${inputs.platforms.join(',')})`);
    if (inputs.provenance.set && inputs.provenance.attest)
        needed.push('provenance');
    if (inputs.sbom)
        needed.push('sbom');
    return needed;
}
/**
 * The builder: the buildx builder named (or the current one) when the CLI has buildx, else the
 * classic builder. Refused up front, before any login or build, when the inputs need what the
 * builder cannot do.
 */
async function chooseBuilder(docker, inputs) {
    const builderArgs = inputs.builder ? ['--builder', inputs.builder] : [];
    // --bootstrap starts a docker-container builder that is not running yet, so its platforms show.
    const inspected = await docker.run(['buildx', 'inspect', '--bootstrap', ...builderArgs], {
        quiet: true,
        allowFailure: true
    });
    // Asked only when inspect failed: whether buildx is there at all.
    if (inspected.exitCode !== 0 && !(await docker.hasBuildx())) {
        const needed = buildxOnlyInputs(inputs);
        if (needed.length > 0) {
            throw new Error(`${needed.join(', ')} need docker buildx, which is not installed (docker buildx version failed). ${GET_A_BUILDER}`);
        }
        if (layoutOnlyInputs(inputs).length > 0)
            throw new Error(`provenance needs docker buildx. ${GET_A_BUILDER}`);
        info('docker buildx is not installed: the classic builder will build');
        return { kind: 'classic' };
    }
    if (inspected.exitCode !== 0) {
        const said = inspected.stderr.trim().split('\n').slice(-3).join(' ');
        throw new Error(inputs.builder
            ? `builder: docker buildx has no builder "${inputs.builder}" that answers (${said}): create it in an earlier step (docker/setup-buildx-action; its name output is the builder's name), or leave builder empty for the current one`
            : `docker buildx inspect failed: ${said}`);
    }
    const found = parseBuildxInspect(inspected.stdout);
    const layout = LAYOUT_DRIVERS.includes(found.driver) || (found.driver === 'docker' && (await containerdStore(docker)));
    const builder = {
        kind: 'buildx',
        name: found.name || inputs.builder || 'default',
        driver: found.driver,
        platforms: found.platforms,
        output: layout ? 'oci-layout' : 'load'
    };
    if (!layout) {
        const needed = layoutOnlyInputs(inputs);
        if (needed.length > 0) {
            throw new Error(`${needed.join(', ')} need a builder that exports an OCI image layout (buildx's docker-container, remote or kubernetes driver, or the docker driver with the containerd image store); the builder "${builder.name}" uses the ${found.driver || 'unknown'} driver and can only load one platform into the engine. ${GET_A_BUILDER}`);
        }
    }
    // Not refused: docker/metadata-action's annotations output is often passed as it is, and a
    // build that loads into the engine still works; it only cannot carry them.
    if (!layout && inputs.annotations.length > 0) {
        warning(`annotations: the builder "${builder.name}" uses the ${found.driver || 'unknown'} driver and loads the image into the engine, which keeps no OCI annotations: the image is pushed without them. ${GET_A_BUILDER}`);
    }
    const missing = inputs.platforms.filter((platform) => !platformListed(platform, found.platforms));
    if (missing.length > 0 && found.platforms.length > 0) {
        warning(`platforms: the builder "${builder.name}" lists ${found.platforms.join(', ')}, not ${missing.join(', ')}: the build may fail (docker/setup-qemu-action adds emulated platforms)`);
    }
    info(`Builder: ${builder.name} (${found.driver} driver), ${layout ? 'building into an OCI image layout' : 'loading the image into the engine'}`);
    return builder;
}
async function containerdStore(docker) {
    const info = await docker.run(['info', '--format', '{{json .DriverStatus}}'], {
        quiet: true,
        allowFailure: true
    });
    return info.exitCode === 0 && hasContainerdStore(info.stdout.trim());
}
/** linux/arm64 is listed as linux/arm64 or linux/arm64/v8; linux/arm/v7 needs its variant. */
function platformListed(platform, listed) {
    return listed.some((entry) => entry === platform || entry.startsWith(`${platform}/`));
}
/** How the summary names the builder. */
function describeBuilder(builder) {
    if (builder.kind === 'classic')
        return 'classic (docker build, no buildx)';
    return `buildx ${builder.name} (${builder.driver} driver)`;
}

// What the action needs to know about the workflow run, read from the runner's environment and
// event payload once, so the rest of the code gets plain values (and tests can pass their own).
/** Pull requests are recognised by their ref, as docker/metadata-action does. */
const PULL_REQUEST_REF = /^refs\/pull\/(\d+)\//;
/** A merge queue's temporary branch: gh-readonly-queue/<base>/pr-<N>-<sha>. */
const MERGE_QUEUE_REF = /^refs\/heads\/gh-readonly-queue\/(.+)\/pr-(\d+)-[0-9a-f]+$/;
function readGitHubContext(env = process.env) {
    const payload = readEventPayload(env.GITHUB_EVENT_PATH);
    const eventName = env.GITHUB_EVENT_NAME ?? '';
    const ref = env.GITHUB_REF ?? '';
    const sha = env.GITHUB_SHA ?? '';
    const pullRef = PULL_REQUEST_REF.exec(ref);
    const pullRequestNumber = pullRef
        ? Number(pullRef[1])
        : eventName.startsWith('pull_request')
            ? (payload.pull_request?.number ?? payload.number)
            : undefined;
    const isPullRequest = pullRequestNumber !== undefined;
    const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
    const repository = env.GITHUB_REPOSITORY || undefined;
    return {
        eventName,
        ref,
        sha,
        // GITHUB_SHA of a pull request run is a throwaway merge commit; the head is what was reviewed.
        tagSha: (isPullRequest ? payload.pull_request?.head?.sha : undefined) ?? sha,
        pullRequestNumber,
        mergeGroup: eventName === 'merge_group' ? mergeGroupOf(ref, payload) : undefined,
        repository,
        repositoryPrivate: typeof payload.repository?.private === 'boolean' ? payload.repository.private : undefined,
        repositoryUrl: payload.repository?.html_url ?? (repository ? `${serverUrl}/${repository}` : undefined)
    };
}
/** The workflow run's page, from the runner's environment. */
function runUrlFrom(env = process.env) {
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID)
        return undefined;
    const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
    return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
}
function mergeGroupOf(ref, payload) {
    const match = MERGE_QUEUE_REF.exec(payload.merge_group?.head_ref ?? ref);
    const baseBranch = match?.[1] ?? (payload.merge_group?.base_ref ?? '').replace(/^refs\/heads\//, '');
    return { baseBranch, pullRequestNumber: match ? Number(match[2]) : undefined };
}
function readEventPayload(path) {
    if (!path || !existsSync(path))
        return {};
    try {
        return JSON.parse(readFileSync(path, 'utf8'));
    }
    catch {
        return {};
    }
}

// Build: `docker buildx build` into an OCI image layout folder when the builder can export one
// (every platform, with attestations: the scan reads it and the push uploads it as it is), else
// loaded into the local engine, else the classic `docker build` for the inputs it supports.
// An image loaded into the engine gets every computed tag at once.
/** Environment variable that carries the i-th build secret to buildx (`--secret id=X,env=VAR`). */
function secretEnvName(index) {
    return `CONTAINER_SHIP_BUILD_SECRET_${index}`;
}
function buildxArgs(spec, files, output = { kind: 'load' }, builderName = '') {
    const args = ['buildx', 'build'];
    if (builderName)
        args.push('--builder', builderName);
    // The layout's index is named by the metadata file; an image ID is the config's, one platform's.
    if (output.kind === 'load')
        args.push('--iidfile', files.iidFile);
    args.push('--metadata-file', files.metadataFile);
    if (spec.file)
        args.push('--file', spec.file);
    // Tags name the image in the engine; a layout is pushed under them by the push step.
    if (output.kind === 'load')
        for (const tag of spec.tags)
            args.push('--tag', tag);
    for (const { key, value } of spec.buildArgs)
        args.push('--build-arg', `${key}=${value}`);
    for (const { key, value } of spec.labels)
        args.push('--label', `${key}=${value}`);
    for (const annotation of spec.annotations)
        args.push('--annotation', annotation);
    spec.secretIds.forEach((id, index) => args.push('--secret', `id=${id},env=${secretEnvName(index)}`));
    if (spec.target)
        args.push('--target', spec.target);
    if (spec.platforms.length > 0)
        args.push('--platform', spec.platforms.join(','));
    for (const source of spec.cacheFrom)
        args.push('--cache-from', source);
    for (const destination of spec.cacheTo)
        args.push('--cache-to', destination);
    if (spec.pull)
        args.push('--pull');
    if (spec.noCache)
        args.push('--no-cache');
    if (output.kind === 'oci-layout') {
        // Said either way: buildx's own default would add a min provenance the input did not ask for.
        args.push('--provenance', spec.provenance, '--sbom', String(spec.sbom));
        // A name gives the attestations their subject (without one BuildKit leaves it empty).
        const name = spec.tags[0] ? `,name=${spec.tags[0]}` : '';
        args.push('--output', `type=oci,dest=${output.dir},tar=false${name}`);
    }
    else {
        // The image must land in the local engine to be scanned.
        args.push('--load');
    }
    args.push(spec.context);
    return args;
}
function classicArgs(spec, files) {
    const args = ['build', '--iidfile', files.iidFile];
    if (spec.file)
        args.push('--file', spec.file);
    for (const tag of spec.tags)
        args.push('--tag', tag);
    for (const { key, value } of spec.buildArgs)
        args.push('--build-arg', `${key}=${value}`);
    for (const { key, value } of spec.labels)
        args.push('--label', `${key}=${value}`);
    if (spec.target)
        args.push('--target', spec.target);
    for (const source of spec.cacheFrom)
        args.push('--cache-from', source);
    if (spec.pull)
        args.push('--pull');
    if (spec.noCache)
        args.push('--no-cache');
    args.push(spec.context);
    return args;
}
/** The build step: the image, into an OCI layout or loaded into the engine with every reference of the release. */
async function build({ context: run, release, inputs }, chosen) {
    const builder = chosen ?? (await chooseBuilder(run.docker, inputs));
    const spec = buildSpec({ build: inputs, github: run.github }, release, buildTime());
    const secretValues = inputs.secrets.map((secret) => secret.value);
    // Removed by the post step too: a layout here is what the scan reads and the push uploads.
    const workDir = makeWorkDir(run.tempRoot, 'container-ship-build-');
    const iidFile = path$1.join(workDir, 'iid');
    const metadataFile = path$1.join(workDir, 'metadata.json');
    const layoutDir = path$1.join(workDir, 'layout');
    let keep = false;
    try {
        let result;
        if (builder.kind === 'buildx') {
            const secretEnv = Object.fromEntries(secretValues.map((value, index) => [secretEnvName(index), value]));
            const output = builder.output === 'oci-layout' ? { kind: 'oci-layout', dir: layoutDir } : { kind: 'load' };
            await run.docker.run(buildxArgs(spec, { iidFile, metadataFile }, output, inputs.builder), {
                extraEnv: secretEnv
            });
            const metadata = readMetadata(metadataFile);
            const base = {
                metadata: metadata.json,
                references: spec.tags,
                builder,
                buildRef: metadata.ref,
                dockerfile: inputs.file,
                target: inputs.target
            };
            if (output.kind === 'oci-layout') {
                if (!metadata.digest)
                    throw new Error(`buildx wrote no containerimage.digest to ${metadataFile}`);
                result = {
                    ...base,
                    imageId: metadata.configDigest ?? '',
                    layout: { dir: layoutDir, digest: metadata.digest }
                };
                keep = true;
                // Not in the build's folder, which the post step removes: sbom-files is an output later steps read.
                if (inputs.sbom) {
                    result.sbomFiles = await writeSboms(layoutDir, mkdtempSync(path$1.join(run.tempRoot, 'container-ship-sbom-')));
                }
            }
            else
                result = { ...base, imageId: readFileSync(iidFile, 'utf8').trim() };
        }
        else {
            // DOCKER_BUILDKIT=0: without buildx, a newer CLI would otherwise refuse to build.
            await run.docker.run(classicArgs(spec, { iidFile }), { extraEnv: { DOCKER_BUILDKIT: '0' } });
            const imageId = readFileSync(iidFile, 'utf8').trim();
            result = {
                imageId,
                // What buildx would say of a loaded image that the classic builder knows too.
                metadata: JSON.stringify({
                    'containerimage.config.digest': imageId,
                    'image.name': spec.tags.join(',')
                }),
                references: spec.tags,
                builder,
                dockerfile: inputs.file,
                target: inputs.target
            };
        }
        const what = result.layout ? `${result.layout.digest} into an OCI layout` : result.imageId;
        info(`Built ${what} with ${describeBuilder(builder)}${result.buildRef ? ` (build ${result.buildRef})` : ''}`);
        return result;
    }
    finally {
        if (!keep)
            rmSync(workDir, { recursive: true, force: true });
    }
}
function buildSpec({ build, github }, release, created) {
    return {
        context: build.context,
        file: build.file,
        tags: release.references,
        buildArgs: build.buildArgs,
        annotations: build.annotations,
        labels: mergeLabels(ociLabels({ github, version: release.plan.version, created }), build.labels),
        secretIds: build.secrets.map((secret) => secret.key),
        target: build.target,
        platforms: build.platforms,
        cacheFrom: build.cacheFrom,
        cacheTo: build.cacheTo,
        pull: build.pull,
        noCache: build.noCache,
        sbom: build.sbom,
        provenance: provenanceAttrs(build.provenance, github)
    };
}
/**
 * The --provenance value. Not given: as docker/build-push-action, mode=max on a public
 * repository and mode=min on a private one (or one the event does not say), with the run's URL
 * as the builder's id.
 */
function provenanceAttrs(provenance, github) {
    if (!provenance.attest)
        return 'false';
    if (provenance.set)
        return provenance.attrs;
    const mode = github.repositoryPrivate === false ? 'mode=max' : 'mode=min';
    const runUrl = runUrlFrom();
    return runUrl ? `${mode},builder-id=${runUrl}` : mode;
}
const buildStep = {
    name: 'build',
    title: 'Build',
    secretInputs: BUILD_SECRET_INPUTS,
    readInputs: readBuildInputs,
    // Before any login or build: inputs only buildx takes are refused at once without it.
    prepare: ({ context, inputs }) => chooseBuilder(context.docker, inputs),
    run: (call) => build(call, call.prepared),
    report: (result) => ({
        outputs: {
            imageid: result?.imageId ?? '',
            // The old name, kept while workflows move to imageid (docker/build-push-action's).
            'image-id': result?.imageId ?? '',
            metadata: result?.metadata ?? '',
            'sbom-files': result?.sbomFiles && Object.keys(result.sbomFiles).length > 0 ? JSON.stringify(result.sbomFiles) : ''
        },
        rows: result ? buildRows(result) : [],
        notes: result ? buildNotes(result) : []
    })
};
function buildRows(result) {
    const rows = [];
    if (result.layout)
        rows.push(['Built', `OCI image layout ${code(result.layout.digest)}`]);
    if (result.imageId)
        rows.push(['Image ID', code(result.imageId)]);
    rows.push(['Builder', describeBuilder(result.builder)]);
    return rows;
}
/** What a builder that exports an OCI layout would have added, when this one could not. */
function buildNotes(result) {
    if (result.layout)
        return [];
    return [
        'The image was loaded into the engine, one platform and no attestations: a builder that exports an OCI image layout (docker/setup-buildx-action) adds several platforms, provenance and SBOM attestations, and pushes exactly the bytes that were scanned.'
    ];
}
/** What buildx's --metadata-file says of the build; nothing that is missing or not a string. */
function readMetadata(metadataFile) {
    let metadata;
    try {
        const parsed = JSON.parse(readFileSync(metadataFile, 'utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
            return { json: '{}' };
        metadata = parsed;
    }
    catch {
        return { json: '{}' };
    }
    const text = (key) => typeof metadata[key] === 'string' ? metadata[key] : undefined;
    const digest = (key) => {
        const value = text(key);
        return value && /^sha256:[0-9a-f]{64}$/.test(value) ? value : undefined;
    };
    return {
        json: JSON.stringify(metadata),
        ref: text('buildx.build.ref'),
        digest: digest('containerimage.digest'),
        configDigest: digest('containerimage.config.digest')
    };
}

// The names of the state the deploy step saves for the post step (GITHUB_STATE, read back as
// STATE_<name>): what its cleanup needs to reach the hosts, free the locks and repair a rollout.
// With several deploy-host lines, each host has its own: the first host's under these names,
// the others' with the host's line number after them (hostState).
var DeployState;
(function (DeployState) {
    /** JSON of the deploy host's access folder and engine (SavedAccess), removed in post. */
    DeployState["Access"] = "deploy-access";
    /** The deploy lock container's name while the main step holds it. */
    DeployState["Lock"] = "deploy-lock";
    /** The strategy's JSON of a rollout under way, for the post step to finish or undo. */
    DeployState["Rollout"] = "deploy-rollout";
    /**
     * With several hosts, while the rollout is under way: JSON of the hosts already on the new
     * release and the image each ran before (FinishedHost[]), which the post step rolls back.
     */
    DeployState["Finished"] = "deploy-finished";
    /**
     * With environment: JSON of the GitHub deployment (GitHubDeployment) from its creation until
     * the main step gave it its last status; the post step marks one still here failed.
     */
    DeployState["GitHubDeployment"] = "deploy-github-deployment";
})(DeployState || (DeployState = {}));
/** The state's name for the host of the deploy-host input's `index`-th line (from 0). */
function hostState(state, index) {
    return index === 0 ? state : `${state}-${index + 1}`;
}

// Text the action did not write itself (what a program prints, a container's logs) reaches the
// job log only through here, so that no line of it is taken as a workflow command. The runner
// reads every line of an action's output for commands: a line that starts with `::name ...::`
// (after leading blanks) or holds `##[name ...]` anywhere. A build whose RUN prints
// `::save-state name=...::` would otherwise write the post step's state, `::add-mask::` hide text,
// `::set-output` change an output.
//
// Such lines are wrapped in the runner's stop-commands token: `::stop-commands::<token>`, the
// line, `::<token>::`. The token is random for each run of the action, so nothing printed can
// end the pause early. Only the lines that the runner would parse are wrapped, each run of them
// in one pause: a pause over a whole program's run would also swallow the action's own
// annotations printed meanwhile by work going on beside it.
/** Unguessable, and as the runner takes a command name (letters and digits). */
const STOP_TOKEN = `cs${randomBytes(16).toString('hex')}`;
/**
 * Whether the runner would parse this line (or a part of it it splits off at a carriage
 * return) as a command of either syntax, registered or not.
 */
function looksLikeCommand(line) {
    return line.split('\r').some((part) => {
        const trimmed = part.trimStart();
        if (trimmed.startsWith('::') && trimmed.indexOf('::', 2) >= 0)
            return true;
        const v1 = part.indexOf('##[');
        return v1 >= 0 && part.indexOf(']', v1) >= 0;
    });
}
/** Lines as they are, with every run of command-like lines inside one stop-commands pause. */
function neutralize(text, token = STOP_TOKEN) {
    const lines = text.split('\n');
    const out = [];
    let paused = false;
    lines.forEach((line, index) => {
        // The last piece is what follows the final newline ('' when the text ends with one).
        const isTail = index === lines.length - 1;
        const command = looksLikeCommand(line);
        if (command && !paused) {
            out.push(`::stop-commands::${token}`);
            paused = true;
        }
        else if (!command && paused && !(isTail && line === '')) {
            out.push(`::${token}::`);
            paused = false;
        }
        out.push(line);
    });
    if (paused) {
        // The resume must be a line of its own: end the text's last line first.
        if (out[out.length - 1] === '')
            out.pop();
        out.push(`::${token}::`, '');
    }
    return out.join('\n');
}
/** Prints text that came from a program or a container to the job log, commands made inert. */
function printUntrusted(text, write = defaultWrite) {
    if (text === '')
        return;
    write(neutralize(text.endsWith('\n') ? text : `${text}\n`));
}
function defaultWrite(text) {
    process.stdout.write(text);
}
/** Longest partial line held back waiting for its end (a progress line without a newline). */
const MAX_PENDING = 64 * 1024;
/**
 * A program's output on its way to the job log: whole lines are neutralized and passed on, a
 * partial line waits for its end (the runner judges a line whole). `flush` passes on the rest
 * once the program has ended.
 */
class UntrustedOutput extends Writable {
    target;
    pending = '';
    constructor(target = defaultWrite) {
        super({ decodeStrings: false });
        this.target = target;
    }
    _write(chunk, _encoding, done) {
        this.take(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        done();
    }
    /** Takes text synchronously (for callers that write to the log themselves). */
    take(text) {
        this.pending += text;
        const end = this.pending.lastIndexOf('\n');
        if (end >= 0) {
            this.target(neutralize(this.pending.slice(0, end + 1)));
            this.pending = this.pending.slice(end + 1);
        }
        if (this.pending.length > MAX_PENDING)
            this.flush();
    }
    /** Passes on what is held, ended with a newline so any pause closes on its own line. */
    flush() {
        if (this.pending === '')
            return;
        const rest = this.pending;
        this.pending = '';
        this.target(neutralize(`${rest}\n`));
    }
}

// The one place that runs external programs. Always an argument array, never a shell string.
/** A program that exited non-zero: says what was run and the end of what it printed. */
class ProgramError extends Error {
    command;
    exitCode;
    stdout;
    stderr;
    constructor(command, exitCode, stdout, stderr, 
    // A program killed by a signal has no exit code (null from @actions/exec).
    how = exitCode === null ? 'was killed by a signal' : `failed with exit code ${exitCode}`) {
        const tail = lastLines(stderr.trim() || stdout.trim());
        super(`\`${command}\` ${how}${tail ? `:\n${tail}` : ''}`);
        this.command = command;
        this.exitCode = exitCode;
        this.stdout = stdout;
        this.stderr = stderr;
        this.name = 'ProgramError';
    }
}
/** A program stopped because it ran past its time limit. */
class ProgramTimeoutError extends ProgramError {
    /** Why, in one line (the output's last line is only where the program had got to). */
    reason;
    constructor(command, stdout, stderr, timeout) {
        const reason = `it had not finished after ${seconds(timeout.ms)} (${timeout.input}) and was stopped`;
        super(command, null, stdout, stderr, `timed out: ${reason}`);
        this.reason = reason;
        this.name = 'ProgramTimeoutError';
    }
}
function seconds(ms) {
    return `${Math.round(ms / 100) / 10} s`;
}
/** After SIGTERM, how long a program has to exit before SIGKILL. */
const KILL_GRACE_MS = 10_000;
async function runProgram(program, args, options = {}) {
    if (options.timeout)
        return runWithTimeout(program, args, options, options.timeout);
    // The echoed command line and everything the program prints (exec sends both of its streams
    // there) reach the log with workflow commands made inert.
    const log = new UntrustedOutput();
    const result = await getExecOutput(resolveProgram(program, options.env), args, {
        env: options.env ? definedOnly(options.env) : undefined,
        cwd: options.cwd,
        input: options.input === undefined ? undefined : Buffer.from(options.input),
        silent: options.quiet ?? false,
        ignoreReturnCode: true,
        outStream: log,
        errStream: log
    })
        .finally(() => log.flush());
    if (result.exitCode !== 0 && !options.allowFailure) {
        throw new ProgramError(describeCommand(program, args), result.exitCode, result.stdout, result.stderr);
    }
    return result;
}
/**
 * runProgram for a program that may hang (a transfer to a registry that stopped answering):
 * @actions/exec cannot stop what it started, so this spawns it itself, echoing and streaming its
 * output the same way.
 */
async function runWithTimeout(program, args, options, timeout) {
    const resolved = resolveProgram(program, options.env);
    const quiet = options.quiet ?? false;
    // As exec does it: the command line and both streams to one log, commands made inert.
    const log = new UntrustedOutput();
    if (!quiet)
        log.take(`[command]${[resolved, ...args].join(' ')}\n`);
    const child = spawn(resolved, args, {
        env: options.env ? definedOnly(options.env) : undefined,
        cwd: options.cwd,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => {
        stdout += chunk;
        if (!quiet)
            log.take(chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk) => {
        stderr += chunk;
        if (!quiet)
            log.take(chunk);
    });
    if (options.input !== undefined)
        child.stdin?.end(options.input);
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), timeout.killGraceMs ?? KILL_GRACE_MS);
    }, timeout.ms);
    const exitCode = await new Promise((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) => resolve(code));
        // Stopped: its exit is enough (a child of its own may still hold the output pipes open).
        child.on('exit', (code) => {
            if (timedOut)
                resolve(code);
        });
    }).finally(() => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        log.flush();
    });
    const command = describeCommand(program, args);
    if (timedOut)
        throw new ProgramTimeoutError(command, stdout, stderr, timeout);
    const result = { exitCode: exitCode ?? -1, stdout, stderr };
    if (exitCode !== 0 && !options.allowFailure)
        throw new ProgramError(command, exitCode, stdout, stderr);
    return result;
}
/**
 * The program as found on the PATH of the environment it will run in (@actions/exec would look
 * on the action's own PATH); the bare name when it is not there, so exec reports it missing.
 */
function resolveProgram(program, env) {
    // The same PATH as the action's: @actions/exec finds it itself, no second walk needed.
    if (!env?.PATH || env.PATH === process.env.PATH || program.includes('/'))
        return program;
    return findProgram(program, env.PATH) ?? program;
}
/** The executable `program` in the folders of `searchPath`, or undefined. */
function findProgram(program, searchPath) {
    for (const dir of (searchPath ?? '').split(path$1.delimiter)) {
        if (!dir)
            continue;
        const candidate = path$1.join(dir, program);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        }
        catch {
            // Not in this folder.
        }
    }
    return undefined;
}
/** A readable one-line form of a command for messages (never executed). */
function describeCommand(program, args) {
    return [program, ...args]
        .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part)))
        .join(' ');
}
function lastLines(text, count) {
    return text.split('\n').slice(-15).join('\n');
}
/** The variables that have a value (NodeJS.ProcessEnv allows undefined ones). */
function definedOnly(env) {
    const out = {};
    for (const [key, value] of Object.entries(env))
        if (value !== undefined)
            out[key] = value;
    return out;
}
/**
 * Starts a program that runs until stopped, calling `onLine` for each line of its standard
 * output. Its standard error is kept for the message when it exits early.
 */
function startProgram(program, args, options) {
    const child = spawn(resolveProgram(program, options.env), args, {
        env: options.env ? definedOnly(options.env) : undefined,
        stdio: ['ignore', 'pipe', 'pipe']
    });
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines)
            if (line.trim())
                options.onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
        stderr = (stderr + chunk).slice(-4e3);
    });
    const exited = new Promise((resolve) => {
        child.on('error', (error) => resolve({ exitCode: null, stderr: error.message }));
        child.on('close', (exitCode) => resolve({ exitCode, stderr: lastLines(stderr.trim()) }));
    });
    return {
        exited,
        stop: async () => {
            if (child.exitCode === null && child.signalCode === null)
                child.kill('SIGTERM');
            await exited;
        }
    };
}

// Retrying what fails for passing reasons (a registry restarting, a dropped connection), with
// exponential backoff. Anything else fails at once.
async function withRetry(what, policy, action) {
    const sleep = policy.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    for (let attempt = 1;; attempt++) {
        try {
            return await action();
        }
        catch (error) {
            if (attempt >= policy.attempts || !policy.isTransient(error))
                throw error;
            const delay = policy.firstDelayMs * 2 ** (attempt - 1);
            warning(`${what} failed (attempt ${attempt} of ${policy.attempts}), retrying in ${delay / 1000} s: ${cause(error)}`);
            await sleep(delay);
        }
    }
}
// What docker push/login and the Registry API say when the failure may pass: network trouble,
// 5xx answers, rate limits. Authentication and "not found" are not among them.
const TRANSIENT_PATTERNS = [
    /connection refused/i,
    /connection reset/i,
    /broken pipe/i,
    /i\/o timeout/i,
    /timeout exceeded|timed out|deadline exceeded|aborted due to timeout/i,
    /TLS handshake timeout/i,
    /unexpected EOF|: EOF\b/i,
    /\b(?:500|502|503|504)\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout/i,
    /\b429\b|too many requests|toomanyrequests/i,
    /no such host|temporary failure in name resolution/i,
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|fetch failed/
];
const PERMANENT_PATTERNS = [
    /unauthorized|authentication required|denied|forbidden|no basic auth credentials/i
];
function isTransientRegistryError(error) {
    const text = errorText(error);
    if (PERMANENT_PATTERNS.some((pattern) => pattern.test(text)))
        return false;
    return TRANSIENT_PATTERNS.some((pattern) => pattern.test(text));
}
function errorText(error) {
    if (error instanceof Error) {
        const cause = error.cause;
        return `${error.message}${cause instanceof Error ? ` ${cause.message} ${cause.code ?? ''}` : ''}`;
    }
    return String(error);
}
/**
 * The line that says why: a ProgramError's first line only says what was run, the last says why;
 * an error that knows its reason (a program stopped at its time limit) says it.
 */
function cause(error) {
    if (error instanceof ProgramTimeoutError)
        return `timed out: ${error.reason}`;
    const lines = (error instanceof Error ? error.message : String(error))
        .split('\n')
        .filter((line) => line.trim() !== '');
    return lines[lines.length - 1] ?? '';
}
const REGISTRY_RETRY = {
    attempts: 4,
    firstDelayMs: 2000,
    isTransient: isTransientRegistryError
};

// The docker CLI, run with the action's private DOCKER_CONFIG against one engine: the runner's
// own, or a remote one (DOCKER_HOST, with TLS files, or the local end of an SSH tunnel) for the
// deploy step.
const LOCAL_ENGINE = { kind: 'local' };
/** Variables the action sets for the engine it talks to; the env input cannot change them. */
const ENGINE_VARIABLES = [
    'DOCKER_HOST',
    'DOCKER_CONTEXT',
    'DOCKER_TLS_VERIFY',
    'DOCKER_CERT_PATH',
    'DOCKER_CONFIG',
    'PATH'
];
/**
 * The environment the action's programs get: the runner's, minus what they must not see. The
 * runner passes every input as INPUT_<NAME>, secrets included, and no program needs them.
 */
function programEnv(env = process.env) {
    const clean = {};
    for (const [key, value] of Object.entries(env)) {
        if (key.startsWith('INPUT_') || key.startsWith('STATE_'))
            continue;
        clean[key] = value;
    }
    return clean;
}
class DockerCli {
    configDir;
    engine;
    constructor(configDir, engine = LOCAL_ENGINE) {
        this.configDir = configDir;
        this.engine = engine;
    }
    /** The same config against another engine. */
    withEngine(engine) {
        return new DockerCli(this.configDir, engine);
    }
    get env() {
        const env = { ...programEnv(), DOCKER_CONFIG: this.configDir };
        if (this.engine.kind === 'remote') {
            // The remote engine is chosen by the action alone, whatever the runner's docker points at.
            for (const key of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'])
                delete env[key];
            env.DOCKER_HOST = this.engine.host;
            if (this.engine.tlsDir) {
                env.DOCKER_TLS_VERIFY = '1';
                env.DOCKER_CERT_PATH = this.engine.tlsDir;
            }
        }
        return env;
    }
    run(args, options = {}) {
        const { extraEnv, ...rest } = options;
        return runProgram('docker', args, { ...rest, env: { ...this.env, ...extraEnv } });
    }
    /** The engine's version, or none and what docker said when the engine does not answer. */
    async serverVersion() {
        const result = await this.run(['version', '--format', '{{.Server.Version}}'], {
            quiet: true,
            allowFailure: true
        });
        const version = result.stdout.trim();
        return result.exitCode === 0 && version ? { version, stderr: result.stderr } : { stderr: result.stderr };
    }
    async hasBuildx() {
        const result = await this.run(['buildx', 'version'], { quiet: true, allowFailure: true });
        return result.exitCode === 0;
    }
    /** `docker login`, the password on standard input so it is never in an argument list. */
    async login(registry, username, password, timeoutSeconds) {
        await withRetry(`docker login ${registry}`, REGISTRY_RETRY, () => this.run(['login', '--username', username, '--password-stdin', registry], {
            input: password,
            timeout: registryTimeout(timeoutSeconds)
        }));
    }
}
/** The limit on one attempt at a transfer to or from a registry (the registry-timeout input). */
function registryTimeout(seconds) {
    return { ms: seconds * 1000, input: 'registry-timeout' };
}

// Whether a held deploy lock may be broken (break-stale-lock). Pure: the lock's
// labels are read back as untrusted text, the holder's run status comes from the GitHub API
// (GET /repos/{owner}/{repo}/actions/runs/{run_id}); anything unsure keeps the lock.
/** The reason given while a lock may still become stale (the waiting run asks again). */
const TOO_YOUNG = 'the lock is younger than lock-timeout';
const ALIVE = new Set(['queued', 'in_progress', 'waiting', 'requested', 'pending']);
function decideStaleLock(facts) {
    if (!facts.breakStaleLock)
        return { break: false, reason: 'break-stale-lock is not set' };
    const sinceMs = facts.since === undefined ? Number.NaN : Date.parse(facts.since);
    if (!Number.isFinite(sinceMs))
        return { break: false, reason: 'the lock does not say since when it is held' };
    if (facts.nowMs - sinceMs < facts.lockTimeoutMs) {
        return { break: false, reason: TOO_YOUNG };
    }
    const run = facts.run;
    if (run === undefined)
        return { break: false, reason: "no token, or the lock names no run: the holder's run cannot be checked" };
    if (run.kind === 'unknown')
        return { break: false, reason: `the holder's run could not be checked: ${run.why}` };
    if (run.kind === 'not-found')
        return { break: true, reason: "the holder's run no longer exists" };
    if (run.status === 'completed')
        return { break: true, reason: "the holder's run has completed" };
    if (ALIVE.has(run.status))
        return { break: false, reason: `the holder's run is ${run.status}` };
    return { break: false, reason: `the holder's run has an unexpected status` };
}
/**
 * decideStaleLock, asking for the holder's run only when the answer depends on it (the flag set,
 * the lock old enough): a young lock costs no API request.
 */
async function judgeStaleLock(facts, run) {
    const ifGone = decideStaleLock({ ...facts, run: { kind: 'not-found' } });
    if (!ifGone.break)
        return ifGone;
    return decideStaleLock({ ...facts, run: await run() });
}

const LOCK_LABEL = 'com.container-ship.lock';
const HOLDER_LABEL = 'com.container-ship.lock.holder';
const SINCE_LABEL = 'com.container-ship.lock.since';
const RECORD_LABELS = {
    repository: 'com.container-ship.lock.repository',
    runId: 'com.container-ship.lock.run-id',
    runAttempt: 'com.container-ship.lock.run-attempt',
    workflow: 'com.container-ship.lock.workflow',
    actor: 'com.container-ship.lock.actor'
};
/** The runner's names for this run. */
function lockRecordFrom(env = process.env) {
    return {
        repository: env.GITHUB_REPOSITORY || undefined,
        runId: env.GITHUB_RUN_ID || undefined,
        runAttempt: env.GITHUB_RUN_ATTEMPT || undefined,
        workflow: env.GITHUB_WORKFLOW || undefined,
        actor: env.GITHUB_ACTOR || undefined
    };
}
/** Whose a held lock is, in words: `acme/web run 42 (attempt 1, workflow Deploy, by octocat)`. */
function describeHolder(held) {
    // One line, short: the labels are whatever was written on the host.
    const clean = (value) => value === undefined ? undefined : value.replace(/\p{Cc}+/gu, ' ').slice(0, 200);
    const [repository, runId, runAttempt, workflow, actor, holder, since] = [
        held.record.repository,
        held.record.runId,
        held.record.runAttempt,
        held.record.workflow,
        held.record.actor,
        held.holder,
        held.since
    ].map(clean);
    const details = [
        runAttempt ? `attempt ${runAttempt}` : '',
        workflow ? `workflow ${workflow}` : '',
        actor ? `by ${actor}` : ''
    ].filter(Boolean);
    const run = runId ? `${repository ?? 'a repository'} run ${runId}` : holder || 'an unknown holder';
    return `${run}${details.length > 0 ? ` (${details.join(', ')})` : ''}${since ? ` since ${since}` : ''}`;
}
/** What every deploy lock's name starts with; the Compose project follows. */
const LOCK_PREFIX = 'container-ship-lock-';
function lockName(project) {
    return `${LOCK_PREFIX}${project}`;
}
/** `docker create` of the lock container: no network, no start, a command that is never run. */
function lockCreateArgs(project, image, holder, since, record = {}) {
    const recorded = Object.entries(RECORD_LABELS).flatMap(([key, label]) => {
        const value = record[key];
        return value ? ['--label', `${label}=${value}`] : [];
    });
    return [
        'create',
        '--name',
        lockName(project),
        '--network',
        'none',
        '--label',
        `${LOCK_LABEL}=${project}`,
        '--label',
        `${HOLDER_LABEL}=${holder}`,
        '--label',
        `${SINCE_LABEL}=${since.toISOString()}`,
        ...recorded,
        image,
        'container-ship-lock'
    ];
}
/**
 * Takes the lock, waiting while another run holds it, up to timeoutMs. `image` is one the host
 * has (the one being deployed, already pulled): creating a container needs one.
 */
async function acquireLock(docker, project, image, holder, options) {
    const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const now = options.now ?? Date.now;
    const deadline = now() + options.timeoutMs;
    const name = lockName(project);
    let announced = false;
    /** The last judgement of the lock held, by the lock's ID. */
    let judged;
    for (;;) {
        const created = await docker.run(lockCreateArgs(project, image, holder, new Date(now()), options.record), {
            quiet: true,
            allowFailure: true
        });
        if (created.exitCode === 0)
            return { name };
        if (!/Conflict|already in use/i.test(created.stderr)) {
            throw new Error(`could not take the deploy lock ${name}: ${created.stderr.trim()}`);
        }
        const current = await lockHolder$1(docker, name);
        if (!announced) {
            options.onWait?.(current);
            announced = true;
        }
        if (options.judgeStale) {
            const held = await heldLock(docker, name);
            if (held && (judged?.id !== held.id || judged.decision.reason === TOO_YOUNG)) {
                judged = { id: held.id, decision: await options.judgeStale(held) };
                if (judged.decision.break) {
                    const removed = await docker.run(['rm', held.id], { quiet: true, allowFailure: true });
                    if (removed.exitCode !== 0 && !/No such container/i.test(removed.stderr)) {
                        throw new Error(`could not break the stale deploy lock ${name}: ${removed.stderr.trim()}`);
                    }
                    options.onBroken?.(held, judged.decision.reason);
                    continue;
                }
            }
        }
        if (now() >= deadline) {
            const kept = judged ? ` It was not broken: ${judged.decision.reason}.` : '';
            throw new Error(`another deploy of project ${project} holds the lock on this host (${current}); waited ${Math.round(options.timeoutMs / 1000)} s (lock-timeout).${kept} If no deploy is running, remove the lock with: docker rm ${name}`);
        }
        await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - now())));
    }
}
/** Who holds the lock since when, as its labels say. */
async function lockHolder$1(docker, name) {
    const result = await docker.run([
        'container',
        'inspect',
        '--format',
        `{{index .Config.Labels "${HOLDER_LABEL}"}} since {{index .Config.Labels "${SINCE_LABEL}"}}`,
        name
    ], { quiet: true, allowFailure: true });
    return result.exitCode === 0 ? result.stdout.trim() : 'released just now';
}
/** The held lock's ID and labels; undefined when it was released meanwhile. */
async function heldLock(docker, name) {
    const result = await docker.run(['container', 'inspect', '--format', '{{json .Id}} {{json .Config.Labels}}', name], { quiet: true, allowFailure: true });
    if (result.exitCode !== 0)
        return undefined;
    const line = result.stdout.trim();
    const space = line.indexOf(' ');
    try {
        const id = JSON.parse(line.slice(0, space));
        const labels = (JSON.parse(line.slice(space + 1)) ?? {});
        const label = (key) => typeof labels[key] === 'string' && labels[key] !== '' ? labels[key] : undefined;
        if (typeof id !== 'string')
            return undefined;
        const record = {};
        for (const [key, name] of Object.entries(RECORD_LABELS))
            record[key] = label(name);
        return { id, holder: label(HOLDER_LABEL) ?? '', since: label(SINCE_LABEL), record };
    }
    catch {
        return undefined;
    }
}
/** Removes the lock; false when the host could not be asked (the lock may still be held). */
async function releaseLock(docker, lock) {
    const removed = await docker.run(['rm', '--force', lock.name], { quiet: true, allowFailure: true });
    return removed.exitCode === 0 || /No such container/i.test(removed.stderr);
}

// Which of the service's images on a host a prune may remove.
// Pure: the caller lists the images of the service's repository with when each was created on
// the host, and the image IDs a rollback or any container still needs.
/** The images to remove, oldest first; never the running, the previous, or one in use. */
function prunableImages(images, choice) {
    if (choice.keepReleases <= 0)
        return [];
    const newestFirst = [...images].sort((a, b) => b.createdMs - a.createdMs);
    const protectedIds = new Set(choice.inUseIds);
    if (choice.runningId !== undefined)
        protectedIds.add(choice.runningId);
    if (choice.previousId !== undefined)
        protectedIds.add(choice.previousId);
    // One ID can carry several tags: count releases by distinct image.
    const seen = new Set();
    const remove = [];
    for (const image of newestFirst) {
        if (seen.has(image.id))
            continue;
        seen.add(image.id);
        if (seen.size <= choice.keepReleases)
            continue;
        if (!protectedIds.has(image.id))
            remove.push(image);
    }
    return remove.reverse();
}
/** Bytes a removal frees, for the summary. */
function bytesFreed(removed) {
    return removed.reduce((sum, image) => sum + image.sizeBytes, 0);
}

const quiet = { quiet: true, allowFailure: true };
/** The repository of an image reference: without its digest and tag. */
function repositoryOf(image) {
    const withoutDigest = image.replace(/@sha256:[0-9a-f]{64}$/, '');
    const colon = withoutDigest.lastIndexOf(':');
    return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}
/** `repo:version` of a deployed reference (`repo:version@sha256:...`); '' when it has no tag. */
function deployedTagOf(image) {
    const withoutDigest = image.replace(/@sha256:[0-9a-f]{64}$/, '');
    return repositoryOf(withoutDigest) === withoutDigest ? '' : withoutDigest;
}
/** Removes what keep-releases lets go on the host; a report of what went and what did not. */
async function pruneReleases(docker, request) {
    const report = { removed: [], bytes: 0, warnings: [] };
    if (request.keepReleases <= 0)
        return report;
    const { repository } = request;
    if (request.deployedTag) {
        // Marks the running release as the most recently deployed one (its LastTagTime).
        const tagged = await docker.run(['tag', request.runningId, request.deployedTag], quiet);
        if (tagged.exitCode !== 0)
            report.warnings.push(`${request.deployedTag} could not be tagged: ${tagged.stderr.trim()}`);
    }
    const listed = await docker.run(['image', 'ls', '--no-trunc', '--quiet', repository], quiet);
    if (listed.exitCode !== 0)
        throw new Error(`listing the images of ${repository} failed: ${listed.stderr.trim()}`);
    const ids = [
        ...new Set(listed.stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean))
    ];
    if (ids.length <= request.keepReleases)
        return report;
    const images = await inspectImages(docker, ids, repository);
    const choice = {
        keepReleases: request.keepReleases,
        runningId: request.runningId,
        previousId: request.previousImage ? await previousId(docker, request.previousImage) : undefined,
        inUseIds: await imagesInUse(docker)
    };
    const chosen = new Set(prunableImages(images.map((entry) => entry.image), choice).map((image) => image.id));
    for (const { image, references } of images.filter((entry) => chosen.has(entry.image.id))) {
        const removed = await docker.run(['image', 'rm', ...references], quiet);
        const still = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image.id], quiet);
        if (still.exitCode !== 0 && /No such image/i.test(still.stderr)) {
            report.removed.push(image);
            continue;
        }
        const why = removed.exitCode !== 0 ? removed.stderr.trim() : 'other repositories still name it';
        report.warnings.push(`${repository} ${image.release} (${image.id}) was not removed: ${why}`);
    }
    report.removed.sort((a, b) => a.createdMs - b.createdMs);
    report.bytes = bytesFreed(report.removed);
    return report;
}
/** Each image with the references that name it in this repository. */
async function inspectImages(docker, ids, repository) {
    const inspected = await docker.run(['image', 'inspect', '--format', '{{json .}}', ...ids], quiet);
    if (inspected.exitCode !== 0)
        throw new Error(`inspecting the images of ${repository} failed: ${inspected.stderr.trim()}`);
    const strings = (value) => Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
    return inspected.stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line))
        .flatMap((entry) => {
        const createdMs = Math.max(timeOf(entry.Created), timeOf(entry.Metadata?.LastTagTime));
        if (typeof entry.Id !== 'string' || !Number.isFinite(createdMs))
            return [];
        const tags = strings(entry.RepoTags).filter((tag) => tag.startsWith(`${repository}:`));
        const digests = strings(entry.RepoDigests).filter((digest) => digest.startsWith(`${repository}@`));
        if (tags.length + digests.length === 0)
            return [];
        const release = releaseName(tags.map((tag) => tag.slice(repository.length + 1)));
        const sizeBytes = typeof entry.Size === 'number' ? entry.Size : 0;
        return [{ image: { id: entry.Id, release, createdMs, sizeBytes }, references: [...tags, ...digests] }];
    });
}
/** A time the engine reports, in ms; -Infinity when missing. The zero time (never tagged) is year 1. */
function timeOf(value) {
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    return Number.isNaN(ms) ? -Infinity : ms;
}
/**
 * The tag that names the release best: the most specific version (1.2.3 over 1.2 and 1), not
 * latest or sha-*, which move or say little.
 */
function releaseName(tags) {
    const versions = tags.filter((tag) => tag !== 'latest' && !tag.startsWith('sha-'));
    const best = [...versions].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0];
    return best ?? tags[0] ?? '<no tag>';
}
/** The previous release's image ID; undefined when the host no longer has it. */
async function previousId(docker, image) {
    const inspected = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image], quiet);
    if (inspected.exitCode === 0)
        return inspected.stdout.trim();
    if (/No such image/i.test(inspected.stderr))
        return undefined;
    throw new Error(`inspecting the previous release ${image} failed: ${inspected.stderr.trim()}`);
}
/** The image IDs of every container on the host, running or not, of any project. */
async function imagesInUse(docker) {
    const listed = await docker.run(['ps', '--all', '--quiet', '--no-trunc'], quiet);
    if (listed.exitCode !== 0)
        throw new Error(`listing the host's containers failed: ${listed.stderr.trim()}`);
    const ids = listed.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
    if (ids.length === 0)
        return new Set();
    const inspected = await docker.run(['container', 'inspect', '--format', '{{.Image}}', ...ids], quiet);
    // A container removed since the listing is no longer a user; any other failure is unsure.
    const problems = inspected.stderr
        .split('\n')
        .filter((line) => line.trim() && !/No such container/i.test(line));
    if (inspected.exitCode !== 0 && problems.length > 0)
        throw new Error(`inspecting the host's containers failed: ${problems.join(' ')}`);
    return new Set(inspected.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean));
}
/** `12.3 MB (12345678 bytes)`. */
function sizeText(bytes) {
    return `${(bytes / 1_000_000).toFixed(1)} MB (${bytes} bytes)`;
}
/** The log's line for a host's prune. */
function pruneMessage(repository, where, report) {
    if (report.removed.length === 0)
        return `keep-releases: no image of ${repository} to remove${where}`;
    const list = report.removed.map((image) => `${image.release} (${image.id.replace(/^sha256:/, '').slice(0, 12)})`);
    return `keep-releases: removed ${report.removed.length} image(s) of ${repository}${where}: ${list.join(', ')}; ${sizeText(report.bytes)} freed`;
}

/** keep-releases on each host (side by side as `each` runs them); a report per host, in order. */
async function pruneAfterDeploy(hosts, options) {
    if (options.keepReleases <= 0)
        return hosts.map(() => undefined);
    const repository = repositoryOf(options.image);
    const several = hosts.length > 1;
    return options.each(async (host) => {
        const where = several ? ` on ${host.url}` : '';
        try {
            const report = await pruneReleases(host.docker, {
                repository,
                keepReleases: options.keepReleases,
                runningId: host.runningId,
                deployedTag: deployedTagOf(options.image),
                previousImage: host.previousImage
            });
            options.log.info(pruneMessage(repository, where, report));
            for (const warning of report.warnings)
                options.log.warning(`keep-releases${where}: ${warning}`);
            return report;
        }
        catch (error) {
            options.log.warning(`keep-releases${where}: nothing removed: ${error.message}`);
            return undefined;
        }
    });
}
/** The judge acquireLock asks about a held lock; undefined when break-stale-lock is off. */
function staleLockJudge(access) {
    if (!access.breakStaleLock)
        return undefined;
    return (held) => judgeStaleLock({
        breakStaleLock: true,
        lockTimeoutMs: access.lockTimeoutSeconds * 1000,
        nowMs: Date.now(),
        since: held.since
    }, async () => {
        // Octokit only when a lock is old enough to ask about.
        const { holderRunState } = await import('./chunks/run-state-B6LHUdV3.js');
        return holderRunState(held.record, { token: access.token, repository: access.repository });
    });
}
/** The log line for a broken lock: whose it was and why it was broken. */
function brokenLockMessage(project, where, held, reason) {
    return `Broke the stale deploy lock of ${project}${where}, held by ${describeHolder(held)}: ${reason}`;
}

// Docker Compose as the deploy runs it: the v2 plugin (`docker compose`) when the docker CLI has
// it, else Debian's and pip's v1 (`docker-compose`), always with the compose files and the
// project named explicitly, against the deploy host's engine.
/** The Compose to use: the v2 plugin if the docker CLI has one, else docker-compose v1. */
async function probeCompose(docker) {
    const v2 = await docker
        .run(['compose', 'version', '--short'], { quiet: true, allowFailure: true })
        .catch(() => undefined);
    if (v2?.exitCode === 0)
        return { kind: 'v2', version: v2.stdout.trim() };
    const v1 = await runProgram('docker-compose', ['version', '--short'], {
        env: docker.env,
        quiet: true,
        allowFailure: true
    }).catch(() => undefined);
    if (v1?.exitCode === 0)
        return { kind: 'v1', version: v1.stdout.trim() };
    throw new Error('neither `docker compose` (the Compose v2 plugin) nor `docker-compose` (v1) is installed on the runner: the deploy step needs one');
}
/** Compose's arguments for one command: every file, the project, then the command. */
function composeArgs(files, project, command) {
    return [...files.flatMap((file) => ['-f', file]), '-p', project, ...command];
}
/**
 * `up` for a service only, at `count` containers, leaving its dependencies and its running
 * containers alone: the new containers start beside the old ones.
 */
function scaleUpCommand(service, count) {
    return ['up', '--detach', '--no-deps', '--no-recreate', '--scale', `${service}=${count}`, service];
}
/**
 * The variables Compose runs with: the runner's, then the env input and APP_VERSION (what
 * interpolation saw), then the engine's (so Compose talks to the engine every other call does),
 * minus variables that would make Compose pick other files or another project than the action's.
 */
function composeEnv(docker, variant, variables) {
    const engine = docker.env;
    const env = { ...engine, ...variables };
    for (const key of ENGINE_VARIABLES) {
        if (engine[key] === undefined)
            delete env[key];
        else
            env[key] = engine[key];
    }
    for (const key of [
        'COMPOSE_FILE',
        'COMPOSE_PROJECT_NAME',
        'COMPOSE_PATH_SEPARATOR',
        'COMPOSE_PARAMIKO_SSH'
    ])
        delete env[key];
    // v1's docker-py ignores DOCKER_CERT_PATH's ca.pem for the server (compose #8634).
    if (variant.kind === 'v1' && docker.engine.kind === 'remote' && docker.engine.tlsDir) {
        env.REQUESTS_CA_BUNDLE = `${docker.engine.tlsDir}/ca.pem`;
    }
    return env;
}
class Compose {
    docker;
    variant;
    files;
    project;
    variables;
    cwd;
    constructor(docker, variant, files, project, 
    /** The variables interpolation used (env input and APP_VERSION). */
    variables, 
    /** Where relative compose-file paths start: the workspace. */
    cwd) {
        this.docker = docker;
        this.variant = variant;
        this.files = files;
        this.project = project;
        this.variables = variables;
        this.cwd = cwd;
    }
    get label() {
        return this.variant.kind === 'v2'
            ? `docker compose ${this.variant.version}`
            : `docker-compose ${this.variant.version}`;
    }
    /** The same Compose with more files after these (the action's own, e.g. a label). */
    withFiles(extra) {
        if (extra.length === 0)
            return this;
        return new Compose(this.docker, this.variant, [...this.files, ...extra], this.project, this.variables, this.cwd);
    }
    run(command, options = {}) {
        const env = composeEnv(this.docker, this.variant, this.variables);
        const args = composeArgs(this.files, this.project, command);
        return this.variant.kind === 'v2'
            ? runProgram('docker', ['compose', ...args], { ...options, env, cwd: this.cwd })
            : runProgram('docker-compose', args, { ...options, env, cwd: this.cwd });
    }
}

function parseEngineEvent(line) {
    let parsed;
    try {
        parsed = JSON.parse(line);
    }
    catch {
        return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null)
        return undefined;
    const id = parsed.Actor?.ID ?? parsed.id ?? '';
    const action = parsed.Action ?? parsed.status ?? '';
    if (!id || !action)
        return undefined;
    const exitCode = parsed.Actor?.Attributes?.exitCode;
    return { id, action, ...(exitCode === undefined ? {} : { exitCode: Number(exitCode) }) };
}
/**
 * What one event says about a container that is being waited for. `hasHealthcheck` decides
 * whether `ready` can come from an event at all (without one it comes from the grace timer).
 */
function judgeEvent(event, hasHealthcheck) {
    if (event.action === 'die') {
        return { kind: 'failed', reason: `exited with code ${event.exitCode ?? 'unknown'}` };
    }
    if (event.action === 'oom')
        return { kind: 'failed', reason: 'was killed for running out of memory' };
    if (event.action === 'restart')
        return { kind: 'failed', reason: 'restarted' };
    if (event.action === 'destroy')
        return { kind: 'failed', reason: 'was removed' };
    if (event.action === 'health_status: unhealthy')
        return { kind: 'failed', reason: 'became unhealthy' };
    if (hasHealthcheck && event.action === 'health_status: healthy')
        return { kind: 'ready' };
    return { kind: 'waiting' };
}
/** What an inspection says about a container before any event is read. */
function judgeState(state) {
    if (!state.running && state.status !== 'created') {
        return { kind: 'failed', reason: `is ${state.status} (exit code ${state.exitCode})` };
    }
    if (state.restartCount > 0)
        return { kind: 'failed', reason: 'restarted' };
    if (state.health?.status === 'unhealthy')
        return { kind: 'failed', reason: 'became unhealthy' };
    if (state.health?.status === 'healthy')
        return { kind: 'ready' };
    return { kind: 'waiting' };
}
/** Running, and healthy when it has a healthcheck: fit to get traffic. */
function canServe(container) {
    return container.running && (container.health === undefined || container.health.status === 'healthy');
}
/**
 * Follows the engine's events for `containers` (replayed from their creation, so nothing
 * between their start and this call is missed) until all are ready, one fails, or the time runs
 * out. When the events are lost (the engine restarted, the connection dropped), waits for the
 * engine to answer again within the same time, reads the containers' state by inspection and
 * follows the events again.
 */
async function waitUntilReady(docker, containers, options) {
    const deadline = Date.now() + options.timeoutMs;
    const pending = new Map(); // not ready yet: id -> has a healthcheck
    const watched = new Map(containers.map((container) => [container.id, container.health !== undefined]));
    const failures = {};
    const judgeAll = (states) => {
        for (const id of watched.keys()) {
            const state = states.find((container) => container.id === id);
            const verdict = state ? judgeState(state) : { kind: 'failed', reason: 'was removed' };
            if (verdict.kind === 'failed')
                failures[id] = verdict.reason;
            else if (verdict.kind === 'ready')
                pending.delete(id);
        }
    };
    for (const container of containers)
        pending.set(container.id, container.health !== undefined);
    judgeAll(containers);
    const settled = () => Object.keys(failures).length > 0 || pending.size === 0;
    /** Tells the current watch to look again (a grace period ended). */
    let wake = () => { };
    // Without a healthcheck, ready once the grace has passed (by the clock, across reconnections).
    const graceTimers = [...pending]
        .filter(([, hasHealthcheck]) => !hasHealthcheck)
        .map(([id]) => setTimeout(() => {
        pending.delete(id);
        wake();
    }, options.graceMs));
    try {
        while (!settled()) {
            const watch = await watchEvents(docker, containers, watched, pending, failures, deadline, (poke) => {
                wake = poke;
            });
            if (watch.kind === 'settled' || settled())
                break;
            const report = options.report ?? (() => { });
            report('lost', `Lost the engine's events (${watch.reason}): waiting for the engine to answer again`);
            const since = Date.now();
            const version = await engineAnswers(docker, deadline, options);
            if (version === undefined) {
                const why = options.connectionAlive && !options.connectionAlive()
                    ? 'and the connection to the host has ended'
                    : 'and the engine did not answer again in time';
                for (const id of pending.keys())
                    failures[id] = `lost the engine's events (${watch.reason}) ${why}`;
                break;
            }
            report('back', `The engine answers again after ${((Date.now() - since) / 1000).toFixed(1)} s: reading the new containers' state`);
            await options.onEngineBack?.(version, [...pending.keys()]);
            judgeAll(await options.inspect([...watched.keys()]));
        }
    }
    finally {
        for (const timer of graceTimers)
            clearTimeout(timer);
    }
    if (Object.keys(failures).length === 0 && pending.size > 0) {
        for (const id of pending.keys())
            failures[id] = 'timeout';
    }
    return { ready: Object.keys(failures).length === 0, failures };
}
/**
 * One `docker events` session: settles when every watched container is ready, one fails or the
 * deadline passes; `lost` when the events end first.
 */
function watchEvents(docker, containers, watched, pending, failures, deadline, onWake) {
    return new Promise((resolve) => {
        let done = false;
        const finish = (watch) => {
            if (done)
                return;
            done = true;
            clearTimeout(timer);
            void events.stop().then(() => resolve(watch));
        };
        const check = () => {
            if (Object.keys(failures).length > 0 || pending.size === 0)
                finish({ kind: 'settled' });
        };
        const events = startProgram('docker', [
            'events',
            '--since',
            String(earliestSeconds(containers)),
            '--filter',
            'type=container',
            // Every new container, also the ones already ready: one that turns unhealthy or exits
            // while the others are still starting fails the release too.
            ...[...watched.keys()].flatMap((id) => ['--filter', `container=${id}`]),
            '--format',
            '{{json .}}'
        ], {
            env: docker.env,
            onLine: (line) => {
                const event = parseEngineEvent(line);
                if (!event || !watched.has(event.id))
                    return;
                const verdict = judgeEvent(event, watched.get(event.id));
                // Replayed events come in order: a failure after being ready is still a failure.
                if (verdict.kind === 'failed')
                    failures[event.id] ??= verdict.reason;
                else if (verdict.kind === 'ready')
                    pending.delete(event.id);
                check();
            }
        });
        void events.exited.then(({ exitCode, stderr }) => finish({
            kind: 'lost',
            reason: `docker events exited with ${exitCode ?? 'an error'}${stderr ? `: ${stderr}` : ''}`
        }));
        const timer = setTimeout(() => finish({ kind: 'settled' }), Math.max(0, deadline - Date.now()));
        onWake(check);
        check();
    });
}
/**
 * The engine's version once it answers again before the deadline; undefined when it does not
 * (at once when the way to it is gone).
 */
async function engineAnswers(docker, deadline, options) {
    const pollMs = options.pollMs ?? 500;
    for (;;) {
        if (options.connectionAlive && !options.connectionAlive())
            return undefined;
        const { version } = await docker.serverVersion();
        if (version)
            return version;
        if (Date.now() + pollMs >= deadline)
            return undefined;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
}
/**
 * Whether the engine has restarted since these containers started: a restarted engine keeps no
 * events from before (its event log is in memory), so their `start` events are gone. (On a very
 * busy engine they may also have aged out of its 1,024-event log: then this says yes.)
 */
async function restartedSinceStart(docker, containers) {
    const replay = await docker.run([
        'events',
        '--since',
        String(earliestSeconds(containers)),
        '--until',
        String(Math.floor(Date.now() / 1000) + 1),
        '--filter',
        'type=container',
        '--filter',
        'event=start',
        ...containers.flatMap(({ id }) => ['--filter', `container=${id}`]),
        '--format',
        '{{json .}}'
    ], { quiet: true, allowFailure: true });
    const started = new Set(replay.stdout
        .split('\n')
        .map(parseEngineEvent)
        .filter((event) => event?.action === 'start')
        .map((event) => event?.id));
    return containers.some(({ id }) => !started.has(id));
}
/**
 * Engines before 23.0 with live-restore stop running the healthchecks of the containers they
 * restore after a restart (moby/moby#41871, mended in 23.0 by moby/moby#41935): a new container
 * would stay `starting` for ever.
 */
function losesHealthchecksOnRestart(engineVersion) {
    const major = Number(/^(\d+)\./.exec(engineVersion)?.[1]);
    return Number.isFinite(major) && major < 23;
}
/** The engine's time of the earliest creation, in whole seconds, for `docker events --since`. */
function earliestSeconds(containers) {
    const times = containers.map((container) => Date.parse(container.created)).filter(Number.isFinite);
    // Without a creation time, the last minute (containers were created moments ago).
    const earliest = times.length > 0 ? Math.min(...times) : Date.now() - 60_000;
    return Math.floor(earliest / 1000) - 1;
}

const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';
/** `docker inspect` JSON of containers, as the fields the rollout reads. */
function parseContainerInspect(json) {
    const parsed = JSON.parse(json);
    if (!Array.isArray(parsed))
        throw new Error('docker inspect did not print a JSON list');
    return parsed.map((entry) => {
        const state = entry.State ?? {};
        const health = state.Health;
        const networks = {};
        for (const [name, network] of Object.entries(entry.NetworkSettings?.Networks ?? {})) {
            networks[name] = {
                ip: network?.IPAddress ?? '',
                aliases: Array.isArray(network?.Aliases) ? network.Aliases : []
            };
        }
        return {
            id: entry.Id ?? '',
            name: (entry.Name ?? '').replace(/^\//, ''),
            image: entry.Config?.Image ?? '',
            imageId: entry.Image ?? '',
            created: entry.Created ?? '',
            running: state.Running === true,
            status: state.Status ?? '',
            exitCode: state.ExitCode ?? 0,
            restartCount: entry.RestartCount ?? 0,
            ...(health
                ? {
                    health: {
                        status: health.Status ?? '',
                        log: (health.Log ?? []).map((probe) => ({
                            exitCode: probe.ExitCode ?? 0,
                            output: probe.Output ?? ''
                        }))
                    }
                }
                : {}),
            networks
        };
    });
}
/** The filter arguments that select a service's containers. */
function serviceFilter(project, service) {
    return [
        '--filter',
        `label=${PROJECT_LABEL}=${project}`,
        ...(service === undefined ? [] : ['--filter', `label=${SERVICE_LABEL}=${service}`])
    ];
}
class Containers {
    docker;
    /** Networks that refused `--ip` (no subnet in their configuration). */
    noFixedAddress = new Set();
    constructor(docker) {
        this.docker = docker;
    }
    /** IDs of the project's (or one service's) containers; running ones only unless `all`. */
    async list(project, service, all = false) {
        const result = await this.docker.run(['ps', ...(all ? ['--all'] : []), '--no-trunc', '--quiet', ...serviceFilter(project, service)], { quiet: true });
        return result.stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean);
    }
    async inspect(ids) {
        if (ids.length === 0)
            return [];
        const result = await this.docker.run(['container', 'inspect', ...ids], { quiet: true });
        return parseContainerInspect(result.stdout);
    }
    /** Removes containers by ID, running or not; ones already gone are not an error. */
    async remove(ids) {
        if (ids.length === 0)
            return;
        const result = await this.docker.run(['rm', '--force', ...ids], { quiet: true, allowFailure: true });
        if (result.exitCode !== 0 && !/No such container/i.test(result.stderr)) {
            throw new Error(`could not remove containers ${ids.map(short).join(', ')}: ${result.stderr.trim()}`);
        }
    }
    /**
     * Stops containers by ID, all at once, each with its own stop signal and grace period (Compose
     * sets both on the container from stop_signal and stop_grace_period), then removes them.
     */
    async stopAndRemove(ids) {
        if (ids.length === 0)
            return;
        await this.docker.run(['stop', ...ids], { quiet: true, allowFailure: true });
        await this.remove(ids);
    }
    async disconnect(network, id) {
        await this.docker.run(['network', 'disconnect', network, id], { quiet: true });
    }
    /**
     * Connects a container to a network with these DNS aliases, at `ip` when the network lets a
     * container ask for its address (only networks with a subnet in their configuration do);
     * returns the address it got.
     */
    async connect(network, id, aliases, ip) {
        const args = ['network', 'connect', ...aliases.flatMap((alias) => ['--alias', alias])];
        if (ip && !this.noFixedAddress.has(network)) {
            const kept = await this.docker.run([...args, '--ip', ip, network, id], {
                quiet: true,
                allowFailure: true
            });
            if (kept.exitCode === 0)
                return ip;
            if (!/user specified IP address is supported only/i.test(kept.stderr)) {
                throw new Error(`could not connect ${short(id)} to ${network}: ${kept.stderr.trim()}`);
            }
            this.noFixedAddress.add(network);
        }
        await this.docker.run([...args, network, id], { quiet: true });
        const [state] = await this.inspect([id]);
        return state?.networks[network]?.ip ?? '';
    }
    /**
     * Starts the engine's healthchecks of these containers again: unpausing a container starts its
     * health monitor afresh (the way round moby/moby#41871). Only for containers that get no traffic
     * yet: pausing freezes them for the moment between the two calls.
     */
    async rearmHealthchecks(ids) {
        if (ids.length === 0)
            return;
        await this.docker.run(['pause', ...ids], { quiet: true });
        await this.docker.run(['unpause', ...ids], { quiet: true });
    }
    /** The last lines a container printed, for the summary of a failed release. */
    async logTail(id, lines) {
        const result = await this.docker.run(['logs', '--tail', String(lines), id], {
            quiet: true,
            allowFailure: true
        });
        return `${result.stdout}${result.stderr}`.trimEnd();
    }
}
/** The 12-character form docker prints. */
function short(id) {
    return id.replace(/^sha256:/, '').slice(0, 12);
}

/** A failure's logTail holds at most this many of the container's last log lines. */
const LOG_TAIL_LINES = 20;

async function describeFailures(containers, fresh, outcome, healthTimeout) {
    const latest = await containers.inspect(fresh.map((container) => container.id)).catch(() => fresh);
    const failures = [];
    for (const container of latest) {
        const reason = outcome.failures[container.id];
        if (!reason)
            continue;
        failures.push({
            name: container.name,
            id: container.id,
            reason: reason === 'timeout'
                ? `not ready after ${healthTimeout} s (health-timeout)${container.health ? `, health ${container.health.status}` : ''}`
                : reason,
            healthLog: (container.health?.log ?? [])
                .slice(-3)
                .map((probe) => `exit ${probe.exitCode}: ${probe.output.trim()}`),
            logTail: await containers.logTail(container.id, LOG_TAIL_LINES)
        });
    }
    return failures;
}
function describeState(container) {
    if (!container.running)
        return `was ${container.status} (exit code ${container.exitCode})`;
    return `was ${container.health?.status ?? 'not healthy'}`;
}
function failureMessage$1(service, failures) {
    const first = failures[0];
    const what = first ? `${first.name} ${first.reason}` : 'a new container failed';
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    return `the new version of ${service} is not healthy: ${what}${more}. The new containers were removed; the old ones kept serving.`;
}

const ALIAS = Symbol.for('yaml.alias');
const DOC = Symbol.for('yaml.document');
const MAP = Symbol.for('yaml.map');
const PAIR = Symbol.for('yaml.pair');
const SCALAR$1 = Symbol.for('yaml.scalar');
const SEQ = Symbol.for('yaml.seq');
const NODE_TYPE = Symbol.for('yaml.node.type');
const isAlias = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === ALIAS;
const isDocument = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === DOC;
const isMap = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === MAP;
const isPair = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === PAIR;
const isScalar = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SCALAR$1;
const isSeq = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SEQ;
function isCollection(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case MAP:
            case SEQ:
                return true;
        }
    return false;
}
function isNode(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case ALIAS:
            case MAP:
            case SCALAR$1:
            case SEQ:
                return true;
        }
    return false;
}
const hasAnchor = (node) => (isScalar(node) || isCollection(node)) && !!node.anchor;

const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove node');
/**
 * Apply a visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
function visit(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (isDocument(node)) {
        const cd = visit_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        visit_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current node */
visit.SKIP = SKIP;
/** Remove the current node */
visit.REMOVE = REMOVE;
function visit_(key, node, visitor, path) {
    const ctrl = callVisitor(key, node, visitor, path);
    if (isNode(ctrl) || isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visit_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = visit_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = visit_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = visit_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
function initVisitor(visitor) {
    if (typeof visitor === 'object' &&
        (visitor.Collection || visitor.Node || visitor.Value)) {
        return Object.assign({
            Alias: visitor.Node,
            Map: visitor.Node,
            Scalar: visitor.Node,
            Seq: visitor.Node
        }, visitor.Value && {
            Map: visitor.Value,
            Scalar: visitor.Value,
            Seq: visitor.Value
        }, visitor.Collection && {
            Map: visitor.Collection,
            Seq: visitor.Collection
        }, visitor);
    }
    return visitor;
}
function callVisitor(key, node, visitor, path) {
    if (typeof visitor === 'function')
        return visitor(key, node, path);
    if (isMap(node))
        return visitor.Map?.(key, node, path);
    if (isSeq(node))
        return visitor.Seq?.(key, node, path);
    if (isPair(node))
        return visitor.Pair?.(key, node, path);
    if (isScalar(node))
        return visitor.Scalar?.(key, node, path);
    if (isAlias(node))
        return visitor.Alias?.(key, node, path);
    return undefined;
}
function replaceNode(key, path, node) {
    const parent = path[path.length - 1];
    if (isCollection(parent)) {
        parent.items[key] = node;
    }
    else if (isPair(parent)) {
        if (key === 'key')
            parent.key = node;
        else
            parent.value = node;
    }
    else if (isDocument(parent)) {
        parent.contents = node;
    }
    else {
        const pt = isAlias(parent) ? 'alias' : 'scalar';
        throw new Error(`Cannot replace node with ${pt} parent`);
    }
}

const escapeChars = {
    '!': '%21',
    ',': '%2C',
    '[': '%5B',
    ']': '%5D',
    '{': '%7B',
    '}': '%7D'
};
const escapeTagName = (tn) => tn.replace(/[!,[\]{}]/g, ch => escapeChars[ch]);
class Directives {
    constructor(yaml, tags) {
        /**
         * The directives-end/doc-start marker `---`. If `null`, a marker may still be
         * included in the document's stringified representation.
         */
        this.docStart = null;
        /** The doc-end marker `...`.  */
        this.docEnd = false;
        this.yaml = Object.assign({}, Directives.defaultYaml, yaml);
        this.tags = Object.assign({}, Directives.defaultTags, tags);
    }
    clone() {
        const copy = new Directives(this.yaml, this.tags);
        copy.docStart = this.docStart;
        return copy;
    }
    /**
     * During parsing, get a Directives instance for the current document and
     * update the stream state according to the current version's spec.
     */
    atDocument() {
        const res = new Directives(this.yaml, this.tags);
        switch (this.yaml.version) {
            case '1.1':
                this.atNextDocument = true;
                break;
            case '1.2':
                this.atNextDocument = false;
                this.yaml = {
                    explicit: Directives.defaultYaml.explicit,
                    version: '1.2'
                };
                this.tags = Object.assign({}, Directives.defaultTags);
                break;
        }
        return res;
    }
    /**
     * @param onError - May be called even if the action was successful
     * @returns `true` on success
     */
    add(line, onError) {
        if (this.atNextDocument) {
            this.yaml = { explicit: Directives.defaultYaml.explicit, version: '1.1' };
            this.tags = Object.assign({}, Directives.defaultTags);
            this.atNextDocument = false;
        }
        const parts = line.trim().split(/[ \t]+/);
        const name = parts.shift();
        switch (name) {
            case '%TAG': {
                if (parts.length !== 2) {
                    onError(0, '%TAG directive should contain exactly two parts');
                    if (parts.length < 2)
                        return false;
                }
                const [handle, prefix] = parts;
                this.tags[handle] = prefix;
                return true;
            }
            case '%YAML': {
                this.yaml.explicit = true;
                if (parts.length !== 1) {
                    onError(0, '%YAML directive should contain exactly one part');
                    return false;
                }
                const [version] = parts;
                if (version === '1.1' || version === '1.2') {
                    this.yaml.version = version;
                    return true;
                }
                else {
                    const isValid = /^\d+\.\d+$/.test(version);
                    onError(6, `Unsupported YAML version ${version}`, isValid);
                    return false;
                }
            }
            default:
                onError(0, `Unknown directive ${name}`, true);
                return false;
        }
    }
    /**
     * Resolves a tag, matching handles to those defined in %TAG directives.
     *
     * @returns Resolved tag, which may also be the non-specific tag `'!'` or a
     *   `'!local'` tag, or `null` if unresolvable.
     */
    tagName(source, onError) {
        if (source === '!')
            return '!'; // non-specific tag
        if (source[0] !== '!') {
            onError(`Not a valid tag: ${source}`);
            return null;
        }
        if (source[1] === '<') {
            const verbatim = source.slice(2, -1);
            if (verbatim === '!' || verbatim === '!!') {
                onError(`Verbatim tags aren't resolved, so ${source} is invalid.`);
                return null;
            }
            if (source[source.length - 1] !== '>')
                onError('Verbatim tags must end with a >');
            return verbatim;
        }
        const [, handle, suffix] = source.match(/^(.*!)([^!]*)$/s);
        if (!suffix)
            onError(`The ${source} tag has no suffix`);
        const prefix = this.tags[handle];
        if (prefix) {
            try {
                return prefix + decodeURIComponent(suffix);
            }
            catch (error) {
                onError(String(error));
                return null;
            }
        }
        if (handle === '!')
            return source; // local tag
        onError(`Could not resolve tag: ${source}`);
        return null;
    }
    /**
     * Given a fully resolved tag, returns its printable string form,
     * taking into account current tag prefixes and defaults.
     */
    tagString(tag) {
        for (const [handle, prefix] of Object.entries(this.tags)) {
            if (tag.startsWith(prefix))
                return handle + escapeTagName(tag.substring(prefix.length));
        }
        return tag[0] === '!' ? tag : `!<${tag}>`;
    }
    toString(doc) {
        const lines = this.yaml.explicit
            ? [`%YAML ${this.yaml.version || '1.2'}`]
            : [];
        const tagEntries = Object.entries(this.tags);
        let tagNames;
        if (doc && tagEntries.length > 0 && isNode(doc.contents)) {
            const tags = {};
            visit(doc.contents, (_key, node) => {
                if (isNode(node) && node.tag)
                    tags[node.tag] = true;
            });
            tagNames = Object.keys(tags);
        }
        else
            tagNames = [];
        for (const [handle, prefix] of tagEntries) {
            if (handle === '!!' && prefix === 'tag:yaml.org,2002:')
                continue;
            if (!doc || tagNames.some(tn => tn.startsWith(prefix)))
                lines.push(`%TAG ${handle} ${prefix}`);
        }
        return lines.join('\n');
    }
}
Directives.defaultYaml = { explicit: false, version: '1.2' };
Directives.defaultTags = { '!!': 'tag:yaml.org,2002:' };

/**
 * Verify that the input string is a valid anchor.
 *
 * Will throw on errors.
 */
function anchorIsValid(anchor) {
    if (/[\x00-\x19\s,[\]{}]/.test(anchor)) {
        const sa = JSON.stringify(anchor);
        const msg = `Anchor must not contain whitespace or control characters: ${sa}`;
        throw new Error(msg);
    }
    return true;
}
function anchorNames(root) {
    const anchors = new Set();
    visit(root, {
        Value(_key, node) {
            if (node.anchor)
                anchors.add(node.anchor);
        }
    });
    return anchors;
}
/** Find a new anchor name with the given `prefix` and a one-indexed suffix. */
function findNewAnchor(prefix, exclude) {
    for (let i = 1; true; ++i) {
        const name = `${prefix}${i}`;
        if (!exclude.has(name))
            return name;
    }
}
function createNodeAnchors(doc, prefix) {
    const aliasObjects = [];
    const sourceObjects = new Map();
    let prevAnchors = null;
    return {
        onAnchor: (source) => {
            aliasObjects.push(source);
            prevAnchors ?? (prevAnchors = anchorNames(doc));
            const anchor = findNewAnchor(prefix, prevAnchors);
            prevAnchors.add(anchor);
            return anchor;
        },
        /**
         * With circular references, the source node is only resolved after all
         * of its child nodes are. This is why anchors are set only after all of
         * the nodes have been created.
         */
        setAnchors: () => {
            for (const source of aliasObjects) {
                const ref = sourceObjects.get(source);
                if (typeof ref === 'object' &&
                    ref.anchor &&
                    (isScalar(ref.node) || isCollection(ref.node))) {
                    ref.node.anchor = ref.anchor;
                }
                else {
                    const error = new Error('Failed to resolve repeated object (this should not happen)');
                    error.source = source;
                    throw error;
                }
            }
        },
        sourceObjects
    };
}

/**
 * Applies the JSON.parse reviver algorithm as defined in the ECMA-262 spec,
 * in section 24.5.1.1 "Runtime Semantics: InternalizeJSONProperty" of the
 * 2021 edition: https://tc39.es/ecma262/#sec-json.parse
 *
 * Includes extensions for handling Map and Set objects.
 */
function applyReviver(reviver, obj, key, val) {
    if (val && typeof val === 'object') {
        if (Array.isArray(val)) {
            for (let i = 0, len = val.length; i < len; ++i) {
                const v0 = val[i];
                const v1 = applyReviver(reviver, val, String(i), v0);
                // eslint-disable-next-line @typescript-eslint/no-array-delete
                if (v1 === undefined)
                    delete val[i];
                else if (v1 !== v0)
                    val[i] = v1;
            }
        }
        else if (val instanceof Map) {
            for (const k of Array.from(val.keys())) {
                const v0 = val.get(k);
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    val.delete(k);
                else if (v1 !== v0)
                    val.set(k, v1);
            }
        }
        else if (val instanceof Set) {
            for (const v0 of Array.from(val)) {
                const v1 = applyReviver(reviver, val, v0, v0);
                if (v1 === undefined)
                    val.delete(v0);
                else if (v1 !== v0) {
                    val.delete(v0);
                    val.add(v1);
                }
            }
        }
        else {
            for (const [k, v0] of Object.entries(val)) {
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    delete val[k];
                else if (v1 !== v0)
                    val[k] = v1;
            }
        }
    }
    return reviver.call(obj, key, val);
}

/**
 * Recursively convert any node or its contents to native JavaScript
 *
 * @param value - The input value
 * @param arg - If `value` defines a `toJSON()` method, use this
 *   as its first argument
 * @param ctx - Conversion context, originally set in Document#toJS(). If
 *   `{ keep: true }` is not set, output should be suitable for JSON
 *   stringification.
 */
function toJS(value, arg, ctx) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return
    if (Array.isArray(value))
        return value.map((v, i) => toJS(v, String(i), ctx));
    if (value && typeof value.toJSON === 'function') {
        // eslint-disable-next-line @typescript-eslint/no-unsafe-call
        if (!ctx || !hasAnchor(value))
            return value.toJSON(arg, ctx);
        const data = { aliasCount: 0, count: 1, res: undefined };
        ctx.anchors.set(value, data);
        ctx.onCreate = res => {
            data.res = res;
            delete ctx.onCreate;
        };
        const res = value.toJSON(arg, ctx);
        if (ctx.onCreate)
            ctx.onCreate(res);
        return res;
    }
    if (typeof value === 'bigint' && !ctx?.keep)
        return Number(value);
    return value;
}

class NodeBase {
    constructor(type) {
        Object.defineProperty(this, NODE_TYPE, { value: type });
    }
    /** Create a copy of this node.  */
    clone() {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** A plain JavaScript representation of this node. */
    toJS(doc, { mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        if (!isDocument(doc))
            throw new TypeError('A document argument is required');
        const ctx = {
            anchors: new Map(),
            doc,
            keep: true,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS(this, '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver(reviver, { '': res }, '', res)
            : res;
    }
}

class Alias extends NodeBase {
    constructor(source) {
        super(ALIAS);
        this.source = source;
        Object.defineProperty(this, 'tag', {
            set() {
                throw new Error('Alias nodes cannot have tags');
            }
        });
    }
    /**
     * Resolve the value of this alias within `doc`, finding the last
     * instance of the `source` anchor before this node.
     */
    resolve(doc, ctx) {
        if (ctx?.maxAliasCount === 0)
            throw new ReferenceError('Alias resolution is disabled');
        let nodes;
        if (ctx?.aliasResolveCache) {
            nodes = ctx.aliasResolveCache;
        }
        else {
            nodes = [];
            visit(doc, {
                Node: (_key, node) => {
                    if (isAlias(node) || hasAnchor(node))
                        nodes.push(node);
                }
            });
            if (ctx)
                ctx.aliasResolveCache = nodes;
        }
        let found = undefined;
        for (const node of nodes) {
            if (node === this)
                break;
            if (node.anchor === this.source)
                found = node;
        }
        if (found && ctx) {
            const { anchors, doc, maxAliasCount } = ctx;
            let data = anchors.get(found);
            if (!data) {
                // Resolve anchors for Node.prototype.toJS()
                toJS(found, null, ctx);
                data = anchors.get(found);
            }
            /* istanbul ignore if */
            if (data?.res === undefined) {
                const msg = 'This should not happen: Alias anchor was not resolved?';
                throw new ReferenceError(msg);
            }
            if (maxAliasCount >= 0) {
                data.count += 1;
                if (data.aliasCount === 0)
                    data.aliasCount = getAliasCount(doc, found, anchors);
                if (data.count * data.aliasCount > maxAliasCount) {
                    const msg = 'Excessive alias count indicates a resource exhaustion attack';
                    throw new ReferenceError(msg);
                }
            }
        }
        return found;
    }
    toJSON(_arg, ctx) {
        if (!ctx)
            return { source: this.source };
        const source = this.resolve(ctx.doc, ctx);
        if (!source) {
            const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
            throw new ReferenceError(msg);
        }
        return ctx.anchors.get(source).res;
    }
    toString(ctx, _onComment, _onChompKeep) {
        const src = `*${this.source}`;
        if (ctx) {
            anchorIsValid(this.source);
            if (ctx.options.verifyAliasOrder && !ctx.anchors.has(this.source)) {
                const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
                throw new Error(msg);
            }
            if (ctx.implicitKey)
                return `${src} `;
        }
        return src;
    }
}
function getAliasCount(doc, node, anchors) {
    if (isAlias(node)) {
        const source = node.resolve(doc);
        const anchor = anchors && source && anchors.get(source);
        return anchor ? anchor.count * anchor.aliasCount : 0;
    }
    else if (isCollection(node)) {
        let count = 0;
        for (const item of node.items) {
            const c = getAliasCount(doc, item, anchors);
            if (c > count)
                count = c;
        }
        return count;
    }
    else if (isPair(node)) {
        const kc = getAliasCount(doc, node.key, anchors);
        const vc = getAliasCount(doc, node.value, anchors);
        return Math.max(kc, vc);
    }
    return 1;
}

const isScalarValue = (value) => !value || (typeof value !== 'function' && typeof value !== 'object');
class Scalar extends NodeBase {
    constructor(value) {
        super(SCALAR$1);
        this.value = value;
    }
    toJSON(arg, ctx) {
        return ctx?.keep ? this.value : toJS(this.value, arg, ctx);
    }
    toString() {
        return String(this.value);
    }
}
Scalar.BLOCK_FOLDED = 'BLOCK_FOLDED';
Scalar.BLOCK_LITERAL = 'BLOCK_LITERAL';
Scalar.PLAIN = 'PLAIN';
Scalar.QUOTE_DOUBLE = 'QUOTE_DOUBLE';
Scalar.QUOTE_SINGLE = 'QUOTE_SINGLE';

const defaultTagPrefix = 'tag:yaml.org,2002:';
function findTagObject(value, tagName, tags) {
    if (tagName) {
        const match = tags.filter(t => t.tag === tagName);
        const tagObj = match.find(t => !t.format) ?? match[0];
        if (!tagObj)
            throw new Error(`Tag ${tagName} not found`);
        return tagObj;
    }
    return tags.find(t => t.identify?.(value) && !t.format);
}
function createNode(value, tagName, ctx) {
    if (isDocument(value))
        value = value.contents;
    if (isNode(value))
        return value;
    if (isPair(value)) {
        const map = ctx.schema[MAP].createNode?.(ctx.schema, null, ctx);
        map.items.push(value);
        return map;
    }
    if (value instanceof String ||
        value instanceof Number ||
        value instanceof Boolean ||
        (typeof BigInt !== 'undefined' && value instanceof BigInt) // not supported everywhere
    ) {
        // https://tc39.es/ecma262/#sec-serializejsonproperty
        value = value.valueOf();
    }
    const { aliasDuplicateObjects, onAnchor, onTagObj, schema, sourceObjects } = ctx;
    // Detect duplicate references to the same object & use Alias nodes for all
    // after first. The `ref` wrapper allows for circular references to resolve.
    let ref = undefined;
    if (aliasDuplicateObjects && value && typeof value === 'object') {
        ref = sourceObjects.get(value);
        if (ref) {
            ref.anchor ?? (ref.anchor = onAnchor(value));
            return new Alias(ref.anchor);
        }
        else {
            ref = { anchor: null, node: null };
            sourceObjects.set(value, ref);
        }
    }
    if (tagName?.startsWith('!!'))
        tagName = defaultTagPrefix + tagName.slice(2);
    let tagObj = findTagObject(value, tagName, schema.tags);
    if (!tagObj) {
        if (value && typeof value.toJSON === 'function') {
            // eslint-disable-next-line @typescript-eslint/no-unsafe-call
            value = value.toJSON();
        }
        if (!value || typeof value !== 'object') {
            const node = new Scalar(value);
            if (ref)
                ref.node = node;
            return node;
        }
        tagObj =
            value instanceof Map
                ? schema[MAP]
                : Symbol.iterator in Object(value)
                    ? schema[SEQ]
                    : schema[MAP];
    }
    if (onTagObj) {
        onTagObj(tagObj);
        delete ctx.onTagObj;
    }
    const node = tagObj?.createNode
        ? tagObj.createNode(ctx.schema, value, ctx)
        : typeof tagObj?.nodeClass?.from === 'function'
            ? tagObj.nodeClass.from(ctx.schema, value, ctx)
            : new Scalar(value);
    if (tagName)
        node.tag = tagName;
    else if (!tagObj.default)
        node.tag = tagObj.tag;
    if (ref)
        ref.node = node;
    return node;
}

function collectionFromPath(schema, path, value) {
    let v = value;
    for (let i = path.length - 1; i >= 0; --i) {
        const k = path[i];
        if (typeof k === 'number' && Number.isInteger(k) && k >= 0) {
            const a = [];
            a[k] = v;
            v = a;
        }
        else {
            v = new Map([[k, v]]);
        }
    }
    return createNode(v, undefined, {
        aliasDuplicateObjects: false,
        keepUndefined: false,
        onAnchor: () => {
            throw new Error('This should not happen, please report a bug.');
        },
        schema,
        sourceObjects: new Map()
    });
}
// Type guard is intentionally a little wrong so as to be more useful,
// as it does not cover untypable empty non-string iterables (e.g. []).
const isEmptyPath = (path) => path == null ||
    (typeof path === 'object' && !!path[Symbol.iterator]().next().done);
class Collection extends NodeBase {
    constructor(type, schema) {
        super(type);
        Object.defineProperty(this, 'schema', {
            value: schema,
            configurable: true,
            enumerable: false,
            writable: true
        });
    }
    /**
     * Create a copy of this collection.
     *
     * @param schema - If defined, overwrites the original's schema
     */
    clone(schema) {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (schema)
            copy.schema = schema;
        copy.items = copy.items.map(it => isNode(it) || isPair(it) ? it.clone(schema) : it);
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /**
     * Adds a value to the collection. For `!!map` and `!!omap` the value must
     * be a Pair instance or a `{ key, value }` object, which may not have a key
     * that already exists in the map.
     */
    addIn(path, value) {
        if (isEmptyPath(path))
            this.add(value);
        else {
            const [key, ...rest] = path;
            const node = this.get(key, true);
            if (isCollection(node))
                node.addIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
    /**
     * Removes a value from the collection.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.delete(key);
        const node = this.get(key, true);
        if (isCollection(node))
            return node.deleteIn(rest);
        else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        const [key, ...rest] = path;
        const node = this.get(key, true);
        if (rest.length === 0)
            return !keepScalar && isScalar(node) ? node.value : node;
        else
            return isCollection(node) ? node.getIn(rest, keepScalar) : undefined;
    }
    hasAllNullValues(allowScalar) {
        return this.items.every(node => {
            if (!isPair(node))
                return false;
            const n = node.value;
            return (n == null ||
                (allowScalar &&
                    isScalar(n) &&
                    n.value == null &&
                    !n.commentBefore &&
                    !n.comment &&
                    !n.tag));
        });
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     */
    hasIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.has(key);
        const node = this.get(key, true);
        return isCollection(node) ? node.hasIn(rest) : false;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        const [key, ...rest] = path;
        if (rest.length === 0) {
            this.set(key, value);
        }
        else {
            const node = this.get(key, true);
            if (isCollection(node))
                node.setIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
}

/**
 * Stringifies a comment.
 *
 * Empty comment lines are left empty,
 * lines consisting of a single space are replaced by `#`,
 * and all other lines are prefixed with a `#`.
 */
const stringifyComment = (str) => str.replace(/^(?!$)(?: $)?/gm, '#');
function indentComment(comment, indent) {
    if (/^\n+$/.test(comment))
        return comment.substring(1);
    return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
}
const lineComment = (str, indent, comment) => str.endsWith('\n')
    ? indentComment(comment, indent)
    : comment.includes('\n')
        ? '\n' + indentComment(comment, indent)
        : (str.endsWith(' ') ? '' : ' ') + comment;

const FOLD_FLOW = 'flow';
const FOLD_BLOCK = 'block';
const FOLD_QUOTED = 'quoted';
/**
 * Tries to keep input at up to `lineWidth` characters, splitting only on spaces
 * not followed by newlines or spaces unless `mode` is `'quoted'`. Lines are
 * terminated with `\n` and started with `indent`.
 */
function foldFlowLines(text, indent, mode = 'flow', { indentAtStart, lineWidth = 80, minContentWidth = 20, onFold, onOverflow } = {}) {
    if (!lineWidth || lineWidth < 0)
        return text;
    if (lineWidth < minContentWidth)
        minContentWidth = 0;
    const endStep = Math.max(1 + minContentWidth, 1 + lineWidth - indent.length);
    if (text.length <= endStep)
        return text;
    const folds = [];
    const escapedFolds = {};
    let end = lineWidth - indent.length;
    if (typeof indentAtStart === 'number') {
        if (indentAtStart > lineWidth - Math.max(2, minContentWidth))
            folds.push(0);
        else
            end = lineWidth - indentAtStart;
    }
    let split = undefined;
    let prev = undefined;
    let overflow = false;
    let i = -1;
    let escStart = -1;
    let escEnd = -1;
    if (mode === FOLD_BLOCK) {
        i = consumeMoreIndentedLines(text, i, indent.length);
        if (i !== -1)
            end = i + endStep;
    }
    for (let ch; (ch = text[(i += 1)]);) {
        if (mode === FOLD_QUOTED && ch === '\\') {
            escStart = i;
            switch (text[i + 1]) {
                case 'x':
                    i += 3;
                    break;
                case 'u':
                    i += 5;
                    break;
                case 'U':
                    i += 9;
                    break;
                default:
                    i += 1;
            }
            escEnd = i;
        }
        if (ch === '\n') {
            if (mode === FOLD_BLOCK)
                i = consumeMoreIndentedLines(text, i, indent.length);
            end = i + indent.length + endStep;
            split = undefined;
        }
        else {
            if (ch === ' ' &&
                prev &&
                prev !== ' ' &&
                prev !== '\n' &&
                prev !== '\t') {
                // space surrounded by non-space can be replaced with newline + indent
                const next = text[i + 1];
                if (next && next !== ' ' && next !== '\n' && next !== '\t')
                    split = i;
            }
            if (i >= end) {
                if (split) {
                    folds.push(split);
                    end = split + endStep;
                    split = undefined;
                }
                else if (mode === FOLD_QUOTED) {
                    // white-space collected at end may stretch past lineWidth
                    while (prev === ' ' || prev === '\t') {
                        prev = ch;
                        ch = text[(i += 1)];
                        overflow = true;
                    }
                    // Account for newline escape, but don't break preceding escape
                    const j = i > escEnd + 1 ? i - 2 : escStart - 1;
                    // Bail out if lineWidth & minContentWidth are shorter than an escape string
                    if (escapedFolds[j])
                        return text;
                    folds.push(j);
                    escapedFolds[j] = true;
                    end = j + endStep;
                    split = undefined;
                }
                else {
                    overflow = true;
                }
            }
        }
        prev = ch;
    }
    if (overflow && onOverflow)
        onOverflow();
    if (folds.length === 0)
        return text;
    if (onFold)
        onFold();
    let res = text.slice(0, folds[0]);
    for (let i = 0; i < folds.length; ++i) {
        const fold = folds[i];
        const end = folds[i + 1] || text.length;
        if (fold === 0)
            res = `\n${indent}${text.slice(0, end)}`;
        else {
            if (mode === FOLD_QUOTED && escapedFolds[fold])
                res += `${text[fold]}\\`;
            res += `\n${indent}${text.slice(fold + 1, end)}`;
        }
    }
    return res;
}
/**
 * Presumes `i + 1` is at the start of a line
 * @returns index of last newline in more-indented block
 */
function consumeMoreIndentedLines(text, i, indent) {
    let end = i;
    let start = i + 1;
    let ch = text[start];
    while (ch === ' ' || ch === '\t') {
        if (i < start + indent) {
            ch = text[++i];
        }
        else {
            do {
                ch = text[++i];
            } while (ch && ch !== '\n');
            end = i;
            start = i + 1;
            ch = text[start];
        }
    }
    return end;
}

const getFoldOptions = (ctx, isBlock) => ({
    indentAtStart: isBlock ? ctx.indent.length : ctx.indentAtStart,
    lineWidth: ctx.options.lineWidth,
    minContentWidth: ctx.options.minContentWidth
});
// Also checks for lines starting with %, as parsing the output as YAML 1.1 will
// presume that's starting a new document.
const containsDocumentMarker = (str) => /^(%|---|\.\.\.)/m.test(str);
function lineLengthOverLimit(str, lineWidth, indentLength) {
    if (!lineWidth || lineWidth < 0)
        return false;
    const limit = lineWidth - indentLength;
    const strLen = str.length;
    if (strLen <= limit)
        return false;
    for (let i = 0, start = 0; i < strLen; ++i) {
        if (str[i] === '\n') {
            if (i - start > limit)
                return true;
            start = i + 1;
            if (strLen - start <= limit)
                return false;
        }
    }
    return true;
}
function doubleQuotedString(value, ctx) {
    const json = JSON.stringify(value);
    if (ctx.options.doubleQuotedAsJSON)
        return json;
    const { implicitKey } = ctx;
    const minMultiLineLength = ctx.options.doubleQuotedMinMultiLineLength;
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    let str = '';
    let start = 0;
    for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
        if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
            // space before newline needs to be escaped to not be folded
            str += json.slice(start, i) + '\\ ';
            i += 1;
            start = i;
            ch = '\\';
        }
        if (ch === '\\')
            switch (json[i + 1]) {
                case 'u':
                    {
                        str += json.slice(start, i);
                        const code = json.substr(i + 2, 4);
                        switch (code) {
                            case '0000':
                                str += '\\0';
                                break;
                            case '0007':
                                str += '\\a';
                                break;
                            case '000b':
                                str += '\\v';
                                break;
                            case '001b':
                                str += '\\e';
                                break;
                            case '0085':
                                str += '\\N';
                                break;
                            case '00a0':
                                str += '\\_';
                                break;
                            case '2028':
                                str += '\\L';
                                break;
                            case '2029':
                                str += '\\P';
                                break;
                            default:
                                if (code.substr(0, 2) === '00')
                                    str += '\\x' + code.substr(2);
                                else
                                    str += json.substr(i, 6);
                        }
                        i += 5;
                        start = i + 1;
                    }
                    break;
                case 'n':
                    if (implicitKey ||
                        json[i + 2] === '"' ||
                        json.length < minMultiLineLength) {
                        i += 1;
                    }
                    else {
                        // folding will eat first newline
                        str += json.slice(start, i) + '\n\n';
                        while (json[i + 2] === '\\' &&
                            json[i + 3] === 'n' &&
                            json[i + 4] !== '"') {
                            str += '\n';
                            i += 2;
                        }
                        str += indent;
                        // space after newline needs to be escaped to not be folded
                        if (json[i + 2] === ' ')
                            str += '\\';
                        i += 1;
                        start = i + 1;
                    }
                    break;
                default:
                    i += 1;
            }
    }
    str = start ? str + json.slice(start) : json;
    return implicitKey
        ? str
        : foldFlowLines(str, indent, FOLD_QUOTED, getFoldOptions(ctx, false));
}
function singleQuotedString(value, ctx) {
    if (ctx.options.singleQuote === false ||
        (ctx.implicitKey && value.includes('\n')) ||
        /[ \t]\n|\n[ \t]/.test(value) // single quoted string can't have leading or trailing whitespace around newline
    )
        return doubleQuotedString(value, ctx);
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    const res = "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`) + "'";
    return ctx.implicitKey
        ? res
        : foldFlowLines(res, indent, FOLD_FLOW, getFoldOptions(ctx, false));
}
function quotedString(value, ctx) {
    const { singleQuote } = ctx.options;
    let qs;
    if (singleQuote === false)
        qs = doubleQuotedString;
    else {
        const hasDouble = value.includes('"');
        const hasSingle = value.includes("'");
        if (hasDouble && !hasSingle)
            qs = singleQuotedString;
        else if (hasSingle && !hasDouble)
            qs = doubleQuotedString;
        else
            qs = singleQuote ? singleQuotedString : doubleQuotedString;
    }
    return qs(value, ctx);
}
// The negative lookbehind avoids a polynomial search,
// but isn't supported yet on Safari: https://caniuse.com/js-regexp-lookbehind
let blockEndNewlines;
try {
    blockEndNewlines = new RegExp('(^|(?<!\n))\n+(?!\n|$)', 'g');
}
catch {
    blockEndNewlines = /\n+(?!\n|$)/g;
}
function blockString({ comment, type, value }, ctx, onComment, onChompKeep) {
    const { blockQuote, commentString, lineWidth } = ctx.options;
    // 1. Block can't end in whitespace unless the last line is non-empty.
    // 2. Strings consisting of only whitespace are best rendered explicitly.
    if (!blockQuote || /\n[\t ]+$/.test(value)) {
        return quotedString(value, ctx);
    }
    const indent = ctx.indent ||
        (ctx.forceBlockIndent || containsDocumentMarker(value) ? '  ' : '');
    const literal = blockQuote === 'literal'
        ? true
        : blockQuote === 'folded' || type === Scalar.BLOCK_FOLDED
            ? false
            : type === Scalar.BLOCK_LITERAL
                ? true
                : !lineLengthOverLimit(value, lineWidth, indent.length);
    if (!value)
        return literal ? '|\n' : '>\n';
    // determine chomping from whitespace at value end
    let chomp;
    let endStart;
    for (endStart = value.length; endStart > 0; --endStart) {
        const ch = value[endStart - 1];
        if (ch !== '\n' && ch !== '\t' && ch !== ' ')
            break;
    }
    let end = value.substring(endStart);
    const endNlPos = end.indexOf('\n');
    if (endNlPos === -1) {
        chomp = '-'; // strip
    }
    else if (value === end || endNlPos !== end.length - 1) {
        chomp = '+'; // keep
        if (onChompKeep)
            onChompKeep();
    }
    else {
        chomp = ''; // clip
    }
    if (end) {
        value = value.slice(0, -end.length);
        if (end[end.length - 1] === '\n')
            end = end.slice(0, -1);
        end = end.replace(blockEndNewlines, `$&${indent}`);
    }
    // determine indent indicator from whitespace at value start
    let startWithSpace = false;
    let startEnd;
    let startNlPos = -1;
    for (startEnd = 0; startEnd < value.length; ++startEnd) {
        const ch = value[startEnd];
        if (ch === ' ')
            startWithSpace = true;
        else if (ch === '\n')
            startNlPos = startEnd;
        else
            break;
    }
    let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
    if (start) {
        value = value.substring(start.length);
        start = start.replace(/\n+/g, `$&${indent}`);
    }
    const indentSize = indent ? '2' : '1'; // root is at -1
    // Leading | or > is added later
    let header = (startWithSpace ? indentSize : '') + chomp;
    if (comment) {
        header += ' ' + commentString(comment.replace(/ ?[\r\n]+/g, ' '));
        if (onComment)
            onComment();
    }
    if (!literal) {
        const foldedValue = value
            .replace(/\n+/g, '\n$&')
            .replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, '$1$2') // more-indented lines aren't folded
            //                ^ more-ind. ^ empty     ^ capture next empty lines only at end of indent
            .replace(/\n+/g, `$&${indent}`);
        let literalFallback = false;
        const foldOptions = getFoldOptions(ctx, true);
        if (blockQuote !== 'folded' && type !== Scalar.BLOCK_FOLDED) {
            foldOptions.onOverflow = () => {
                literalFallback = true;
            };
        }
        const body = foldFlowLines(`${start}${foldedValue}${end}`, indent, FOLD_BLOCK, foldOptions);
        if (!literalFallback)
            return `>${header}\n${indent}${body}`;
    }
    value = value.replace(/\n+/g, `$&${indent}`);
    return `|${header}\n${indent}${start}${value}${end}`;
}
function plainString(item, ctx, onComment, onChompKeep) {
    const { type, value } = item;
    const { actualString, implicitKey, indent, indentStep, inFlow } = ctx;
    if ((implicitKey && value.includes('\n')) ||
        (inFlow && /[[\]{},]/.test(value))) {
        return quotedString(value, ctx);
    }
    if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
        // not allowed:
        // - '-' or '?'
        // - start with an indicator character (except [?:-]) or /[?-] /
        // - '\n ', ': ' or ' \n' anywhere
        // - '#' not preceded by a non-space char
        // - end with ' ' or ':'
        return implicitKey || inFlow || !value.includes('\n')
            ? quotedString(value, ctx)
            : blockString(item, ctx, onComment, onChompKeep);
    }
    if (!implicitKey &&
        !inFlow &&
        type !== Scalar.PLAIN &&
        value.includes('\n')) {
        // Where allowed & type not set explicitly, prefer block style for multiline strings
        return blockString(item, ctx, onComment, onChompKeep);
    }
    if (containsDocumentMarker(value)) {
        if (indent === '') {
            ctx.forceBlockIndent = true;
            return blockString(item, ctx, onComment, onChompKeep);
        }
        else if (implicitKey && indent === indentStep) {
            return quotedString(value, ctx);
        }
    }
    const str = value.replace(/\n+/g, `$&\n${indent}`);
    // Verify that output will be parsed as a string, as e.g. plain numbers and
    // booleans get parsed with those types in v1.2 (e.g. '42', 'true' & '0.9e-3'),
    // and others in v1.1.
    if (actualString) {
        const test = (tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test?.test(str);
        const { compat, tags } = ctx.doc.schema;
        if (tags.some(test) || compat?.some(test))
            return quotedString(value, ctx);
    }
    return implicitKey
        ? str
        : foldFlowLines(str, indent, FOLD_FLOW, getFoldOptions(ctx, false));
}
function stringifyString(item, ctx, onComment, onChompKeep) {
    const { implicitKey, inFlow } = ctx;
    const ss = typeof item.value === 'string'
        ? item
        : Object.assign({}, item, { value: String(item.value) });
    let { type } = item;
    if (type !== Scalar.QUOTE_DOUBLE) {
        // force double quotes on control characters & unpaired surrogates
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(ss.value))
            type = Scalar.QUOTE_DOUBLE;
    }
    const _stringify = (_type) => {
        switch (_type) {
            case Scalar.BLOCK_FOLDED:
            case Scalar.BLOCK_LITERAL:
                return implicitKey || inFlow
                    ? quotedString(ss.value, ctx) // blocks are not valid inside flow containers
                    : blockString(ss, ctx, onComment, onChompKeep);
            case Scalar.QUOTE_DOUBLE:
                return doubleQuotedString(ss.value, ctx);
            case Scalar.QUOTE_SINGLE:
                return singleQuotedString(ss.value, ctx);
            case Scalar.PLAIN:
                return plainString(ss, ctx, onComment, onChompKeep);
            default:
                return null;
        }
    };
    let res = _stringify(type);
    if (res === null) {
        const { defaultKeyType, defaultStringType } = ctx.options;
        const t = (implicitKey && defaultKeyType) || defaultStringType;
        res = _stringify(t);
        if (res === null)
            throw new Error(`Unsupported default string type ${t}`);
    }
    return res;
}

function createStringifyContext(doc, options) {
    const opt = Object.assign({
        blockQuote: true,
        commentString: stringifyComment,
        defaultKeyType: null,
        defaultStringType: 'PLAIN',
        directives: null,
        doubleQuotedAsJSON: false,
        doubleQuotedMinMultiLineLength: 40,
        falseStr: 'false',
        flowCollectionPadding: true,
        indentSeq: true,
        lineWidth: 80,
        minContentWidth: 20,
        nullStr: 'null',
        simpleKeys: false,
        singleQuote: null,
        trailingComma: false,
        trueStr: 'true',
        verifyAliasOrder: true
    }, doc.schema.toStringOptions, options);
    let inFlow;
    switch (opt.collectionStyle) {
        case 'block':
            inFlow = false;
            break;
        case 'flow':
            inFlow = true;
            break;
        default:
            inFlow = null;
    }
    return {
        anchors: new Set(),
        doc,
        flowCollectionPadding: opt.flowCollectionPadding ? ' ' : '',
        indent: '',
        indentStep: typeof opt.indent === 'number' ? ' '.repeat(opt.indent) : '  ',
        inFlow,
        options: opt
    };
}
function getTagObject(tags, item) {
    if (item.tag) {
        const match = tags.filter(t => t.tag === item.tag);
        if (match.length > 0)
            return match.find(t => t.format === item.format) ?? match[0];
    }
    let tagObj = undefined;
    let obj;
    if (isScalar(item)) {
        obj = item.value;
        let match = tags.filter(t => t.identify?.(obj));
        if (match.length > 1) {
            const testMatch = match.filter(t => t.test);
            if (testMatch.length > 0)
                match = testMatch;
        }
        tagObj =
            match.find(t => t.format === item.format) ?? match.find(t => !t.format);
    }
    else {
        obj = item;
        tagObj = tags.find(t => t.nodeClass && obj instanceof t.nodeClass);
    }
    if (!tagObj) {
        const name = obj?.constructor?.name ?? (obj === null ? 'null' : typeof obj);
        throw new Error(`Tag not resolved for ${name} value`);
    }
    return tagObj;
}
// needs to be called before value stringifier to allow for circular anchor refs
function stringifyProps(node, tagObj, { anchors, doc }) {
    if (!doc.directives)
        return '';
    const props = [];
    const anchor = (isScalar(node) || isCollection(node)) && node.anchor;
    if (anchor && anchorIsValid(anchor)) {
        anchors.add(anchor);
        props.push(`&${anchor}`);
    }
    const tag = node.tag ?? (tagObj.default ? null : tagObj.tag);
    if (tag)
        props.push(doc.directives.tagString(tag));
    return props.join(' ');
}
function stringify$1(item, ctx, onComment, onChompKeep) {
    if (isPair(item))
        return item.toString(ctx, onComment, onChompKeep);
    if (isAlias(item)) {
        if (ctx.doc.directives)
            return item.toString(ctx);
        if (ctx.resolvedAliases?.has(item)) {
            throw new TypeError(`Cannot stringify circular structure without alias nodes`);
        }
        else {
            if (ctx.resolvedAliases)
                ctx.resolvedAliases.add(item);
            else
                ctx.resolvedAliases = new Set([item]);
            item = item.resolve(ctx.doc);
        }
    }
    let tagObj = undefined;
    const node = isNode(item)
        ? item
        : ctx.doc.createNode(item, { onTagObj: o => (tagObj = o) });
    tagObj ?? (tagObj = getTagObject(ctx.doc.schema.tags, node));
    const props = stringifyProps(node, tagObj, ctx);
    if (props.length > 0)
        ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
    const str = typeof tagObj.stringify === 'function'
        ? tagObj.stringify(node, ctx, onComment, onChompKeep)
        : isScalar(node)
            ? stringifyString(node, ctx, onComment, onChompKeep)
            : node.toString(ctx, onComment, onChompKeep);
    if (!props)
        return str;
    return isScalar(node) || str[0] === '{' || str[0] === '['
        ? `${props} ${str}`
        : `${props}\n${ctx.indent}${str}`;
}

function stringifyPair({ key, value }, ctx, onComment, onChompKeep) {
    const { allNullValues, doc, indent, indentStep, options: { commentString, indentSeq, simpleKeys } } = ctx;
    let keyComment = (isNode(key) && key.comment) || null;
    if (simpleKeys) {
        if (keyComment) {
            throw new Error('With simple keys, key nodes cannot have comments');
        }
        if (isCollection(key) || (!isNode(key) && typeof key === 'object')) {
            const msg = 'With simple keys, collection cannot be used as a key value';
            throw new Error(msg);
        }
    }
    let explicitKey = !simpleKeys &&
        (!key ||
            (keyComment && value == null && !ctx.inFlow) ||
            isCollection(key) ||
            (isScalar(key)
                ? key.type === Scalar.BLOCK_FOLDED || key.type === Scalar.BLOCK_LITERAL
                : typeof key === 'object'));
    ctx = Object.assign({}, ctx, {
        allNullValues: false,
        implicitKey: !explicitKey && (simpleKeys || !allNullValues),
        indent: indent + indentStep
    });
    let keyCommentDone = false;
    let chompKeep = false;
    let str = stringify$1(key, ctx, () => (keyCommentDone = true), () => (chompKeep = true));
    if (!explicitKey && !ctx.inFlow && str.length > 1024) {
        if (simpleKeys)
            throw new Error('With simple keys, single line scalar must not span more than 1024 characters');
        explicitKey = true;
    }
    if (ctx.inFlow) {
        if (allNullValues || value == null) {
            if (keyCommentDone && onComment)
                onComment();
            return str === '' ? '?' : explicitKey ? `? ${str}` : str;
        }
    }
    else if ((allNullValues && !simpleKeys) || (value == null && explicitKey)) {
        str = `? ${str}`;
        if (keyComment && !keyCommentDone) {
            str += lineComment(str, ctx.indent, commentString(keyComment));
        }
        else if (chompKeep && onChompKeep)
            onChompKeep();
        return str;
    }
    if (keyCommentDone)
        keyComment = null;
    if (explicitKey) {
        if (keyComment)
            str += lineComment(str, ctx.indent, commentString(keyComment));
        str = `? ${str}\n${indent}:`;
    }
    else {
        str = `${str}:`;
        if (keyComment)
            str += lineComment(str, ctx.indent, commentString(keyComment));
    }
    let vsb, vcb, valueComment;
    if (isNode(value)) {
        vsb = !!value.spaceBefore;
        vcb = value.commentBefore;
        valueComment = value.comment;
    }
    else {
        vsb = false;
        vcb = null;
        valueComment = null;
        if (value && typeof value === 'object')
            value = doc.createNode(value);
    }
    ctx.implicitKey = false;
    if (!explicitKey && !keyComment && isScalar(value))
        ctx.indentAtStart = str.length + 1;
    chompKeep = false;
    if (!indentSeq &&
        indentStep.length >= 2 &&
        !ctx.inFlow &&
        !explicitKey &&
        isSeq(value) &&
        !value.flow &&
        !value.tag &&
        !value.anchor) {
        // If indentSeq === false, consider '- ' as part of indentation where possible
        ctx.indent = ctx.indent.substring(2);
    }
    let valueCommentDone = false;
    const valueStr = stringify$1(value, ctx, () => (valueCommentDone = true), () => (chompKeep = true));
    let ws = ' ';
    if (keyComment || vsb || vcb) {
        ws = vsb ? '\n' : '';
        if (vcb) {
            const cs = commentString(vcb);
            ws += `\n${indentComment(cs, ctx.indent)}`;
        }
        if (valueStr === '' && !ctx.inFlow) {
            if (ws === '\n' && valueComment)
                ws = '\n\n';
        }
        else {
            ws += `\n${ctx.indent}`;
        }
    }
    else if (!explicitKey && isCollection(value)) {
        const vs0 = valueStr[0];
        const nl0 = valueStr.indexOf('\n');
        const hasNewline = nl0 !== -1;
        const flow = ctx.inFlow ?? value.flow ?? value.items.length === 0;
        if (hasNewline || !flow) {
            let hasPropsLine = false;
            if (hasNewline && (vs0 === '&' || vs0 === '!')) {
                let sp0 = valueStr.indexOf(' ');
                if (vs0 === '&' &&
                    sp0 !== -1 &&
                    sp0 < nl0 &&
                    valueStr[sp0 + 1] === '!') {
                    sp0 = valueStr.indexOf(' ', sp0 + 1);
                }
                if (sp0 === -1 || nl0 < sp0)
                    hasPropsLine = true;
            }
            if (!hasPropsLine)
                ws = `\n${ctx.indent}`;
        }
    }
    else if (valueStr === '' || valueStr[0] === '\n') {
        ws = '';
    }
    str += ws + valueStr;
    if (ctx.inFlow) {
        if (valueCommentDone && onComment)
            onComment();
    }
    else if (valueComment && !valueCommentDone) {
        str += lineComment(str, ctx.indent, commentString(valueComment));
    }
    else if (chompKeep && onChompKeep) {
        onChompKeep();
    }
    return str;
}

function warn(logLevel, warning) {
    if (logLevel === 'debug' || logLevel === 'warn') {
        console.warn(warning);
    }
}

// If the value associated with a merge key is a single mapping node, each of
// its key/value pairs is inserted into the current mapping, unless the key
// already exists in it. If the value associated with the merge key is a
// sequence, then this sequence is expected to contain mapping nodes and each
// of these nodes is merged in turn according to its order in the sequence.
// Keys in mapping nodes earlier in the sequence override keys specified in
// later mapping nodes. -- http://yaml.org/type/merge.html
const MERGE_KEY = '<<';
const merge = {
    identify: value => value === MERGE_KEY ||
        (typeof value === 'symbol' && value.description === MERGE_KEY),
    default: 'key',
    tag: 'tag:yaml.org,2002:merge',
    test: /^<<$/,
    resolve: () => Object.assign(new Scalar(Symbol(MERGE_KEY)), {
        addToJSMap: addMergeToJSMap
    }),
    stringify: () => MERGE_KEY
};
const isMergeKey = (ctx, key) => (merge.identify(key) ||
    (isScalar(key) &&
        (!key.type || key.type === Scalar.PLAIN) &&
        merge.identify(key.value))) &&
    ctx?.doc.schema.tags.some(tag => tag.tag === merge.tag && tag.default);
function addMergeToJSMap(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (isSeq(source))
        for (const it of source.items)
            mergeValue$1(ctx, map, it);
    else if (Array.isArray(source))
        for (const it of source)
            mergeValue$1(ctx, map, it);
    else
        mergeValue$1(ctx, map, source);
}
function mergeValue$1(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (!isMap(source))
        throw new Error('Merge sources must be maps or map aliases');
    const srcMap = source.toJSON(null, ctx, Map);
    for (const [key, value] of srcMap) {
        if (map instanceof Map) {
            if (!map.has(key))
                map.set(key, value);
        }
        else if (map instanceof Set) {
            map.add(key);
        }
        else if (!Object.prototype.hasOwnProperty.call(map, key)) {
            Object.defineProperty(map, key, {
                value,
                writable: true,
                enumerable: true,
                configurable: true
            });
        }
    }
    return map;
}
function resolveAliasValue(ctx, value) {
    return ctx && isAlias(value) ? value.resolve(ctx.doc, ctx) : value;
}

function addPairToJSMap(ctx, map, { key, value }) {
    if (isNode(key) && key.addToJSMap)
        key.addToJSMap(ctx, map, value);
    // TODO: Should drop this special case for bare << handling
    else if (isMergeKey(ctx, key))
        addMergeToJSMap(ctx, map, value);
    else {
        const jsKey = toJS(key, '', ctx);
        if (map instanceof Map) {
            map.set(jsKey, toJS(value, jsKey, ctx));
        }
        else if (map instanceof Set) {
            map.add(jsKey);
        }
        else {
            const stringKey = stringifyKey(key, jsKey, ctx);
            const jsValue = toJS(value, stringKey, ctx);
            if (stringKey in map)
                Object.defineProperty(map, stringKey, {
                    value: jsValue,
                    writable: true,
                    enumerable: true,
                    configurable: true
                });
            else
                map[stringKey] = jsValue;
        }
    }
    return map;
}
function stringifyKey(key, jsKey, ctx) {
    if (jsKey === null)
        return '';
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    if (typeof jsKey !== 'object')
        return String(jsKey);
    if (isNode(key) && ctx?.doc) {
        const strCtx = createStringifyContext(ctx.doc, {});
        strCtx.anchors = new Set();
        for (const node of ctx.anchors.keys())
            strCtx.anchors.add(node.anchor);
        strCtx.inFlow = true;
        strCtx.inStringifyKey = true;
        const strKey = key.toString(strCtx);
        if (!ctx.mapKeyWarned) {
            let jsonStr = JSON.stringify(strKey);
            if (jsonStr.length > 40)
                jsonStr = jsonStr.substring(0, 36) + '..."';
            warn(ctx.doc.options.logLevel, `Keys with collection values will be stringified due to JS Object restrictions: ${jsonStr}. Set mapAsMap: true to use object keys.`);
            ctx.mapKeyWarned = true;
        }
        return strKey;
    }
    return JSON.stringify(jsKey);
}

function createPair(key, value, ctx) {
    const k = createNode(key, undefined, ctx);
    const v = createNode(value, undefined, ctx);
    return new Pair(k, v);
}
class Pair {
    constructor(key, value = null) {
        Object.defineProperty(this, NODE_TYPE, { value: PAIR });
        this.key = key;
        this.value = value;
    }
    clone(schema) {
        let { key, value } = this;
        if (isNode(key))
            key = key.clone(schema);
        if (isNode(value))
            value = value.clone(schema);
        return new Pair(key, value);
    }
    toJSON(_, ctx) {
        const pair = ctx?.mapAsMap ? new Map() : {};
        return addPairToJSMap(ctx, pair, this);
    }
    toString(ctx, onComment, onChompKeep) {
        return ctx?.doc
            ? stringifyPair(this, ctx, onComment, onChompKeep)
            : JSON.stringify(this);
    }
}

function stringifyCollection(collection, ctx, options) {
    const flow = ctx.inFlow ?? collection.flow;
    const stringify = flow ? stringifyFlowCollection : stringifyBlockCollection;
    return stringify(collection, ctx, options);
}
function stringifyBlockCollection({ comment, items }, ctx, { blockItemPrefix, flowChars, itemIndent, onChompKeep, onComment }) {
    const { indent, options: { commentString } } = ctx;
    const itemCtx = Object.assign({}, ctx, { indent: itemIndent, type: null });
    let chompKeep = false; // flag for the preceding node's status
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (isNode(item)) {
            if (!chompKeep && item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, chompKeep);
            if (item.comment)
                comment = item.comment;
        }
        else if (isPair(item)) {
            const ik = isNode(item.key) ? item.key : null;
            if (ik) {
                if (!chompKeep && ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, chompKeep);
            }
        }
        chompKeep = false;
        let str = stringify$1(item, itemCtx, () => (comment = null), () => (chompKeep = true));
        if (comment)
            str += lineComment(str, itemIndent, commentString(comment));
        if (chompKeep && comment)
            chompKeep = false;
        lines.push(blockItemPrefix + str);
    }
    let str;
    if (lines.length === 0) {
        str = flowChars.start + flowChars.end;
    }
    else {
        str = lines[0];
        for (let i = 1; i < lines.length; ++i) {
            const line = lines[i];
            str += line ? `\n${indent}${line}` : '\n';
        }
    }
    if (comment) {
        str += '\n' + indentComment(commentString(comment), indent);
        if (onComment)
            onComment();
    }
    else if (chompKeep && onChompKeep)
        onChompKeep();
    return str;
}
function stringifyFlowCollection({ items }, ctx, { flowChars, itemIndent }) {
    const { indent, indentStep, flowCollectionPadding: fcPadding, options: { commentString } } = ctx;
    itemIndent += indentStep;
    const itemCtx = Object.assign({}, ctx, {
        indent: itemIndent,
        inFlow: true,
        type: null
    });
    let reqNewline = false;
    let linesAtValue = 0;
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (isNode(item)) {
            if (item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, false);
            if (item.comment)
                comment = item.comment;
        }
        else if (isPair(item)) {
            const ik = isNode(item.key) ? item.key : null;
            if (ik) {
                if (ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, false);
                if (ik.comment)
                    reqNewline = true;
            }
            const iv = isNode(item.value) ? item.value : null;
            if (iv) {
                if (iv.comment)
                    comment = iv.comment;
                if (iv.commentBefore)
                    reqNewline = true;
            }
            else if (item.value == null && ik?.comment) {
                comment = ik.comment;
            }
        }
        if (comment)
            reqNewline = true;
        let str = stringify$1(item, itemCtx, () => (comment = null));
        reqNewline || (reqNewline = lines.length > linesAtValue || str.includes('\n'));
        if (i < items.length - 1) {
            str += ',';
        }
        else if (ctx.options.trailingComma) {
            if (ctx.options.lineWidth > 0) {
                reqNewline || (reqNewline = lines.reduce((sum, line) => sum + line.length + 2, 2) +
                    (str.length + 2) >
                    ctx.options.lineWidth);
            }
            if (reqNewline) {
                str += ',';
            }
        }
        if (comment)
            str += lineComment(str, itemIndent, commentString(comment));
        lines.push(str);
        linesAtValue = lines.length;
    }
    const { start, end } = flowChars;
    if (lines.length === 0) {
        return start + end;
    }
    else {
        if (!reqNewline) {
            const len = lines.reduce((sum, line) => sum + line.length + 2, 2);
            reqNewline = ctx.options.lineWidth > 0 && len > ctx.options.lineWidth;
        }
        if (reqNewline) {
            let str = start;
            for (const line of lines)
                str += line ? `\n${indentStep}${indent}${line}` : '\n';
            return `${str}\n${indent}${end}`;
        }
        else {
            return `${start}${fcPadding}${lines.join(' ')}${fcPadding}${end}`;
        }
    }
}
function addCommentBefore({ indent, options: { commentString } }, lines, comment, chompKeep) {
    if (comment && chompKeep)
        comment = comment.replace(/^\n+/, '');
    if (comment) {
        const ic = indentComment(commentString(comment), indent);
        lines.push(ic.trimStart()); // Avoid double indent on first line
    }
}

function findPair(items, key) {
    const k = isScalar(key) ? key.value : key;
    for (const it of items) {
        if (isPair(it)) {
            if (it.key === key || it.key === k)
                return it;
            if (isScalar(it.key) && it.key.value === k)
                return it;
        }
    }
    return undefined;
}
class YAMLMap extends Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:map';
    }
    constructor(schema) {
        super(MAP, schema);
        this.items = [];
    }
    /**
     * A generic collection parsing method that can be extended
     * to other node classes that inherit from YAMLMap
     */
    static from(schema, obj, ctx) {
        const { keepUndefined, replacer } = ctx;
        const map = new this(schema);
        const add = (key, value) => {
            if (typeof replacer === 'function')
                value = replacer.call(obj, key, value);
            else if (Array.isArray(replacer) && !replacer.includes(key))
                return;
            if (value !== undefined || keepUndefined)
                map.items.push(createPair(key, value, ctx));
        };
        if (obj instanceof Map) {
            for (const [key, value] of obj)
                add(key, value);
        }
        else if (obj && typeof obj === 'object') {
            for (const key of Object.keys(obj))
                add(key, obj[key]);
        }
        if (typeof schema.sortMapEntries === 'function') {
            map.items.sort(schema.sortMapEntries);
        }
        return map;
    }
    /**
     * Adds a value to the collection.
     *
     * @param overwrite - If not set `true`, using a key that is already in the
     *   collection will throw. Otherwise, overwrites the previous value.
     */
    add(pair, overwrite) {
        let _pair;
        if (isPair(pair))
            _pair = pair;
        else if (!pair || typeof pair !== 'object' || !('key' in pair)) {
            // In TypeScript, this never happens.
            _pair = new Pair(pair, pair?.value);
        }
        else
            _pair = new Pair(pair.key, pair.value);
        const prev = findPair(this.items, _pair.key);
        const sortEntries = this.schema?.sortMapEntries;
        if (prev) {
            if (!overwrite)
                throw new Error(`Key ${_pair.key} already set`);
            // For scalars, keep the old node & its comments and anchors
            if (isScalar(prev.value) && isScalarValue(_pair.value))
                prev.value.value = _pair.value;
            else
                prev.value = _pair.value;
        }
        else if (sortEntries) {
            const i = this.items.findIndex(item => sortEntries(_pair, item) < 0);
            if (i === -1)
                this.items.push(_pair);
            else
                this.items.splice(i, 0, _pair);
        }
        else {
            this.items.push(_pair);
        }
    }
    delete(key) {
        const it = findPair(this.items, key);
        if (!it)
            return false;
        const del = this.items.splice(this.items.indexOf(it), 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const it = findPair(this.items, key);
        const node = it?.value;
        return (!keepScalar && isScalar(node) ? node.value : node) ?? undefined;
    }
    has(key) {
        return !!findPair(this.items, key);
    }
    set(key, value) {
        this.add(new Pair(key, value), true);
    }
    /**
     * @param ctx - Conversion context, originally set in Document#toJS()
     * @param {Class} Type - If set, forces the returned collection type
     * @returns Instance of Type, Map, or Object
     */
    toJSON(_, ctx, Type) {
        const map = Type ? new Type() : ctx?.mapAsMap ? new Map() : {};
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const item of this.items)
            addPairToJSMap(ctx, map, item);
        return map;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        for (const item of this.items) {
            if (!isPair(item))
                throw new Error(`Map items must all be pairs; found ${JSON.stringify(item)} instead`);
        }
        if (!ctx.allNullValues && this.hasAllNullValues(false))
            ctx = Object.assign({}, ctx, { allNullValues: true });
        return stringifyCollection(this, ctx, {
            blockItemPrefix: '',
            flowChars: { start: '{', end: '}' },
            itemIndent: ctx.indent || '',
            onChompKeep,
            onComment
        });
    }
}

const map = {
    collection: 'map',
    default: true,
    nodeClass: YAMLMap,
    tag: 'tag:yaml.org,2002:map',
    resolve(map, onError) {
        if (!isMap(map))
            onError('Expected a mapping for this tag');
        return map;
    },
    createNode: (schema, obj, ctx) => YAMLMap.from(schema, obj, ctx)
};

class YAMLSeq extends Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:seq';
    }
    constructor(schema) {
        super(SEQ, schema);
        this.items = [];
    }
    add(value) {
        this.items.push(value);
    }
    /**
     * Removes a value from the collection.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     *
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return false;
        const del = this.items.splice(idx, 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return undefined;
        const it = this.items[idx];
        return !keepScalar && isScalar(it) ? it.value : it;
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     */
    has(key) {
        const idx = asItemIndex(key);
        return typeof idx === 'number' && idx < this.items.length;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     *
     * If `key` does not contain a representation of an integer, this will throw.
     * It may be wrapped in a `Scalar`.
     */
    set(key, value) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            throw new Error(`Expected a valid index, not ${key}.`);
        const prev = this.items[idx];
        if (isScalar(prev) && isScalarValue(value))
            prev.value = value;
        else
            this.items[idx] = value;
    }
    toJSON(_, ctx) {
        const seq = [];
        if (ctx?.onCreate)
            ctx.onCreate(seq);
        let i = 0;
        for (const item of this.items)
            seq.push(toJS(item, String(i++), ctx));
        return seq;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        return stringifyCollection(this, ctx, {
            blockItemPrefix: '- ',
            flowChars: { start: '[', end: ']' },
            itemIndent: (ctx.indent || '') + '  ',
            onChompKeep,
            onComment
        });
    }
    static from(schema, obj, ctx) {
        const { replacer } = ctx;
        const seq = new this(schema);
        if (obj && Symbol.iterator in Object(obj)) {
            let i = 0;
            for (let it of obj) {
                if (typeof replacer === 'function') {
                    const key = obj instanceof Set ? it : String(i++);
                    it = replacer.call(obj, key, it);
                }
                seq.items.push(createNode(it, undefined, ctx));
            }
        }
        return seq;
    }
}
function asItemIndex(key) {
    let idx = isScalar(key) ? key.value : key;
    if (idx && typeof idx === 'string')
        idx = Number(idx);
    return typeof idx === 'number' && Number.isInteger(idx) && idx >= 0
        ? idx
        : null;
}

const seq = {
    collection: 'seq',
    default: true,
    nodeClass: YAMLSeq,
    tag: 'tag:yaml.org,2002:seq',
    resolve(seq, onError) {
        if (!isSeq(seq))
            onError('Expected a sequence for this tag');
        return seq;
    },
    createNode: (schema, obj, ctx) => YAMLSeq.from(schema, obj, ctx)
};

const string = {
    identify: value => typeof value === 'string',
    default: true,
    tag: 'tag:yaml.org,2002:str',
    resolve: str => str,
    stringify(item, ctx, onComment, onChompKeep) {
        ctx = Object.assign({ actualString: true }, ctx);
        return stringifyString(item, ctx, onComment, onChompKeep);
    }
};

const nullTag = {
    identify: value => value == null,
    createNode: () => new Scalar(null),
    default: true,
    tag: 'tag:yaml.org,2002:null',
    test: /^(?:~|[Nn]ull|NULL)?$/,
    resolve: () => new Scalar(null),
    stringify: ({ source }, ctx) => typeof source === 'string' && nullTag.test.test(source)
        ? source
        : ctx.options.nullStr
};

const boolTag = {
    identify: value => typeof value === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
    resolve: str => new Scalar(str[0] === 't' || str[0] === 'T'),
    stringify({ source, value }, ctx) {
        if (source && boolTag.test.test(source)) {
            const sv = source[0] === 't' || source[0] === 'T';
            if (value === sv)
                return source;
        }
        return value ? ctx.options.trueStr : ctx.options.falseStr;
    }
};

function stringifyNumber({ format, minFractionDigits, tag, value }) {
    if (typeof value === 'bigint')
        return String(value);
    const num = typeof value === 'number' ? value : Number(value);
    if (!isFinite(num))
        return isNaN(num) ? '.nan' : num < 0 ? '-.inf' : '.inf';
    let n = Object.is(value, -0) ? '-0' : JSON.stringify(value);
    if (!format &&
        minFractionDigits &&
        (!tag || tag === 'tag:yaml.org,2002:float') &&
        /^-?\d/.test(n) &&
        !n.includes('e')) {
        let i = n.indexOf('.');
        if (i < 0) {
            i = n.length;
            n += '.';
        }
        let d = minFractionDigits - (n.length - i - 1);
        while (d-- > 0)
            n += '0';
    }
    return n;
}

const floatNaN$1 = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: str => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber
};
const floatExp$1 = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
    resolve: str => parseFloat(str),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber(node);
    }
};
const float$1 = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
    resolve(str) {
        const node = new Scalar(parseFloat(str));
        const dot = str.indexOf('.');
        if (dot !== -1 && str[str.length - 1] === '0')
            node.minFractionDigits = str.length - dot - 1;
        return node;
    },
    stringify: stringifyNumber
};

const intIdentify$2 = (value) => typeof value === 'bigint' || Number.isInteger(value);
const intResolve$1 = (str, offset, radix, { intAsBigInt }) => (intAsBigInt ? BigInt(str) : parseInt(str.substring(offset), radix));
function intStringify$1(node, radix, prefix) {
    const { value } = node;
    if (intIdentify$2(value) && value >= 0)
        return prefix + value.toString(radix);
    return stringifyNumber(node);
}
const intOct$1 = {
    identify: value => intIdentify$2(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^0o[0-7]+$/,
    resolve: (str, _onError, opt) => intResolve$1(str, 2, 8, opt),
    stringify: node => intStringify$1(node, 8, '0o')
};
const int$1 = {
    identify: intIdentify$2,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9]+$/,
    resolve: (str, _onError, opt) => intResolve$1(str, 0, 10, opt),
    stringify: stringifyNumber
};
const intHex$1 = {
    identify: value => intIdentify$2(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^0x[0-9a-fA-F]+$/,
    resolve: (str, _onError, opt) => intResolve$1(str, 2, 16, opt),
    stringify: node => intStringify$1(node, 16, '0x')
};

const schema$2 = [
    map,
    seq,
    string,
    nullTag,
    boolTag,
    intOct$1,
    int$1,
    intHex$1,
    floatNaN$1,
    floatExp$1,
    float$1
];

function intIdentify$1(value) {
    return typeof value === 'bigint' || Number.isInteger(value);
}
const stringifyJSON = ({ value }) => JSON.stringify(value);
const jsonScalars = [
    {
        identify: value => typeof value === 'string',
        default: true,
        tag: 'tag:yaml.org,2002:str',
        resolve: str => str,
        stringify: stringifyJSON
    },
    {
        identify: value => value == null,
        createNode: () => new Scalar(null),
        default: true,
        tag: 'tag:yaml.org,2002:null',
        test: /^null$/,
        resolve: () => null,
        stringify: stringifyJSON
    },
    {
        identify: value => typeof value === 'boolean',
        default: true,
        tag: 'tag:yaml.org,2002:bool',
        test: /^true$|^false$/,
        resolve: str => str === 'true',
        stringify: stringifyJSON
    },
    {
        identify: intIdentify$1,
        default: true,
        tag: 'tag:yaml.org,2002:int',
        test: /^-?(?:0|[1-9][0-9]*)$/,
        resolve: (str, _onError, { intAsBigInt }) => intAsBigInt ? BigInt(str) : parseInt(str, 10),
        stringify: ({ value }) => intIdentify$1(value) ? value.toString() : JSON.stringify(value)
    },
    {
        identify: value => typeof value === 'number',
        default: true,
        tag: 'tag:yaml.org,2002:float',
        test: /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/,
        resolve: str => parseFloat(str),
        stringify: stringifyJSON
    }
];
const jsonError = {
    default: true,
    tag: '',
    test: /^/,
    resolve(str, onError) {
        onError(`Unresolved plain scalar ${JSON.stringify(str)}`);
        return str;
    }
};
const schema$1 = [map, seq].concat(jsonScalars, jsonError);

const binary = {
    identify: value => value instanceof Uint8Array, // Buffer inherits from Uint8Array
    default: false,
    tag: 'tag:yaml.org,2002:binary',
    /**
     * Returns a Buffer in node and an Uint8Array in browsers
     *
     * To use the resulting buffer as an image, you'll want to do something like:
     *
     *   const blob = new Blob([buffer], { type: 'image/jpeg' })
     *   document.querySelector('#photo').src = URL.createObjectURL(blob)
     */
    resolve(src, onError) {
        if (typeof atob === 'function') {
            // On IE 11, atob() can't handle newlines
            const str = atob(src.replace(/[\n\r]/g, ''));
            const buffer = new Uint8Array(str.length);
            for (let i = 0; i < str.length; ++i)
                buffer[i] = str.charCodeAt(i);
            return buffer;
        }
        else {
            onError('This environment does not support reading binary tags; either Buffer or atob is required');
            return src;
        }
    },
    stringify({ comment, type, value }, ctx, onComment, onChompKeep) {
        if (!value)
            return '';
        const buf = value; // checked earlier by binary.identify()
        let str;
        if (typeof btoa === 'function') {
            let s = '';
            for (let i = 0; i < buf.length; ++i)
                s += String.fromCharCode(buf[i]);
            str = btoa(s);
        }
        else {
            throw new Error('This environment does not support writing binary tags; either Buffer or btoa is required');
        }
        type ?? (type = Scalar.BLOCK_LITERAL);
        if (type !== Scalar.QUOTE_DOUBLE) {
            const lineWidth = Math.max(ctx.options.lineWidth - ctx.indent.length, ctx.options.minContentWidth);
            const n = Math.ceil(str.length / lineWidth);
            const lines = new Array(n);
            for (let i = 0, o = 0; i < n; ++i, o += lineWidth) {
                lines[i] = str.substr(o, lineWidth);
            }
            str = lines.join(type === Scalar.BLOCK_LITERAL ? '\n' : ' ');
        }
        return stringifyString({ comment, type, value: str }, ctx, onComment, onChompKeep);
    }
};

function resolvePairs(seq, onError) {
    if (isSeq(seq)) {
        for (let i = 0; i < seq.items.length; ++i) {
            let item = seq.items[i];
            if (isPair(item))
                continue;
            else if (isMap(item)) {
                if (item.items.length > 1)
                    onError('Each pair must have its own sequence indicator');
                const pair = item.items[0] || new Pair(new Scalar(null));
                if (item.commentBefore)
                    pair.key.commentBefore = pair.key.commentBefore
                        ? `${item.commentBefore}\n${pair.key.commentBefore}`
                        : item.commentBefore;
                if (item.comment) {
                    const cn = pair.value ?? pair.key;
                    cn.comment = cn.comment
                        ? `${item.comment}\n${cn.comment}`
                        : item.comment;
                }
                item = pair;
            }
            seq.items[i] = isPair(item) ? item : new Pair(item);
        }
    }
    else
        onError('Expected a sequence for this tag');
    return seq;
}
function createPairs(schema, iterable, ctx) {
    const { replacer } = ctx;
    const pairs = new YAMLSeq(schema);
    pairs.tag = 'tag:yaml.org,2002:pairs';
    let i = 0;
    if (iterable && Symbol.iterator in Object(iterable))
        for (let it of iterable) {
            if (typeof replacer === 'function')
                it = replacer.call(iterable, String(i++), it);
            let key, value;
            if (Array.isArray(it)) {
                if (it.length === 2) {
                    key = it[0];
                    value = it[1];
                }
                else
                    throw new TypeError(`Expected [key, value] tuple: ${it}`);
            }
            else if (it && it instanceof Object) {
                const keys = Object.keys(it);
                if (keys.length === 1) {
                    key = keys[0];
                    value = it[key];
                }
                else {
                    throw new TypeError(`Expected tuple with one key, not ${keys.length} keys`);
                }
            }
            else {
                key = it;
            }
            pairs.items.push(createPair(key, value, ctx));
        }
    return pairs;
}
const pairs = {
    collection: 'seq',
    default: false,
    tag: 'tag:yaml.org,2002:pairs',
    resolve: resolvePairs,
    createNode: createPairs
};

class YAMLOMap extends YAMLSeq {
    constructor() {
        super();
        this.add = YAMLMap.prototype.add.bind(this);
        this.delete = YAMLMap.prototype.delete.bind(this);
        this.get = YAMLMap.prototype.get.bind(this);
        this.has = YAMLMap.prototype.has.bind(this);
        this.set = YAMLMap.prototype.set.bind(this);
        this.tag = YAMLOMap.tag;
    }
    /**
     * If `ctx` is given, the return type is actually `Map<unknown, unknown>`,
     * but TypeScript won't allow widening the signature of a child method.
     */
    toJSON(_, ctx) {
        if (!ctx)
            return super.toJSON(_);
        const map = new Map();
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const pair of this.items) {
            let key, value;
            if (isPair(pair)) {
                key = toJS(pair.key, '', ctx);
                value = toJS(pair.value, key, ctx);
            }
            else {
                key = toJS(pair, '', ctx);
            }
            if (map.has(key))
                throw new Error('Ordered maps must not include duplicate keys');
            map.set(key, value);
        }
        return map;
    }
    static from(schema, iterable, ctx) {
        const pairs = createPairs(schema, iterable, ctx);
        const omap = new this();
        omap.items = pairs.items;
        return omap;
    }
}
YAMLOMap.tag = 'tag:yaml.org,2002:omap';
const omap = {
    collection: 'seq',
    identify: value => value instanceof Map,
    nodeClass: YAMLOMap,
    default: false,
    tag: 'tag:yaml.org,2002:omap',
    resolve(seq, onError) {
        const pairs = resolvePairs(seq, onError);
        const seenKeys = [];
        for (const { key } of pairs.items) {
            if (isScalar(key)) {
                if (seenKeys.includes(key.value)) {
                    onError(`Ordered maps must not include duplicate keys: ${key.value}`);
                }
                else {
                    seenKeys.push(key.value);
                }
            }
        }
        return Object.assign(new YAMLOMap(), pairs);
    },
    createNode: (schema, iterable, ctx) => YAMLOMap.from(schema, iterable, ctx)
};

function boolStringify({ value, source }, ctx) {
    const boolObj = value ? trueTag : falseTag;
    if (source && boolObj.test.test(source))
        return source;
    return value ? ctx.options.trueStr : ctx.options.falseStr;
}
const trueTag = {
    identify: value => value === true,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
    resolve: () => new Scalar(true),
    stringify: boolStringify
};
const falseTag = {
    identify: value => value === false,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
    resolve: () => new Scalar(false),
    stringify: boolStringify
};

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (str) => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
    resolve: (str) => parseFloat(str.replace(/_/g, '')),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
    resolve(str) {
        const node = new Scalar(parseFloat(str.replace(/_/g, '')));
        const dot = str.indexOf('.');
        if (dot !== -1) {
            const f = str.substring(dot + 1).replace(/_/g, '');
            if (f[f.length - 1] === '0')
                node.minFractionDigits = f.length;
        }
        return node;
    },
    stringify: stringifyNumber
};

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
function intResolve(str, offset, radix, { intAsBigInt }) {
    const sign = str[0];
    if (sign === '-' || sign === '+')
        offset += 1;
    str = str.substring(offset).replace(/_/g, '');
    if (intAsBigInt) {
        switch (radix) {
            case 2:
                str = `0b${str}`;
                break;
            case 8:
                str = `0o${str}`;
                break;
            case 16:
                str = `0x${str}`;
                break;
        }
        const n = BigInt(str);
        return sign === '-' ? BigInt(-1) * n : n;
    }
    const n = parseInt(str, radix);
    return sign === '-' ? -1 * n : n;
}
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value)) {
        const str = value.toString(radix);
        return value < 0 ? '-' + prefix + str.substr(1) : prefix + str;
    }
    return stringifyNumber(node);
}
const intBin = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'BIN',
    test: /^[-+]?0b[0-1_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 2, opt),
    stringify: node => intStringify(node, 2, '0b')
};
const intOct = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^[-+]?0[0-7_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 1, 8, opt),
    stringify: node => intStringify(node, 8, '0')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9][0-9_]*$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber
};
const intHex = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^[-+]?0x[0-9a-fA-F_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

class YAMLSet extends YAMLMap {
    constructor(schema) {
        super(schema);
        this.tag = YAMLSet.tag;
    }
    add(key) {
        let pair;
        if (isPair(key))
            pair = key;
        else if (key &&
            typeof key === 'object' &&
            'key' in key &&
            'value' in key &&
            key.value === null)
            pair = new Pair(key.key, null);
        else
            pair = new Pair(key, null);
        const prev = findPair(this.items, pair.key);
        if (!prev)
            this.items.push(pair);
    }
    /**
     * If `keepPair` is `true`, returns the Pair matching `key`.
     * Otherwise, returns the value of that Pair's key.
     */
    get(key, keepPair) {
        const pair = findPair(this.items, key);
        return !keepPair && isPair(pair)
            ? isScalar(pair.key)
                ? pair.key.value
                : pair.key
            : pair;
    }
    set(key, value) {
        if (typeof value !== 'boolean')
            throw new Error(`Expected boolean value for set(key, value) in a YAML set, not ${typeof value}`);
        const prev = findPair(this.items, key);
        if (prev && !value) {
            this.items.splice(this.items.indexOf(prev), 1);
        }
        else if (!prev && value) {
            this.items.push(new Pair(key));
        }
    }
    toJSON(_, ctx) {
        return super.toJSON(_, ctx, Set);
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        if (this.hasAllNullValues(true))
            return super.toString(Object.assign({}, ctx, { allNullValues: true }), onComment, onChompKeep);
        else
            throw new Error('Set items must all have null values');
    }
    static from(schema, iterable, ctx) {
        const { replacer } = ctx;
        const set = new this(schema);
        if (iterable && Symbol.iterator in Object(iterable))
            for (let value of iterable) {
                if (typeof replacer === 'function')
                    value = replacer.call(iterable, value, value);
                set.items.push(createPair(value, null, ctx));
            }
        return set;
    }
}
YAMLSet.tag = 'tag:yaml.org,2002:set';
const set = {
    collection: 'map',
    identify: value => value instanceof Set,
    nodeClass: YAMLSet,
    default: false,
    tag: 'tag:yaml.org,2002:set',
    createNode: (schema, iterable, ctx) => YAMLSet.from(schema, iterable, ctx),
    resolve(map, onError) {
        if (isMap(map)) {
            if (map.hasAllNullValues(true))
                return Object.assign(new YAMLSet(), map);
            else
                onError('Set items must all have null values');
        }
        else
            onError('Expected a mapping for this tag');
        return map;
    }
};

/** Internal types handle bigint as number, because TS can't figure it out. */
function parseSexagesimal(str, asBigInt) {
    const sign = str[0];
    const parts = sign === '-' || sign === '+' ? str.substring(1) : str;
    const num = (n) => asBigInt ? BigInt(n) : Number(n);
    const res = parts
        .replace(/_/g, '')
        .split(':')
        .reduce((res, p) => res * num(60) + num(p), num(0));
    return (sign === '-' ? num(-1) * res : res);
}
/**
 * hhhh:mm:ss.sss
 *
 * Internal types handle bigint as number, because TS can't figure it out.
 */
function stringifySexagesimal(node) {
    let { value } = node;
    let num = (n) => n;
    if (typeof value === 'bigint')
        num = n => BigInt(n);
    else if (isNaN(value) || !isFinite(value))
        return stringifyNumber(node);
    let sign = '';
    if (value < 0) {
        sign = '-';
        value *= num(-1);
    }
    const _60 = num(60);
    const parts = [value % _60]; // seconds, including ms
    if (value < 60) {
        parts.unshift(0); // at least one : is required
    }
    else {
        value = (value - parts[0]) / _60;
        parts.unshift(value % _60); // minutes
        if (value >= 60) {
            value = (value - parts[0]) / _60;
            parts.unshift(value); // hours
        }
    }
    return (sign +
        parts
            .map(n => String(n).padStart(2, '0'))
            .join(':')
            .replace(/000000\d*$/, '') // % 60 may introduce error
    );
}
const intTime = {
    identify: value => typeof value === 'bigint' || Number.isInteger(value),
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
    resolve: (str, _onError, { intAsBigInt }) => parseSexagesimal(str, intAsBigInt),
    stringify: stringifySexagesimal
};
const floatTime = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
    resolve: str => parseSexagesimal(str, false),
    stringify: stringifySexagesimal
};
const timestamp = {
    identify: value => value instanceof Date,
    default: true,
    tag: 'tag:yaml.org,2002:timestamp',
    // If the time zone is omitted, the timestamp is assumed to be specified in UTC. The time part
    // may be omitted altogether, resulting in a date format. In such a case, the time part is
    // assumed to be 00:00:00Z (start of day, UTC).
    test: RegExp('^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})' + // YYYY-Mm-Dd
        '(?:' + // time is optional
        '(?:t|T|[ \\t]+)' + // t | T | whitespace
        '([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\\.[0-9]+)?)' + // Hh:Mm:Ss(.ss)?
        '(?:[ \\t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?' + // Z | +5 | -03:30
        ')?$'),
    resolve(str) {
        const match = str.match(timestamp.test);
        if (!match)
            throw new Error('!!timestamp expects a date, starting with yyyy-mm-dd');
        const [, year, month, day, hour, minute, second] = match.map(Number);
        const millisec = match[7] ? Number((match[7] + '00').substr(1, 3)) : 0;
        let date = Date.UTC(year, month - 1, day, hour || 0, minute || 0, second || 0, millisec);
        const tz = match[8];
        if (tz && tz !== 'Z') {
            let d = parseSexagesimal(tz, false);
            if (Math.abs(d) < 30)
                d *= 60;
            date -= 60000 * d;
        }
        return new Date(date);
    },
    stringify: ({ value }) => value?.toISOString().replace(/(T00:00:00)?\.000Z$/, '') ?? ''
};

const schema = [
    map,
    seq,
    string,
    nullTag,
    trueTag,
    falseTag,
    intBin,
    intOct,
    int,
    intHex,
    floatNaN,
    floatExp,
    float,
    binary,
    merge,
    omap,
    pairs,
    set,
    intTime,
    floatTime,
    timestamp
];

const schemas = new Map([
    ['core', schema$2],
    ['failsafe', [map, seq, string]],
    ['json', schema$1],
    ['yaml11', schema],
    ['yaml-1.1', schema]
]);
const tagsByName = {
    binary,
    bool: boolTag,
    float: float$1,
    floatExp: floatExp$1,
    floatNaN: floatNaN$1,
    floatTime,
    int: int$1,
    intHex: intHex$1,
    intOct: intOct$1,
    intTime,
    map,
    merge,
    null: nullTag,
    omap,
    pairs,
    seq,
    set,
    timestamp
};
const coreKnownTags = {
    'tag:yaml.org,2002:binary': binary,
    'tag:yaml.org,2002:merge': merge,
    'tag:yaml.org,2002:omap': omap,
    'tag:yaml.org,2002:pairs': pairs,
    'tag:yaml.org,2002:set': set,
    'tag:yaml.org,2002:timestamp': timestamp
};
function getTags(customTags, schemaName, addMergeTag) {
    const schemaTags = schemas.get(schemaName);
    if (schemaTags && !customTags) {
        return addMergeTag && !schemaTags.includes(merge)
            ? schemaTags.concat(merge)
            : schemaTags.slice();
    }
    let tags = schemaTags;
    if (!tags) {
        if (Array.isArray(customTags))
            tags = [];
        else {
            const keys = Array.from(schemas.keys())
                .filter(key => key !== 'yaml11')
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown schema "${schemaName}"; use one of ${keys} or define customTags array`);
        }
    }
    if (Array.isArray(customTags)) {
        for (const tag of customTags)
            tags = tags.concat(tag);
    }
    else if (typeof customTags === 'function') {
        tags = customTags(tags.slice());
    }
    if (addMergeTag)
        tags = tags.concat(merge);
    return tags.reduce((tags, tag) => {
        const tagObj = typeof tag === 'string' ? tagsByName[tag] : tag;
        if (!tagObj) {
            const tagName = JSON.stringify(tag);
            const keys = Object.keys(tagsByName)
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown custom tag ${tagName}; use one of ${keys}`);
        }
        if (!tags.includes(tagObj))
            tags.push(tagObj);
        return tags;
    }, []);
}

const sortMapEntriesByKey = (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
class Schema {
    constructor({ compat, customTags, merge, resolveKnownTags, schema, sortMapEntries, toStringDefaults }) {
        this.compat = Array.isArray(compat)
            ? getTags(compat, 'compat')
            : compat
                ? getTags(null, compat)
                : null;
        this.name = (typeof schema === 'string' && schema) || 'core';
        this.knownTags = resolveKnownTags ? coreKnownTags : {};
        this.tags = getTags(customTags, this.name, merge);
        this.toStringOptions = toStringDefaults ?? null;
        Object.defineProperty(this, MAP, { value: map });
        Object.defineProperty(this, SCALAR$1, { value: string });
        Object.defineProperty(this, SEQ, { value: seq });
        // Used by createMap()
        this.sortMapEntries =
            typeof sortMapEntries === 'function'
                ? sortMapEntries
                : sortMapEntries === true
                    ? sortMapEntriesByKey
                    : null;
    }
    clone() {
        const copy = Object.create(Schema.prototype, Object.getOwnPropertyDescriptors(this));
        copy.tags = this.tags.slice();
        return copy;
    }
}

function stringifyDocument(doc, options) {
    const lines = [];
    let hasDirectives = options.directives === true;
    if (options.directives !== false && doc.directives) {
        const dir = doc.directives.toString(doc);
        if (dir) {
            lines.push(dir);
            hasDirectives = true;
        }
        else if (doc.directives.docStart)
            hasDirectives = true;
    }
    if (hasDirectives)
        lines.push('---');
    const ctx = createStringifyContext(doc, options);
    const { commentString } = ctx.options;
    if (doc.commentBefore) {
        if (lines.length !== 1)
            lines.unshift('');
        const cs = commentString(doc.commentBefore);
        lines.unshift(indentComment(cs, ''));
    }
    let chompKeep = false;
    let contentComment = null;
    if (doc.contents) {
        if (isNode(doc.contents)) {
            if (doc.contents.spaceBefore && hasDirectives)
                lines.push('');
            if (doc.contents.commentBefore) {
                const cs = commentString(doc.contents.commentBefore);
                lines.push(indentComment(cs, ''));
            }
            // top-level block scalars need to be indented if followed by a comment
            ctx.forceBlockIndent = !!doc.comment;
            contentComment = doc.contents.comment;
        }
        const onChompKeep = contentComment ? undefined : () => (chompKeep = true);
        let body = stringify$1(doc.contents, ctx, () => (contentComment = null), onChompKeep);
        if (contentComment)
            body += lineComment(body, '', commentString(contentComment));
        if ((body[0] === '|' || body[0] === '>') &&
            lines[lines.length - 1] === '---') {
            // Top-level block scalars with a preceding doc marker ought to use the
            // same line for their header.
            lines[lines.length - 1] = `--- ${body}`;
        }
        else
            lines.push(body);
    }
    else {
        lines.push(stringify$1(doc.contents, ctx));
    }
    if (doc.directives?.docEnd) {
        if (doc.comment) {
            const cs = commentString(doc.comment);
            if (cs.includes('\n')) {
                lines.push('...');
                lines.push(indentComment(cs, ''));
            }
            else {
                lines.push(`... ${cs}`);
            }
        }
        else {
            lines.push('...');
        }
    }
    else {
        let dc = doc.comment;
        if (dc && chompKeep)
            dc = dc.replace(/^\n+/, '');
        if (dc) {
            if ((!chompKeep || contentComment) && lines[lines.length - 1] !== '')
                lines.push('');
            lines.push(indentComment(commentString(dc), ''));
        }
    }
    return lines.join('\n') + '\n';
}

class Document {
    constructor(value, replacer, options) {
        /** A comment before this Document */
        this.commentBefore = null;
        /** A comment immediately after this Document */
        this.comment = null;
        /** Errors encountered during parsing. */
        this.errors = [];
        /** Warnings encountered during parsing. */
        this.warnings = [];
        Object.defineProperty(this, NODE_TYPE, { value: DOC });
        let _replacer = null;
        if (typeof replacer === 'function' || Array.isArray(replacer)) {
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const opt = Object.assign({
            intAsBigInt: false,
            keepSourceTokens: false,
            logLevel: 'warn',
            prettyErrors: true,
            strict: true,
            stringKeys: false,
            uniqueKeys: true,
            version: '1.2'
        }, options);
        this.options = opt;
        let { version } = opt;
        if (options?._directives) {
            this.directives = options._directives.atDocument();
            if (this.directives.yaml.explicit)
                version = this.directives.yaml.version;
        }
        else
            this.directives = new Directives({ version });
        this.setSchema(version, options);
        // @ts-expect-error We can't really know that this matches Contents.
        this.contents =
            value === undefined ? null : this.createNode(value, _replacer, options);
    }
    /**
     * Create a deep copy of this Document and its contents.
     *
     * Custom Node values that inherit from `Object` still refer to their original instances.
     */
    clone() {
        const copy = Object.create(Document.prototype, {
            [NODE_TYPE]: { value: DOC }
        });
        copy.commentBefore = this.commentBefore;
        copy.comment = this.comment;
        copy.errors = this.errors.slice();
        copy.warnings = this.warnings.slice();
        copy.options = Object.assign({}, this.options);
        if (this.directives)
            copy.directives = this.directives.clone();
        copy.schema = this.schema.clone();
        // @ts-expect-error We can't really know that this matches Contents.
        copy.contents = isNode(this.contents)
            ? this.contents.clone(copy.schema)
            : this.contents;
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** Adds a value to the document. */
    add(value) {
        if (assertCollection(this.contents))
            this.contents.add(value);
    }
    /** Adds a value to the document. */
    addIn(path, value) {
        if (assertCollection(this.contents))
            this.contents.addIn(path, value);
    }
    /**
     * Create a new `Alias` node, ensuring that the target `node` has the required anchor.
     *
     * If `node` already has an anchor, `name` is ignored.
     * Otherwise, the `node.anchor` value will be set to `name`,
     * or if an anchor with that name is already present in the document,
     * `name` will be used as a prefix for a new unique anchor.
     * If `name` is undefined, the generated anchor will use 'a' as a prefix.
     */
    createAlias(node, name) {
        if (!node.anchor) {
            const prev = anchorNames(this);
            node.anchor =
                // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
                !name || prev.has(name) ? findNewAnchor(name || 'a', prev) : name;
        }
        return new Alias(node.anchor);
    }
    createNode(value, replacer, options) {
        let _replacer = undefined;
        if (typeof replacer === 'function') {
            value = replacer.call({ '': value }, '', value);
            _replacer = replacer;
        }
        else if (Array.isArray(replacer)) {
            const keyToStr = (v) => typeof v === 'number' || v instanceof String || v instanceof Number;
            const asStr = replacer.filter(keyToStr).map(String);
            if (asStr.length > 0)
                replacer = replacer.concat(asStr);
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const { aliasDuplicateObjects, anchorPrefix, flow, keepUndefined, onTagObj, tag } = options ?? {};
        const { onAnchor, setAnchors, sourceObjects } = createNodeAnchors(this, 
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        anchorPrefix || 'a');
        const ctx = {
            aliasDuplicateObjects: aliasDuplicateObjects ?? true,
            keepUndefined: keepUndefined ?? false,
            onAnchor,
            onTagObj,
            replacer: _replacer,
            schema: this.schema,
            sourceObjects
        };
        const node = createNode(value, tag, ctx);
        if (flow && isCollection(node))
            node.flow = true;
        setAnchors();
        return node;
    }
    /**
     * Convert a key and a value into a `Pair` using the current schema,
     * recursively wrapping all values as `Scalar` or `Collection` nodes.
     */
    createPair(key, value, options = {}) {
        const k = this.createNode(key, null, options);
        const v = this.createNode(value, null, options);
        return new Pair(k, v);
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        return assertCollection(this.contents) ? this.contents.delete(key) : false;
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        if (isEmptyPath(path)) {
            if (this.contents == null)
                return false;
            // @ts-expect-error Presumed impossible if Strict extends false
            this.contents = null;
            return true;
        }
        return assertCollection(this.contents)
            ? this.contents.deleteIn(path)
            : false;
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    get(key, keepScalar) {
        return isCollection(this.contents)
            ? this.contents.get(key, keepScalar)
            : undefined;
    }
    /**
     * Returns item at `path`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        if (isEmptyPath(path))
            return !keepScalar && isScalar(this.contents)
                ? this.contents.value
                : this.contents;
        return isCollection(this.contents)
            ? this.contents.getIn(path, keepScalar)
            : undefined;
    }
    /**
     * Checks if the document includes a value with the key `key`.
     */
    has(key) {
        return isCollection(this.contents) ? this.contents.has(key) : false;
    }
    /**
     * Checks if the document includes a value at `path`.
     */
    hasIn(path) {
        if (isEmptyPath(path))
            return this.contents !== undefined;
        return isCollection(this.contents) ? this.contents.hasIn(path) : false;
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    set(key, value) {
        if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = collectionFromPath(this.schema, [key], value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.set(key, value);
        }
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        if (isEmptyPath(path)) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = value;
        }
        else if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = collectionFromPath(this.schema, Array.from(path), value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.setIn(path, value);
        }
    }
    /**
     * Change the YAML version and schema used by the document.
     * A `null` version disables support for directives, explicit tags, anchors, and aliases.
     * It also requires the `schema` option to be given as a `Schema` instance value.
     *
     * Overrides all previously set schema options.
     */
    setSchema(version, options = {}) {
        if (typeof version === 'number')
            version = String(version);
        let opt;
        switch (version) {
            case '1.1':
                if (this.directives)
                    this.directives.yaml.version = '1.1';
                else
                    this.directives = new Directives({ version: '1.1' });
                opt = { resolveKnownTags: false, schema: 'yaml-1.1' };
                break;
            case '1.2':
            case 'next':
                if (this.directives)
                    this.directives.yaml.version = version;
                else
                    this.directives = new Directives({ version });
                opt = { resolveKnownTags: true, schema: 'core' };
                break;
            case null:
                if (this.directives)
                    delete this.directives;
                opt = null;
                break;
            default: {
                const sv = JSON.stringify(version);
                throw new Error(`Expected '1.1', '1.2' or null as first argument, but found: ${sv}`);
            }
        }
        // Not using `instanceof Schema` to allow for duck typing
        if (options.schema instanceof Object)
            this.schema = options.schema;
        else if (opt)
            this.schema = new Schema(Object.assign(opt, options));
        else
            throw new Error(`With a null YAML version, the { schema: Schema } option is required`);
    }
    // json & jsonArg are only used from toJSON()
    toJS({ json, jsonArg, mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        const ctx = {
            anchors: new Map(),
            doc: this,
            keep: !json,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS(this.contents, jsonArg ?? '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver(reviver, { '': res }, '', res)
            : res;
    }
    /**
     * A JSON representation of the document `contents`.
     *
     * @param jsonArg Used by `JSON.stringify` to indicate the array index or
     *   property name.
     */
    toJSON(jsonArg, onAnchor) {
        return this.toJS({ json: true, jsonArg, mapAsMap: false, onAnchor });
    }
    /** A YAML representation of the document. */
    toString(options = {}) {
        if (this.errors.length > 0)
            throw new Error('Document with errors cannot be stringified');
        if ('indent' in options &&
            (!Number.isInteger(options.indent) || Number(options.indent) <= 0)) {
            const s = JSON.stringify(options.indent);
            throw new Error(`"indent" option must be a positive integer, not ${s}`);
        }
        return stringifyDocument(this, options);
    }
}
function assertCollection(contents) {
    if (isCollection(contents))
        return true;
    throw new Error('Expected a YAML collection as document contents');
}

class YAMLError extends Error {
    constructor(name, pos, code, message) {
        super();
        this.name = name;
        this.code = code;
        this.message = message;
        this.pos = pos;
    }
}
class YAMLParseError extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLParseError', pos, code, message);
    }
}
class YAMLWarning extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLWarning', pos, code, message);
    }
}
const prettifyError = (src, lc) => (error) => {
    if (error.pos[0] === -1)
        return;
    error.linePos = error.pos.map(pos => lc.linePos(pos));
    const { line, col } = error.linePos[0];
    error.message += ` at line ${line}, column ${col}`;
    let ci = col - 1;
    let lineStr = src
        .substring(lc.lineStarts[line - 1], lc.lineStarts[line])
        .replace(/[\n\r]+$/, '');
    // Trim to max 80 chars, keeping col position near the middle
    if (ci >= 60 && lineStr.length > 80) {
        const trimStart = Math.min(ci - 39, lineStr.length - 79);
        lineStr = '…' + lineStr.substring(trimStart);
        ci -= trimStart - 1;
    }
    if (lineStr.length > 80)
        lineStr = lineStr.substring(0, 79) + '…';
    // Include previous line in context if pointing at line start
    if (line > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
        // Regexp won't match if start is trimmed
        let prev = src.substring(lc.lineStarts[line - 2], lc.lineStarts[line - 1]);
        if (prev.length > 80)
            prev = prev.substring(0, 79) + '…\n';
        lineStr = prev + lineStr;
    }
    if (/[^ ]/.test(lineStr)) {
        let count = 1;
        const end = error.linePos[1];
        if (end?.line === line && end.col > col) {
            count = Math.max(1, Math.min(end.col - col, 80 - ci));
        }
        const pointer = ' '.repeat(ci) + '^'.repeat(count);
        error.message += `:\n\n${lineStr}\n${pointer}\n`;
    }
};

function resolveProps(tokens, { flow, indicator, next, offset, onError, parentIndent, startOnNewline }) {
    let spaceBefore = false;
    let atNewline = startOnNewline;
    let hasSpace = startOnNewline;
    let comment = '';
    let commentSep = '';
    let hasNewline = false;
    let reqSpace = false;
    let tab = null;
    let anchor = null;
    let tag = null;
    let newlineAfterProp = null;
    let comma = null;
    let found = null;
    let start = null;
    for (const token of tokens) {
        if (reqSpace) {
            if (token.type !== 'space' &&
                token.type !== 'newline' &&
                token.type !== 'comma')
                onError(token.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
            reqSpace = false;
        }
        if (tab) {
            if (atNewline && token.type !== 'comment' && token.type !== 'newline') {
                onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
            }
            tab = null;
        }
        switch (token.type) {
            case 'space':
                // At the doc level, tabs at line start may be parsed
                // as leading white space rather than indentation.
                // In a flow collection, only the parser handles indent.
                if (!flow &&
                    (indicator !== 'doc-start' || next?.type !== 'flow-collection') &&
                    token.source.includes('\t')) {
                    tab = token;
                }
                hasSpace = true;
                break;
            case 'comment': {
                if (!hasSpace)
                    onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                const cb = token.source.substring(1) || ' ';
                if (!comment)
                    comment = cb;
                else
                    comment += commentSep + cb;
                commentSep = '';
                atNewline = false;
                break;
            }
            case 'newline':
                if (atNewline) {
                    if (comment)
                        comment += token.source;
                    else if (!found || indicator !== 'seq-item-ind')
                        spaceBefore = true;
                }
                else
                    commentSep += token.source;
                atNewline = true;
                hasNewline = true;
                if (anchor || tag)
                    newlineAfterProp = token;
                hasSpace = true;
                break;
            case 'anchor':
                if (anchor)
                    onError(token, 'MULTIPLE_ANCHORS', 'A node can have at most one anchor');
                if (token.source.endsWith(':'))
                    onError(token.offset + token.source.length - 1, 'BAD_ALIAS', 'Anchor ending in : is ambiguous', true);
                anchor = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            case 'tag': {
                if (tag)
                    onError(token, 'MULTIPLE_TAGS', 'A node can have at most one tag');
                tag = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            }
            case indicator:
                // Could here handle preceding comments differently
                if (anchor || tag)
                    onError(token, 'BAD_PROP_ORDER', `Anchors and tags must be after the ${token.source} indicator`);
                if (found)
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.source} in ${flow ?? 'collection'}`);
                found = token;
                atNewline =
                    indicator === 'seq-item-ind' || indicator === 'explicit-key-ind';
                hasSpace = false;
                break;
            case 'comma':
                if (flow) {
                    if (comma)
                        onError(token, 'UNEXPECTED_TOKEN', `Unexpected , in ${flow}`);
                    comma = token;
                    atNewline = false;
                    hasSpace = false;
                    break;
                }
            // else fallthrough
            default:
                onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.type} token`);
                atNewline = false;
                hasSpace = false;
        }
    }
    const last = tokens[tokens.length - 1];
    const end = last ? last.offset + last.source.length : offset;
    if (reqSpace &&
        next &&
        next.type !== 'space' &&
        next.type !== 'newline' &&
        next.type !== 'comma' &&
        (next.type !== 'scalar' || next.source !== '')) {
        onError(next.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
    }
    if (tab &&
        ((atNewline && tab.indent <= parentIndent) ||
            next?.type === 'block-map' ||
            next?.type === 'block-seq'))
        onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
    return {
        comma,
        found,
        spaceBefore,
        comment,
        hasNewline,
        anchor,
        tag,
        newlineAfterProp,
        end,
        start: start ?? end
    };
}

function containsNewline(key) {
    if (!key)
        return null;
    switch (key.type) {
        case 'alias':
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            if (key.source.includes('\n'))
                return true;
            if (key.end)
                for (const st of key.end)
                    if (st.type === 'newline')
                        return true;
            return false;
        case 'flow-collection':
            for (const it of key.items) {
                for (const st of it.start)
                    if (st.type === 'newline')
                        return true;
                if (it.sep)
                    for (const st of it.sep)
                        if (st.type === 'newline')
                            return true;
                if (containsNewline(it.key) || containsNewline(it.value))
                    return true;
            }
            return false;
        default:
            return true;
    }
}

function flowIndentCheck(indent, fc, onError) {
    if (fc?.type === 'flow-collection') {
        const end = fc.end[0];
        if (end.indent === indent &&
            (end.source === ']' || end.source === '}') &&
            containsNewline(fc)) {
            const msg = 'Flow end indicator should be more indented than parent';
            onError(end, 'BAD_INDENT', msg, true);
        }
    }
}

function mapIncludes(ctx, items, search) {
    const { uniqueKeys } = ctx.options;
    if (uniqueKeys === false)
        return false;
    const isEqual = typeof uniqueKeys === 'function'
        ? uniqueKeys
        : (a, b) => a === b || (isScalar(a) && isScalar(b) && a.value === b.value);
    return items.some(pair => isEqual(pair.key, search));
}

const startColMsg = 'All mapping items must start at the same column';
function resolveBlockMap({ composeNode, composeEmptyNode }, ctx, bm, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLMap;
    const map = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    let offset = bm.offset;
    let commentEnd = null;
    for (const collItem of bm.items) {
        const { start, key, sep, value } = collItem;
        // key properties
        const keyProps = resolveProps(start, {
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: bm.indent,
            startOnNewline: true
        });
        const implicitKey = !keyProps.found;
        if (implicitKey) {
            if (key) {
                if (key.type === 'block-seq')
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'A block sequence may not be used as an implicit map key');
                else if ('indent' in key && key.indent !== bm.indent)
                    onError(offset, 'BAD_INDENT', startColMsg);
            }
            if (!keyProps.anchor && !keyProps.tag && !sep) {
                commentEnd = keyProps.end;
                if (keyProps.comment) {
                    if (map.comment)
                        map.comment += '\n' + keyProps.comment;
                    else
                        map.comment = keyProps.comment;
                }
                continue;
            }
            if (keyProps.newlineAfterProp || containsNewline(key)) {
                onError(key ?? start[start.length - 1], 'MULTILINE_IMPLICIT_KEY', 'Implicit keys need to be on a single line');
            }
        }
        else if (keyProps.found?.indent !== bm.indent) {
            onError(offset, 'BAD_INDENT', startColMsg);
        }
        // key value
        ctx.atKey = true;
        const keyStart = keyProps.end;
        const keyNode = key
            ? composeNode(ctx, key, keyProps, onError)
            : composeEmptyNode(ctx, keyStart, start, null, keyProps, onError);
        if (ctx.schema.compat)
            flowIndentCheck(bm.indent, key, onError);
        ctx.atKey = false;
        if (mapIncludes(ctx, map.items, keyNode))
            onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
        // value properties
        const valueProps = resolveProps(sep ?? [], {
            indicator: 'map-value-ind',
            next: value,
            offset: keyNode.range[2],
            onError,
            parentIndent: bm.indent,
            startOnNewline: !key || key.type === 'block-scalar'
        });
        offset = valueProps.end;
        if (valueProps.found) {
            if (implicitKey) {
                if (value?.type === 'block-map' && !valueProps.hasNewline)
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'Nested mappings are not allowed in compact mappings');
                if (ctx.options.strict &&
                    keyProps.start < valueProps.found.offset - 1024)
                    onError(keyNode.range, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit block mapping key');
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : composeEmptyNode(ctx, offset, sep, null, valueProps, onError);
            if (ctx.schema.compat)
                flowIndentCheck(bm.indent, value, onError);
            offset = valueNode.range[2];
            const pair = new Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
        else {
            // key with no value
            if (implicitKey)
                onError(keyNode.range, 'MISSING_CHAR', 'Implicit map keys need to be followed by map values');
            if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair(keyNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
    }
    if (commentEnd && commentEnd < offset)
        onError(commentEnd, 'IMPOSSIBLE', 'Map comment with trailing content');
    map.range = [bm.offset, offset, commentEnd ?? offset];
    return map;
}

function resolveBlockSeq({ composeNode, composeEmptyNode }, ctx, bs, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLSeq;
    const seq = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = bs.offset;
    let commentEnd = null;
    for (const { start, value } of bs.items) {
        const props = resolveProps(start, {
            indicator: 'seq-item-ind',
            next: value,
            offset,
            onError,
            parentIndent: bs.indent,
            startOnNewline: true
        });
        if (!props.found) {
            if (props.anchor || props.tag || value) {
                if (value?.type === 'block-seq')
                    onError(props.end, 'BAD_INDENT', 'All sequence items must start at the same column');
                else
                    onError(offset, 'MISSING_CHAR', 'Sequence item without - indicator');
            }
            else {
                commentEnd = props.end;
                if (props.comment)
                    seq.comment = props.comment;
                continue;
            }
        }
        const node = value
            ? composeNode(ctx, value, props, onError)
            : composeEmptyNode(ctx, props.end, start, null, props, onError);
        if (ctx.schema.compat)
            flowIndentCheck(bs.indent, value, onError);
        offset = node.range[2];
        seq.items.push(node);
    }
    seq.range = [bs.offset, offset, commentEnd ?? offset];
    return seq;
}

function resolveEnd(end, offset, reqSpace, onError) {
    let comment = '';
    if (end) {
        let hasSpace = false;
        let sep = '';
        for (const token of end) {
            const { source, type } = token;
            switch (type) {
                case 'space':
                    hasSpace = true;
                    break;
                case 'comment': {
                    if (reqSpace && !hasSpace)
                        onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                    const cb = source.substring(1) || ' ';
                    if (!comment)
                        comment = cb;
                    else
                        comment += sep + cb;
                    sep = '';
                    break;
                }
                case 'newline':
                    if (comment)
                        sep += source;
                    hasSpace = true;
                    break;
                default:
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${type} at node end`);
            }
            offset += source.length;
        }
    }
    return { comment, offset };
}

const blockMsg = 'Block collections are not allowed within flow collections';
const isBlock = (token) => token && (token.type === 'block-map' || token.type === 'block-seq');
function resolveFlowCollection({ composeNode, composeEmptyNode }, ctx, fc, onError, tag) {
    const isMap = fc.start.source === '{';
    const fcName = isMap ? 'flow map' : 'flow sequence';
    const NodeClass = (tag?.nodeClass ?? (isMap ? YAMLMap : YAMLSeq));
    const coll = new NodeClass(ctx.schema);
    coll.flow = true;
    const atRoot = ctx.atRoot;
    if (atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = fc.offset + fc.start.source.length;
    for (let i = 0; i < fc.items.length; ++i) {
        const collItem = fc.items[i];
        const { start, key, sep, value } = collItem;
        const props = resolveProps(start, {
            flow: fcName,
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: fc.indent,
            startOnNewline: false
        });
        if (!props.found) {
            if (!props.anchor && !props.tag && !sep && !value) {
                if (i === 0 && props.comma)
                    onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
                else if (i < fc.items.length - 1)
                    onError(props.start, 'UNEXPECTED_TOKEN', `Unexpected empty item in ${fcName}`);
                if (props.comment) {
                    if (coll.comment)
                        coll.comment += '\n' + props.comment;
                    else
                        coll.comment = props.comment;
                }
                offset = props.end;
                continue;
            }
            if (!isMap && ctx.options.strict && containsNewline(key))
                onError(key, // checked by containsNewline()
                'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
        }
        if (i === 0) {
            if (props.comma)
                onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
        }
        else {
            if (!props.comma)
                onError(props.start, 'MISSING_CHAR', `Missing , between ${fcName} items`);
            if (props.comment) {
                let prevItemComment = '';
                loop: for (const st of start) {
                    switch (st.type) {
                        case 'comma':
                        case 'space':
                            break;
                        case 'comment':
                            prevItemComment = st.source.substring(1);
                            break loop;
                        default:
                            break loop;
                    }
                }
                if (prevItemComment) {
                    let prev = coll.items[coll.items.length - 1];
                    if (isPair(prev))
                        prev = prev.value ?? prev.key;
                    if (prev.comment)
                        prev.comment += '\n' + prevItemComment;
                    else
                        prev.comment = prevItemComment;
                    props.comment = props.comment.substring(prevItemComment.length + 1);
                }
            }
        }
        if (!isMap && !sep && !props.found) {
            // item is a value in a seq
            // → key & sep are empty, start does not include ? or :
            const valueNode = value
                ? composeNode(ctx, value, props, onError)
                : composeEmptyNode(ctx, props.end, sep, null, props, onError);
            coll.items.push(valueNode);
            offset = valueNode.range[2];
            if (isBlock(value))
                onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
        }
        else {
            // item is a key+value pair
            // key value
            ctx.atKey = true;
            const keyStart = props.end;
            const keyNode = key
                ? composeNode(ctx, key, props, onError)
                : composeEmptyNode(ctx, keyStart, start, null, props, onError);
            if (isBlock(key))
                onError(keyNode.range, 'BLOCK_IN_FLOW', blockMsg);
            ctx.atKey = false;
            // value properties
            const valueProps = resolveProps(sep ?? [], {
                flow: fcName,
                indicator: 'map-value-ind',
                next: value,
                offset: keyNode.range[2],
                onError,
                parentIndent: fc.indent,
                startOnNewline: false
            });
            if (valueProps.found) {
                if (!isMap && !props.found && ctx.options.strict) {
                    if (sep)
                        for (const st of sep) {
                            if (st === valueProps.found)
                                break;
                            if (st.type === 'newline') {
                                onError(st, 'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
                                break;
                            }
                        }
                    if (props.start < valueProps.found.offset - 1024)
                        onError(valueProps.found, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit flow sequence key');
                }
            }
            else if (value) {
                if ('source' in value && value.source?.[0] === ':')
                    onError(value, 'MISSING_CHAR', `Missing space after : in ${fcName}`);
                else
                    onError(valueProps.start, 'MISSING_CHAR', `Missing , or : between ${fcName} items`);
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : valueProps.found
                    ? composeEmptyNode(ctx, valueProps.end, sep, null, valueProps, onError)
                    : null;
            if (valueNode) {
                if (isBlock(value))
                    onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
            }
            else if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            if (isMap) {
                const map = coll;
                if (mapIncludes(ctx, map.items, keyNode))
                    onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
                map.items.push(pair);
            }
            else {
                const map = new YAMLMap(ctx.schema);
                map.flow = true;
                map.items.push(pair);
                const endRange = (valueNode ?? keyNode).range;
                map.range = [keyNode.range[0], endRange[1], endRange[2]];
                coll.items.push(map);
            }
            offset = valueNode ? valueNode.range[2] : valueProps.end;
        }
    }
    const expectedEnd = isMap ? '}' : ']';
    const [ce, ...ee] = fc.end;
    let cePos = offset;
    if (ce?.source === expectedEnd)
        cePos = ce.offset + ce.source.length;
    else {
        const name = fcName[0].toUpperCase() + fcName.substring(1);
        const msg = atRoot
            ? `${name} must end with a ${expectedEnd}`
            : `${name} in block collection must be sufficiently indented and end with a ${expectedEnd}`;
        onError(offset, atRoot ? 'MISSING_CHAR' : 'BAD_INDENT', msg);
        if (ce && ce.source.length !== 1)
            ee.unshift(ce);
    }
    if (ee.length > 0) {
        const end = resolveEnd(ee, cePos, ctx.options.strict, onError);
        if (end.comment) {
            if (coll.comment)
                coll.comment += '\n' + end.comment;
            else
                coll.comment = end.comment;
        }
        coll.range = [fc.offset, cePos, end.offset];
    }
    else {
        coll.range = [fc.offset, cePos, cePos];
    }
    return coll;
}

function resolveCollection(CN, ctx, token, onError, tagName, tag) {
    const coll = token.type === 'block-map'
        ? resolveBlockMap(CN, ctx, token, onError, tag)
        : token.type === 'block-seq'
            ? resolveBlockSeq(CN, ctx, token, onError, tag)
            : resolveFlowCollection(CN, ctx, token, onError, tag);
    const Coll = coll.constructor;
    // If we got a tagName matching the class, or the tag name is '!',
    // then use the tagName from the node class used to create it.
    if (tagName === '!' || tagName === Coll.tagName) {
        coll.tag = Coll.tagName;
        return coll;
    }
    if (tagName)
        coll.tag = tagName;
    return coll;
}
function composeCollection(CN, ctx, token, props, onError) {
    const tagToken = props.tag;
    const tagName = !tagToken
        ? null
        : ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg));
    if (token.type === 'block-seq') {
        const { anchor, newlineAfterProp: nl } = props;
        const lastProp = anchor && tagToken
            ? anchor.offset > tagToken.offset
                ? anchor
                : tagToken
            : (anchor ?? tagToken);
        if (lastProp && (!nl || nl.offset < lastProp.offset)) {
            const message = 'Missing newline after block sequence props';
            onError(lastProp, 'MISSING_CHAR', message);
        }
    }
    const expType = token.type === 'block-map'
        ? 'map'
        : token.type === 'block-seq'
            ? 'seq'
            : token.start.source === '{'
                ? 'map'
                : 'seq';
    // shortcut: check if it's a generic YAMLMap or YAMLSeq
    // before jumping into the custom tag logic.
    if (!tagToken ||
        !tagName ||
        tagName === '!' ||
        (tagName === YAMLMap.tagName && expType === 'map') ||
        (tagName === YAMLSeq.tagName && expType === 'seq')) {
        return resolveCollection(CN, ctx, token, onError, tagName);
    }
    let tag = ctx.schema.tags.find(t => t.tag === tagName && t.collection === expType);
    if (!tag) {
        const kt = ctx.schema.knownTags[tagName];
        if (kt?.collection === expType) {
            ctx.schema.tags.push(Object.assign({}, kt, { default: false }));
            tag = kt;
        }
        else {
            if (kt) {
                onError(tagToken, 'BAD_COLLECTION_TYPE', `${kt.tag} used for ${expType} collection, but expects ${kt.collection ?? 'scalar'}`, true);
            }
            else {
                onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, true);
            }
            return resolveCollection(CN, ctx, token, onError, tagName);
        }
    }
    const coll = resolveCollection(CN, ctx, token, onError, tagName, tag);
    const res = tag.resolve?.(coll, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg), ctx.options) ?? coll;
    const node = isNode(res)
        ? res
        : new Scalar(res);
    node.range = coll.range;
    node.tag = tagName;
    if (tag?.format)
        node.format = tag.format;
    return node;
}

function resolveBlockScalar(ctx, scalar, onError) {
    const start = scalar.offset;
    const header = parseBlockScalarHeader(scalar, ctx.options.strict, onError);
    if (!header)
        return { value: '', type: null, comment: '', range: [start, start, start] };
    const type = header.mode === '>' ? Scalar.BLOCK_FOLDED : Scalar.BLOCK_LITERAL;
    const lines = scalar.source ? splitLines(scalar.source) : [];
    // determine the end of content & start of chomping
    let chompStart = lines.length;
    for (let i = lines.length - 1; i >= 0; --i) {
        const content = lines[i][1];
        if (content === '' || content === '\r')
            chompStart = i;
        else
            break;
    }
    // shortcut for empty contents
    if (chompStart === 0) {
        const value = header.chomp === '+' && lines.length > 0
            ? '\n'.repeat(Math.max(1, lines.length - 1))
            : '';
        let end = start + header.length;
        if (scalar.source)
            end += scalar.source.length;
        return { value, type, comment: header.comment, range: [start, end, end] };
    }
    // find the indentation level to trim from start
    let trimIndent = scalar.indent + header.indent;
    let offset = scalar.offset + header.length;
    let contentStart = 0;
    for (let i = 0; i < chompStart; ++i) {
        const [indent, content] = lines[i];
        if (content === '' || content === '\r') {
            if (header.indent === 0 && indent.length > trimIndent)
                trimIndent = indent.length;
        }
        else {
            if (indent.length < trimIndent) {
                const message = 'Block scalars with more-indented leading empty lines must use an explicit indentation indicator';
                onError(offset + indent.length, 'MISSING_CHAR', message);
            }
            if (header.indent === 0)
                trimIndent = indent.length;
            contentStart = i;
            if (trimIndent === 0 && !ctx.atRoot) {
                const message = 'Block scalar values in collections must be indented';
                onError(offset, 'BAD_INDENT', message);
            }
            break;
        }
        offset += indent.length + content.length + 1;
    }
    // include trailing more-indented empty lines in content
    for (let i = lines.length - 1; i >= chompStart; --i) {
        if (lines[i][0].length > trimIndent)
            chompStart = i + 1;
    }
    let value = '';
    let sep = '';
    let prevMoreIndented = false;
    // leading whitespace is kept intact
    for (let i = 0; i < contentStart; ++i)
        value += lines[i][0].slice(trimIndent) + '\n';
    for (let i = contentStart; i < chompStart; ++i) {
        let [indent, content] = lines[i];
        offset += indent.length + content.length + 1;
        const crlf = content[content.length - 1] === '\r';
        if (crlf)
            content = content.slice(0, -1);
        /* istanbul ignore if already caught in lexer */
        if (content && indent.length < trimIndent) {
            const src = header.indent
                ? 'explicit indentation indicator'
                : 'first line';
            const message = `Block scalar lines must not be less indented than their ${src}`;
            onError(offset - content.length - (crlf ? 2 : 1), 'BAD_INDENT', message);
            indent = '';
        }
        if (type === Scalar.BLOCK_LITERAL) {
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
        }
        else if (indent.length > trimIndent || content[0] === '\t') {
            // more-indented content within a folded block
            if (sep === ' ')
                sep = '\n';
            else if (!prevMoreIndented && sep === '\n')
                sep = '\n\n';
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
            prevMoreIndented = true;
        }
        else if (content === '') {
            // empty line
            if (sep === '\n')
                value += '\n';
            else
                sep = '\n';
        }
        else {
            value += sep + content;
            sep = ' ';
            prevMoreIndented = false;
        }
    }
    switch (header.chomp) {
        case '-':
            break;
        case '+':
            for (let i = chompStart; i < lines.length; ++i)
                value += '\n' + lines[i][0].slice(trimIndent);
            if (value[value.length - 1] !== '\n')
                value += '\n';
            break;
        default:
            value += '\n';
    }
    const end = start + header.length + scalar.source.length;
    return { value, type, comment: header.comment, range: [start, end, end] };
}
function parseBlockScalarHeader({ offset, props }, strict, onError) {
    /* istanbul ignore if should not happen */
    if (props[0].type !== 'block-scalar-header') {
        onError(props[0], 'IMPOSSIBLE', 'Block scalar header not found');
        return null;
    }
    const { source } = props[0];
    const mode = source[0];
    let indent = 0;
    let chomp = '';
    let error = -1;
    for (let i = 1; i < source.length; ++i) {
        const ch = source[i];
        if (!chomp && (ch === '-' || ch === '+'))
            chomp = ch;
        else {
            const n = Number(ch);
            if (!indent && n)
                indent = n;
            else if (error === -1)
                error = offset + i;
        }
    }
    if (error !== -1)
        onError(error, 'UNEXPECTED_TOKEN', `Block scalar header includes extra characters: ${source}`);
    let hasSpace = false;
    let comment = '';
    let length = source.length;
    for (let i = 1; i < props.length; ++i) {
        const token = props[i];
        switch (token.type) {
            case 'space':
                hasSpace = true;
            // fallthrough
            case 'newline':
                length += token.source.length;
                break;
            case 'comment':
                if (strict && !hasSpace) {
                    const message = 'Comments must be separated from other tokens by white space characters';
                    onError(token, 'MISSING_CHAR', message);
                }
                length += token.source.length;
                comment = token.source.substring(1);
                break;
            case 'error':
                onError(token, 'UNEXPECTED_TOKEN', token.message);
                length += token.source.length;
                break;
            /* istanbul ignore next should not happen */
            default: {
                const message = `Unexpected token in block scalar header: ${token.type}`;
                onError(token, 'UNEXPECTED_TOKEN', message);
                const ts = token.source;
                if (ts && typeof ts === 'string')
                    length += ts.length;
            }
        }
    }
    return { mode, indent, chomp, comment, length };
}
/** @returns Array of lines split up as `[indent, content]` */
function splitLines(source) {
    const split = source.split(/\n( *)/);
    const first = split[0];
    const m = first.match(/^( *)/);
    const line0 = m?.[1]
        ? [m[1], first.slice(m[1].length)]
        : ['', first];
    const lines = [line0];
    for (let i = 1; i < split.length; i += 2)
        lines.push([split[i], split[i + 1]]);
    return lines;
}

function resolveFlowScalar(scalar, strict, onError) {
    const { offset, type, source, end } = scalar;
    let _type;
    let value;
    const _onError = (rel, code, msg) => onError(offset + rel, code, msg);
    switch (type) {
        case 'scalar':
            _type = Scalar.PLAIN;
            value = plainValue(source, _onError);
            break;
        case 'single-quoted-scalar':
            _type = Scalar.QUOTE_SINGLE;
            value = singleQuotedValue(source, _onError);
            break;
        case 'double-quoted-scalar':
            _type = Scalar.QUOTE_DOUBLE;
            value = doubleQuotedValue(source, _onError);
            break;
        /* istanbul ignore next should not happen */
        default:
            onError(scalar, 'UNEXPECTED_TOKEN', `Expected a flow scalar value, but found: ${type}`);
            return {
                value: '',
                type: null,
                comment: '',
                range: [offset, offset + source.length, offset + source.length]
            };
    }
    const valueEnd = offset + source.length;
    const re = resolveEnd(end, valueEnd, strict, onError);
    return {
        value,
        type: _type,
        comment: re.comment,
        range: [offset, valueEnd, re.offset]
    };
}
function plainValue(source, onError) {
    let badChar = '';
    switch (source[0]) {
        /* istanbul ignore next should not happen */
        case '\t':
            badChar = 'a tab character';
            break;
        case ',':
            badChar = 'flow indicator character ,';
            break;
        case '%':
            badChar = 'directive indicator character %';
            break;
        case '|':
        case '>': {
            badChar = `block scalar indicator ${source[0]}`;
            break;
        }
        case '@':
        case '`': {
            badChar = `reserved character ${source[0]}`;
            break;
        }
    }
    if (badChar)
        onError(0, 'BAD_SCALAR_START', `Plain value cannot start with ${badChar}`);
    return unfoldLines(source);
}
function singleQuotedValue(source, onError) {
    if (source[source.length - 1] !== "'" || source.length === 1)
        onError(source.length, 'MISSING_CHAR', "Missing closing 'quote");
    return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
}
function unfoldLines(source) {
    const line = /(.*?)\r?\n/sy;
    let match = line.exec(source);
    if (!match)
        return source;
    /**
     * The negative lookbehinds in these RegExps are to
     * prevent causing a polynomial search time in certain cases.
     *
     * The try-catch is for Safari < 16.4 and other old browsers:
     * https://caniuse.com/js-regexp-lookbehind
     */
    let trimEnd, trimBoth;
    try {
        trimEnd = new RegExp('(?<![ \t])[ \t]+$');
        trimBoth = new RegExp('^[ \t]+|(?<![ \t])[ \t]+$', 'g');
    }
    catch {
        trimEnd = /[ \t]+$/;
        trimBoth = /^[ \t]+|[ \t]+$/g;
    }
    let res = match[1].replace(trimEnd, '');
    let sep = ' ';
    let pos = line.lastIndex;
    while ((match = line.exec(source))) {
        const lm = match[1].replace(trimBoth, '');
        if (lm === '') {
            if (sep === '\n')
                res += sep;
            else
                sep = '\n';
        }
        else {
            res += sep + lm;
            sep = ' ';
        }
        pos = line.lastIndex;
    }
    const last = /[ \t]*(.*)/sy;
    last.lastIndex = pos;
    match = last.exec(source);
    return res + sep + (match?.[1] ?? '');
}
function doubleQuotedValue(source, onError) {
    let res = '';
    for (let i = 1; i < source.length - 1; ++i) {
        const ch = source[i];
        if (ch === '\r' && source[i + 1] === '\n')
            continue;
        if (ch === '\n') {
            const { fold, offset } = foldNewline(source, i);
            res += fold;
            i = offset;
        }
        else if (ch === '\\') {
            let next = source[++i];
            const cc = escapeCodes[next];
            if (cc)
                res += cc;
            else if (next === '\n') {
                // skip escaped newlines, but still trim the following line
                next = source[i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === '\r' && source[i + 1] === '\n') {
                // skip escaped CRLF newlines, but still trim the following line
                next = source[++i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === 'x' || next === 'u' || next === 'U') {
                const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
                res += parseCharCode(source, i + 1, length, onError);
                i += length;
            }
            else {
                const raw = source.substr(i - 1, 2);
                onError(i - 1, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
                res += raw;
            }
        }
        else if (ch === ' ' || ch === '\t') {
            // trim trailing whitespace
            const wsStart = i;
            let next = source[i + 1];
            while (next === ' ' || next === '\t')
                next = source[++i + 1];
            if (next !== '\n' && !(next === '\r' && source[i + 2] === '\n'))
                res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
        }
        else {
            res += ch;
        }
    }
    if (source[source.length - 1] !== '"' || source.length === 1)
        onError(source.length, 'MISSING_CHAR', 'Missing closing "quote');
    return res;
}
/**
 * Fold a single newline into a space, multiple newlines to N - 1 newlines.
 * Presumes `source[offset] === '\n'`
 */
function foldNewline(source, offset) {
    let fold = '';
    let ch = source[offset + 1];
    while (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        if (ch === '\r' && source[offset + 2] !== '\n')
            break;
        if (ch === '\n')
            fold += '\n';
        offset += 1;
        ch = source[offset + 1];
    }
    if (!fold)
        fold = ' ';
    return { fold, offset };
}
const escapeCodes = {
    '0': '\0', // null character
    a: '\x07', // bell character
    b: '\b', // backspace
    e: '\x1b', // escape character
    f: '\f', // form feed
    n: '\n', // line feed
    r: '\r', // carriage return
    t: '\t', // horizontal tab
    v: '\v', // vertical tab
    N: '\u0085', // Unicode next line
    _: '\u00a0', // Unicode non-breaking space
    L: '\u2028', // Unicode line separator
    P: '\u2029', // Unicode paragraph separator
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    '\t': '\t'
};
function parseCharCode(source, offset, length, onError) {
    const cc = source.substr(offset, length);
    const ok = cc.length === length && /^[0-9a-fA-F]+$/.test(cc);
    const code = ok ? parseInt(cc, 16) : NaN;
    try {
        return String.fromCodePoint(code);
    }
    catch {
        const raw = source.substr(offset - 2, length + 2);
        onError(offset - 2, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
        return raw;
    }
}

function composeScalar(ctx, token, tagToken, onError) {
    const { value, type, comment, range } = token.type === 'block-scalar'
        ? resolveBlockScalar(ctx, token, onError)
        : resolveFlowScalar(token, ctx.options.strict, onError);
    const tagName = tagToken
        ? ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg))
        : null;
    let tag;
    if (ctx.options.stringKeys && ctx.atKey) {
        tag = ctx.schema[SCALAR$1];
    }
    else if (tagName)
        tag = findScalarTagByName(ctx.schema, value, tagName, tagToken, onError);
    else if (token.type === 'scalar')
        tag = findScalarTagByTest(ctx, value, token, onError);
    else
        tag = ctx.schema[SCALAR$1];
    let scalar;
    try {
        const res = tag.resolve(value, msg => onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg), ctx.options);
        scalar = isScalar(res) ? res : new Scalar(res);
    }
    catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg);
        scalar = new Scalar(value);
    }
    scalar.range = range;
    scalar.source = value;
    if (type)
        scalar.type = type;
    if (tagName)
        scalar.tag = tagName;
    if (tag.format)
        scalar.format = tag.format;
    if (comment)
        scalar.comment = comment;
    return scalar;
}
function findScalarTagByName(schema, value, tagName, tagToken, onError) {
    if (tagName === '!')
        return schema[SCALAR$1]; // non-specific tag
    const matchWithTest = [];
    for (const tag of schema.tags) {
        if (!tag.collection && tag.tag === tagName) {
            if (tag.default && tag.test)
                matchWithTest.push(tag);
            else
                return tag;
        }
    }
    for (const tag of matchWithTest)
        if (tag.test?.test(value))
            return tag;
    const kt = schema.knownTags[tagName];
    if (kt && !kt.collection) {
        // Ensure that the known tag is available for stringifying,
        // but does not get used by default.
        schema.tags.push(Object.assign({}, kt, { default: false, test: undefined }));
        return kt;
    }
    onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, tagName !== 'tag:yaml.org,2002:str');
    return schema[SCALAR$1];
}
function findScalarTagByTest({ atKey, directives, schema }, value, token, onError) {
    const tag = schema.tags.find(tag => (tag.default === true || (atKey && tag.default === 'key')) &&
        tag.test?.test(value)) || schema[SCALAR$1];
    if (schema.compat) {
        const compat = schema.compat.find(tag => tag.default && tag.test?.test(value)) ??
            schema[SCALAR$1];
        if (tag.tag !== compat.tag) {
            const ts = directives.tagString(tag.tag);
            const cs = directives.tagString(compat.tag);
            const msg = `Value may be parsed as either ${ts} or ${cs}`;
            onError(token, 'TAG_RESOLVE_FAILED', msg, true);
        }
    }
    return tag;
}

function emptyScalarPosition(offset, before, pos) {
    if (before) {
        pos ?? (pos = before.length);
        for (let i = pos - 1; i >= 0; --i) {
            let st = before[i];
            switch (st.type) {
                case 'space':
                case 'comment':
                case 'newline':
                    offset -= st.source.length;
                    continue;
            }
            // Technically, an empty scalar is immediately after the last non-empty
            // node, but it's more useful to place it after any whitespace.
            st = before[++i];
            while (st?.type === 'space') {
                offset += st.source.length;
                st = before[++i];
            }
            break;
        }
    }
    return offset;
}

const CN = { composeNode, composeEmptyNode };
function composeNode(ctx, token, props, onError) {
    const atKey = ctx.atKey;
    const { spaceBefore, comment, anchor, tag } = props;
    let node;
    let isSrcToken = true;
    switch (token.type) {
        case 'alias':
            node = composeAlias(ctx, token, onError);
            if (anchor || tag)
                onError(token, 'ALIAS_PROPS', 'An alias node must not specify any properties');
            break;
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'block-scalar':
            node = composeScalar(ctx, token, tag, onError);
            if (anchor)
                node.anchor = anchor.source.substring(1);
            break;
        case 'block-map':
        case 'block-seq':
        case 'flow-collection':
            try {
                node = composeCollection(CN, ctx, token, props, onError);
                if (anchor)
                    node.anchor = anchor.source.substring(1);
            }
            catch (error) {
                // Almost certainly here due to a stack overflow
                const message = error instanceof Error ? error.message : String(error);
                onError(token, 'RESOURCE_EXHAUSTION', message);
            }
            break;
        default: {
            const message = token.type === 'error'
                ? token.message
                : `Unsupported token (type: ${token.type})`;
            onError(token, 'UNEXPECTED_TOKEN', message);
            isSrcToken = false;
        }
    }
    node ?? (node = composeEmptyNode(ctx, token.offset, undefined, null, props, onError));
    if (anchor && node.anchor === '')
        onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    if (atKey &&
        ctx.options.stringKeys &&
        (!isScalar(node) ||
            typeof node.value !== 'string' ||
            (node.tag && node.tag !== 'tag:yaml.org,2002:str'))) {
        const msg = 'With stringKeys, all keys must be strings';
        onError(tag ?? token, 'NON_STRING_KEY', msg);
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        if (token.type === 'scalar' && token.source === '')
            node.comment = comment;
        else
            node.commentBefore = comment;
    }
    // @ts-expect-error Type checking misses meaning of isSrcToken
    if (ctx.options.keepSourceTokens && isSrcToken)
        node.srcToken = token;
    return node;
}
function composeEmptyNode(ctx, offset, before, pos, { spaceBefore, comment, anchor, tag, end }, onError) {
    const token = {
        type: 'scalar',
        offset: emptyScalarPosition(offset, before, pos),
        indent: -1,
        source: ''
    };
    const node = composeScalar(ctx, token, tag, onError);
    if (anchor) {
        node.anchor = anchor.source.substring(1);
        if (node.anchor === '')
            onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        node.comment = comment;
        node.range[2] = end;
    }
    return node;
}
function composeAlias({ options }, { offset, source, end }, onError) {
    const alias = new Alias(source.substring(1));
    if (alias.source === '')
        onError(offset, 'BAD_ALIAS', 'Alias cannot be an empty string');
    if (alias.source.endsWith(':'))
        onError(offset + source.length - 1, 'BAD_ALIAS', 'Alias ending in : is ambiguous', true);
    const valueEnd = offset + source.length;
    const re = resolveEnd(end, valueEnd, options.strict, onError);
    alias.range = [offset, valueEnd, re.offset];
    if (re.comment)
        alias.comment = re.comment;
    return alias;
}

function composeDoc(options, directives, { offset, start, value, end }, onError) {
    const opts = Object.assign({ _directives: directives }, options);
    const doc = new Document(undefined, opts);
    const ctx = {
        atKey: false,
        atRoot: true,
        directives: doc.directives,
        options: doc.options,
        schema: doc.schema
    };
    const props = resolveProps(start, {
        indicator: 'doc-start',
        next: value ?? end?.[0],
        offset,
        onError,
        parentIndent: 0,
        startOnNewline: true
    });
    if (props.found) {
        doc.directives.docStart = true;
        if (value &&
            (value.type === 'block-map' || value.type === 'block-seq') &&
            !props.hasNewline)
            onError(props.end, 'MISSING_CHAR', 'Block collection cannot start on same line with directives-end marker');
    }
    // @ts-expect-error If Contents is set, let's trust the user
    doc.contents = value
        ? composeNode(ctx, value, props, onError)
        : composeEmptyNode(ctx, props.end, start, null, props, onError);
    const contentEnd = doc.contents.range[2];
    const re = resolveEnd(end, contentEnd, false, onError);
    if (re.comment)
        doc.comment = re.comment;
    doc.range = [offset, contentEnd, re.offset];
    return doc;
}

function getErrorPos(src) {
    if (typeof src === 'number')
        return [src, src + 1];
    if (Array.isArray(src))
        return src.length === 2 ? src : [src[0], src[1]];
    const { offset, source } = src;
    return [offset, offset + (typeof source === 'string' ? source.length : 1)];
}
function parsePrelude(prelude) {
    let comment = '';
    let atComment = false;
    let afterEmptyLine = false;
    for (let i = 0; i < prelude.length; ++i) {
        const source = prelude[i];
        switch (source[0]) {
            case '#':
                comment +=
                    (comment === '' ? '' : afterEmptyLine ? '\n\n' : '\n') +
                        (source.substring(1) || ' ');
                atComment = true;
                afterEmptyLine = false;
                break;
            case '%':
                if (prelude[i + 1]?.[0] !== '#')
                    i += 1;
                atComment = false;
                break;
            default:
                // This may be wrong after doc-end, but in that case it doesn't matter
                if (!atComment)
                    afterEmptyLine = true;
                atComment = false;
        }
    }
    return { comment, afterEmptyLine };
}
/**
 * Compose a stream of CST nodes into a stream of YAML Documents.
 *
 * ```ts
 * import { Composer, Parser } from 'yaml'
 *
 * const src: string = ...
 * const tokens = new Parser().parse(src)
 * const docs = new Composer().compose(tokens)
 * ```
 */
class Composer {
    constructor(options = {}) {
        this.doc = null;
        this.atDirectives = false;
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
        this.onError = (source, code, message, warning) => {
            const pos = getErrorPos(source);
            if (warning)
                this.warnings.push(new YAMLWarning(pos, code, message));
            else
                this.errors.push(new YAMLParseError(pos, code, message));
        };
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        this.directives = new Directives({ version: options.version || '1.2' });
        this.options = options;
    }
    decorate(doc, afterDoc) {
        const { comment, afterEmptyLine } = parsePrelude(this.prelude);
        //console.log({ dc: doc.comment, prelude, comment })
        if (comment) {
            const dc = doc.contents;
            if (afterDoc) {
                doc.comment = doc.comment ? `${doc.comment}\n${comment}` : comment;
            }
            else if (afterEmptyLine || doc.directives.docStart || !dc) {
                doc.commentBefore = comment;
            }
            else if (isCollection(dc) && !dc.flow && dc.items.length > 0) {
                let it = dc.items[0];
                if (isPair(it))
                    it = it.key;
                const cb = it.commentBefore;
                it.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
            else {
                const cb = dc.commentBefore;
                dc.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
        }
        if (afterDoc) {
            for (let i = 0; i < this.errors.length; ++i)
                doc.errors.push(this.errors[i]);
            for (let i = 0; i < this.warnings.length; ++i)
                doc.warnings.push(this.warnings[i]);
        }
        else {
            doc.errors = this.errors;
            doc.warnings = this.warnings;
        }
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
    }
    /**
     * Current stream status information.
     *
     * Mostly useful at the end of input for an empty stream.
     */
    streamInfo() {
        return {
            comment: parsePrelude(this.prelude).comment,
            directives: this.directives,
            errors: this.errors,
            warnings: this.warnings
        };
    }
    /**
     * Compose tokens into documents.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *compose(tokens, forceDoc = false, endOffset = -1) {
        for (const token of tokens)
            yield* this.next(token);
        yield* this.end(forceDoc, endOffset);
    }
    /** Advance the composer by one CST token. */
    *next(token) {
        switch (token.type) {
            case 'directive':
                this.directives.add(token.source, (offset, message, warning) => {
                    const pos = getErrorPos(token);
                    pos[0] += offset;
                    this.onError(pos, 'BAD_DIRECTIVE', message, warning);
                });
                this.prelude.push(token.source);
                this.atDirectives = true;
                break;
            case 'document': {
                const doc = composeDoc(this.options, this.directives, token, this.onError);
                if (this.atDirectives && !doc.directives.docStart)
                    this.onError(token, 'MISSING_CHAR', 'Missing directives-end/doc-start indicator line');
                this.decorate(doc, false);
                if (this.doc)
                    yield this.doc;
                this.doc = doc;
                this.atDirectives = false;
                break;
            }
            case 'byte-order-mark':
            case 'space':
                break;
            case 'comment':
            case 'newline':
                this.prelude.push(token.source);
                break;
            case 'error': {
                const msg = token.source
                    ? `${token.message}: ${JSON.stringify(token.source)}`
                    : token.message;
                const error = new YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg);
                if (this.atDirectives || !this.doc)
                    this.errors.push(error);
                else
                    this.doc.errors.push(error);
                break;
            }
            case 'doc-end': {
                if (!this.doc) {
                    const msg = 'Unexpected doc-end without preceding document';
                    this.errors.push(new YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg));
                    break;
                }
                this.doc.directives.docEnd = true;
                const end = resolveEnd(token.end, token.offset + token.source.length, this.doc.options.strict, this.onError);
                this.decorate(this.doc, true);
                if (end.comment) {
                    const dc = this.doc.comment;
                    this.doc.comment = dc ? `${dc}\n${end.comment}` : end.comment;
                }
                this.doc.range[2] = end.offset;
                break;
            }
            default:
                this.errors.push(new YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', `Unsupported token ${token.type}`));
        }
    }
    /**
     * Call at end of input to yield any remaining document.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *end(forceDoc = false, endOffset = -1) {
        if (this.doc) {
            this.decorate(this.doc, true);
            yield this.doc;
            this.doc = null;
        }
        else if (forceDoc) {
            const opts = Object.assign({ _directives: this.directives }, this.options);
            const doc = new Document(undefined, opts);
            if (this.atDirectives)
                this.onError(endOffset, 'MISSING_CHAR', 'Missing directives-end indicator line');
            doc.range = [0, endOffset, endOffset];
            this.decorate(doc, false);
            yield doc;
        }
    }
}

/** The byte order mark */
const BOM = '\u{FEFF}';
/** Start of doc-mode */
const DOCUMENT = '\x02'; // C0: Start of Text
/** Unexpected end of flow-mode */
const FLOW_END = '\x18'; // C0: Cancel
/** Next token is a scalar value */
const SCALAR = '\x1f'; // C0: Unit Separator
/** Identify the type of a lexer token. May return `null` for unknown tokens. */
function tokenType(source) {
    switch (source) {
        case BOM:
            return 'byte-order-mark';
        case DOCUMENT:
            return 'doc-mode';
        case FLOW_END:
            return 'flow-error-end';
        case SCALAR:
            return 'scalar';
        case '---':
            return 'doc-start';
        case '...':
            return 'doc-end';
        case '':
        case '\n':
        case '\r\n':
            return 'newline';
        case '-':
            return 'seq-item-ind';
        case '?':
            return 'explicit-key-ind';
        case ':':
            return 'map-value-ind';
        case '{':
            return 'flow-map-start';
        case '}':
            return 'flow-map-end';
        case '[':
            return 'flow-seq-start';
        case ']':
            return 'flow-seq-end';
        case ',':
            return 'comma';
    }
    switch (source[0]) {
        case ' ':
        case '\t':
            return 'space';
        case '#':
            return 'comment';
        case '%':
            return 'directive-line';
        case '*':
            return 'alias';
        case '&':
            return 'anchor';
        case '!':
            return 'tag';
        case "'":
            return 'single-quoted-scalar';
        case '"':
            return 'double-quoted-scalar';
        case '|':
        case '>':
            return 'block-scalar-header';
    }
    return null;
}

/*
START -> stream

stream
  directive -> line-end -> stream
  indent + line-end -> stream
  [else] -> line-start

line-end
  comment -> line-end
  newline -> .
  input-end -> END

line-start
  doc-start -> doc
  doc-end -> stream
  [else] -> indent -> block-start

block-start
  seq-item-start -> block-start
  explicit-key-start -> block-start
  map-value-start -> block-start
  [else] -> doc

doc
  line-end -> line-start
  spaces -> doc
  anchor -> doc
  tag -> doc
  flow-start -> flow -> doc
  flow-end -> error -> doc
  seq-item-start -> error -> doc
  explicit-key-start -> error -> doc
  map-value-start -> doc
  alias -> doc
  quote-start -> quoted-scalar -> doc
  block-scalar-header -> line-end -> block-scalar(min) -> line-start
  [else] -> plain-scalar(false, min) -> doc

flow
  line-end -> flow
  spaces -> flow
  anchor -> flow
  tag -> flow
  flow-start -> flow -> flow
  flow-end -> .
  seq-item-start -> error -> flow
  explicit-key-start -> flow
  map-value-start -> flow
  alias -> flow
  quote-start -> quoted-scalar -> flow
  comma -> flow
  [else] -> plain-scalar(true, 0) -> flow

quoted-scalar
  quote-end -> .
  [else] -> quoted-scalar

block-scalar(min)
  newline + peek(indent < min) -> .
  [else] -> block-scalar(min)

plain-scalar(is-flow, min)
  scalar-end(is-flow) -> .
  peek(newline + (indent < min)) -> .
  [else] -> plain-scalar(min)
*/
function isEmpty(ch) {
    switch (ch) {
        case undefined:
        case ' ':
        case '\n':
        case '\r':
        case '\t':
            return true;
        default:
            return false;
    }
}
const hexDigits = new Set('0123456789ABCDEFabcdef');
const tagChars = new Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-#;/?:@&=+$_.!~*'()");
const flowIndicatorChars = new Set(',[]{}');
const invalidAnchorChars = new Set(' ,[]{}\n\r\t');
const isNotAnchorChar = (ch) => !ch || invalidAnchorChars.has(ch);
/**
 * Splits an input string into lexical tokens, i.e. smaller strings that are
 * easily identifiable by `tokens.tokenType()`.
 *
 * Lexing starts always in a "stream" context. Incomplete input may be buffered
 * until a complete token can be emitted.
 *
 * In addition to slices of the original input, the following control characters
 * may also be emitted:
 *
 * - `\x02` (Start of Text): A document starts with the next token
 * - `\x18` (Cancel): Unexpected end of flow-mode (indicates an error)
 * - `\x1f` (Unit Separator): Next token is a scalar value
 * - `\u{FEFF}` (Byte order mark): Emitted separately outside documents
 */
class Lexer {
    constructor() {
        /**
         * Flag indicating whether the end of the current buffer marks the end of
         * all input
         */
        this.atEnd = false;
        /**
         * Explicit indent set in block scalar header, as an offset from the current
         * minimum indent, so e.g. set to 1 from a header `|2+`. Set to -1 if not
         * explicitly set.
         */
        this.blockScalarIndent = -1;
        /**
         * Block scalars that include a + (keep) chomping indicator in their header
         * include trailing empty lines, which are otherwise excluded from the
         * scalar's contents.
         */
        this.blockScalarKeep = false;
        /** Current input */
        this.buffer = '';
        /**
         * Flag noting whether the map value indicator : can immediately follow this
         * node within a flow context.
         */
        this.flowKey = false;
        /** Count of surrounding flow collection levels. */
        this.flowLevel = 0;
        /**
         * Minimum level of indentation required for next lines to be parsed as a
         * part of the current scalar value.
         */
        this.indentNext = 0;
        /** Indentation level of the current line. */
        this.indentValue = 0;
        /** Position of the next \n character. */
        this.lineEndPos = null;
        /** Stores the state of the lexer if reaching the end of incpomplete input */
        this.next = null;
        /** A pointer to `buffer`; the current position of the lexer. */
        this.pos = 0;
    }
    /**
     * Generate YAML tokens from the `source` string. If `incomplete`,
     * a part of the last line may be left as a buffer for the next call.
     *
     * @returns A generator of lexical tokens
     */
    *lex(source, incomplete = false) {
        if (source) {
            if (typeof source !== 'string')
                throw TypeError('source is not a string');
            this.buffer = this.buffer ? this.buffer + source : source;
            this.lineEndPos = null;
        }
        this.atEnd = !incomplete;
        let next = this.next ?? 'stream';
        while (next && (incomplete || this.hasChars(1)))
            next = yield* this.parseNext(next);
    }
    atLineEnd() {
        let i = this.pos;
        let ch = this.buffer[i];
        while (ch === ' ' || ch === '\t')
            ch = this.buffer[++i];
        if (!ch || ch === '#' || ch === '\n')
            return true;
        if (ch === '\r')
            return this.buffer[i + 1] === '\n';
        return false;
    }
    charAt(n) {
        return this.buffer[this.pos + n];
    }
    continueScalar(offset) {
        let ch = this.buffer[offset];
        if (this.indentNext > 0) {
            let indent = 0;
            while (ch === ' ')
                ch = this.buffer[++indent + offset];
            if (ch === '\r') {
                const next = this.buffer[indent + offset + 1];
                if (next === '\n' || (!next && !this.atEnd))
                    return offset + indent + 1;
            }
            return ch === '\n' || indent >= this.indentNext || (!ch && !this.atEnd)
                ? offset + indent
                : -1;
        }
        if (ch === '-' || ch === '.') {
            const dt = this.buffer.substr(offset, 3);
            if ((dt === '---' || dt === '...') && isEmpty(this.buffer[offset + 3]))
                return -1;
        }
        return offset;
    }
    getLine() {
        let end = this.lineEndPos;
        if (typeof end !== 'number' || (end !== -1 && end < this.pos)) {
            end = this.buffer.indexOf('\n', this.pos);
            this.lineEndPos = end;
        }
        if (end === -1)
            return this.atEnd ? this.buffer.substring(this.pos) : null;
        if (this.buffer[end - 1] === '\r')
            end -= 1;
        return this.buffer.substring(this.pos, end);
    }
    hasChars(n) {
        return this.pos + n <= this.buffer.length;
    }
    setNext(state) {
        this.buffer = this.buffer.substring(this.pos);
        this.pos = 0;
        this.lineEndPos = null;
        this.next = state;
        return null;
    }
    peek(n) {
        return this.buffer.substr(this.pos, n);
    }
    *parseNext(next) {
        switch (next) {
            case 'stream':
                return yield* this.parseStream();
            case 'line-start':
                return yield* this.parseLineStart();
            case 'block-start':
                return yield* this.parseBlockStart();
            case 'doc':
                return yield* this.parseDocument();
            case 'flow':
                return yield* this.parseFlowCollection();
            case 'quoted-scalar':
                return yield* this.parseQuotedScalar();
            case 'block-scalar':
                return yield* this.parseBlockScalar();
            case 'plain-scalar':
                return yield* this.parsePlainScalar();
        }
    }
    *parseStream() {
        let line = this.getLine();
        if (line === null)
            return this.setNext('stream');
        if (line[0] === BOM) {
            yield* this.pushCount(1);
            line = line.substring(1);
        }
        if (line[0] === '%') {
            let dirEnd = line.length;
            let cs = line.indexOf('#');
            while (cs !== -1) {
                const ch = line[cs - 1];
                if (ch === ' ' || ch === '\t') {
                    dirEnd = cs - 1;
                    break;
                }
                else {
                    cs = line.indexOf('#', cs + 1);
                }
            }
            while (true) {
                const ch = line[dirEnd - 1];
                if (ch === ' ' || ch === '\t')
                    dirEnd -= 1;
                else
                    break;
            }
            const n = (yield* this.pushCount(dirEnd)) + (yield* this.pushSpaces(true));
            yield* this.pushCount(line.length - n); // possible comment
            this.pushNewline();
            return 'stream';
        }
        if (this.atLineEnd()) {
            const sp = yield* this.pushSpaces(true);
            yield* this.pushCount(line.length - sp);
            yield* this.pushNewline();
            return 'stream';
        }
        yield DOCUMENT;
        return yield* this.parseLineStart();
    }
    *parseLineStart() {
        const ch = this.charAt(0);
        if (!ch && !this.atEnd)
            return this.setNext('line-start');
        if (ch === '-' || ch === '.') {
            if (!this.atEnd && !this.hasChars(4))
                return this.setNext('line-start');
            const s = this.peek(3);
            if ((s === '---' || s === '...') && isEmpty(this.charAt(3))) {
                yield* this.pushCount(3);
                this.indentValue = 0;
                this.indentNext = 0;
                return s === '---' ? 'doc' : 'stream';
            }
        }
        this.indentValue = yield* this.pushSpaces(false);
        if (this.indentNext > this.indentValue && !isEmpty(this.charAt(1)))
            this.indentNext = this.indentValue;
        return yield* this.parseBlockStart();
    }
    *parseBlockStart() {
        const [ch0, ch1] = this.peek(2);
        if (!ch1 && !this.atEnd)
            return this.setNext('block-start');
        if ((ch0 === '-' || ch0 === '?' || ch0 === ':') && isEmpty(ch1)) {
            const n = (yield* this.pushCount(1)) + (yield* this.pushSpaces(true));
            this.indentNext = this.indentValue + 1;
            this.indentValue += n;
            return 'block-start';
        }
        return 'doc';
    }
    *parseDocument() {
        yield* this.pushSpaces(true);
        const line = this.getLine();
        if (line === null)
            return this.setNext('doc');
        let n = yield* this.pushIndicators();
        switch (line[n]) {
            case '#':
                yield* this.pushCount(line.length - n);
            // fallthrough
            case undefined:
                yield* this.pushNewline();
                return yield* this.parseLineStart();
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel = 1;
                return 'flow';
            case '}':
            case ']':
                // this is an error
                yield* this.pushCount(1);
                return 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'doc';
            case '"':
            case "'":
                return yield* this.parseQuotedScalar();
            case '|':
            case '>':
                n += yield* this.parseBlockScalarHeader();
                n += yield* this.pushSpaces(true);
                yield* this.pushCount(line.length - n);
                yield* this.pushNewline();
                return yield* this.parseBlockScalar();
            default:
                return yield* this.parsePlainScalar();
        }
    }
    *parseFlowCollection() {
        let nl, sp;
        let indent = -1;
        do {
            nl = yield* this.pushNewline();
            if (nl > 0) {
                sp = yield* this.pushSpaces(false);
                this.indentValue = indent = sp;
            }
            else {
                sp = 0;
            }
            sp += yield* this.pushSpaces(true);
        } while (nl + sp > 0);
        const line = this.getLine();
        if (line === null)
            return this.setNext('flow');
        if ((indent !== -1 && indent < this.indentNext && line[0] !== '#') ||
            (indent === 0 &&
                (line.startsWith('---') || line.startsWith('...')) &&
                isEmpty(line[3]))) {
            // Allowing for the terminal ] or } at the same (rather than greater)
            // indent level as the initial [ or { is technically invalid, but
            // failing here would be surprising to users.
            const atFlowEndMarker = indent === this.indentNext - 1 &&
                this.flowLevel === 1 &&
                (line[0] === ']' || line[0] === '}');
            if (!atFlowEndMarker) {
                // this is an error
                this.flowLevel = 0;
                yield FLOW_END;
                return yield* this.parseLineStart();
            }
        }
        let n = 0;
        while (line[n] === ',') {
            n += yield* this.pushCount(1);
            n += yield* this.pushSpaces(true);
            this.flowKey = false;
        }
        n += yield* this.pushIndicators();
        switch (line[n]) {
            case undefined:
                return 'flow';
            case '#':
                yield* this.pushCount(line.length - n);
                return 'flow';
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel += 1;
                return 'flow';
            case '}':
            case ']':
                yield* this.pushCount(1);
                this.flowKey = true;
                this.flowLevel -= 1;
                return this.flowLevel ? 'flow' : 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'flow';
            case '"':
            case "'":
                this.flowKey = true;
                return yield* this.parseQuotedScalar();
            case ':': {
                const next = this.charAt(1);
                if (this.flowKey || isEmpty(next) || next === ',') {
                    this.flowKey = false;
                    yield* this.pushCount(1);
                    yield* this.pushSpaces(true);
                    return 'flow';
                }
            }
            // fallthrough
            default:
                this.flowKey = false;
                return yield* this.parsePlainScalar();
        }
    }
    *parseQuotedScalar() {
        const quote = this.charAt(0);
        let end = this.buffer.indexOf(quote, this.pos + 1);
        if (quote === "'") {
            while (end !== -1 && this.buffer[end + 1] === "'")
                end = this.buffer.indexOf("'", end + 2);
        }
        else {
            // double-quote
            while (end !== -1) {
                let n = 0;
                while (this.buffer[end - 1 - n] === '\\')
                    n += 1;
                if (n % 2 === 0)
                    break;
                end = this.buffer.indexOf('"', end + 1);
            }
        }
        // Only looking for newlines within the quotes
        const qb = this.buffer.substring(0, end);
        let nl = qb.indexOf('\n', this.pos);
        if (nl !== -1) {
            while (nl !== -1) {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = qb.indexOf('\n', cs);
            }
            if (nl !== -1) {
                // this is an error caused by an unexpected unindent
                end = nl - (qb[nl - 1] === '\r' ? 2 : 1);
            }
        }
        if (end === -1) {
            if (!this.atEnd)
                return this.setNext('quoted-scalar');
            end = this.buffer.length;
        }
        yield* this.pushToIndex(end + 1, false);
        return this.flowLevel ? 'flow' : 'doc';
    }
    *parseBlockScalarHeader() {
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        let i = this.pos;
        while (true) {
            const ch = this.buffer[++i];
            if (ch === '+')
                this.blockScalarKeep = true;
            else if (ch > '0' && ch <= '9')
                this.blockScalarIndent = Number(ch) - 1;
            else if (ch !== '-')
                break;
        }
        return yield* this.pushUntil(ch => isEmpty(ch) || ch === '#');
    }
    *parseBlockScalar() {
        let nl = this.pos - 1; // may be -1 if this.pos === 0
        let indent = 0;
        let ch;
        loop: for (let i = this.pos; (ch = this.buffer[i]); ++i) {
            switch (ch) {
                case ' ':
                    indent += 1;
                    break;
                case '\n':
                    nl = i;
                    indent = 0;
                    break;
                case '\r': {
                    const next = this.buffer[i + 1];
                    if (!next && !this.atEnd)
                        return this.setNext('block-scalar');
                    if (next === '\n')
                        break;
                } // fallthrough
                default:
                    break loop;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('block-scalar');
        if (indent >= this.indentNext) {
            if (this.blockScalarIndent === -1)
                this.indentNext = indent;
            else {
                this.indentNext =
                    this.blockScalarIndent + (this.indentNext === 0 ? 1 : this.indentNext);
            }
            do {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = this.buffer.indexOf('\n', cs);
            } while (nl !== -1);
            if (nl === -1) {
                if (!this.atEnd)
                    return this.setNext('block-scalar');
                nl = this.buffer.length;
            }
        }
        // Trailing insufficiently indented tabs are invalid.
        // To catch that during parsing, we include them in the block scalar value.
        let i = nl + 1;
        ch = this.buffer[i];
        while (ch === ' ')
            ch = this.buffer[++i];
        if (ch === '\t') {
            while (ch === '\t' || ch === ' ' || ch === '\r' || ch === '\n')
                ch = this.buffer[++i];
            nl = i - 1;
        }
        else if (!this.blockScalarKeep) {
            do {
                let i = nl - 1;
                let ch = this.buffer[i];
                if (ch === '\r')
                    ch = this.buffer[--i];
                const lastChar = i; // Drop the line if last char not more indented
                while (ch === ' ')
                    ch = this.buffer[--i];
                if (ch === '\n' && i >= this.pos && i + 1 + indent > lastChar)
                    nl = i;
                else
                    break;
            } while (true);
        }
        yield SCALAR;
        yield* this.pushToIndex(nl + 1, true);
        return yield* this.parseLineStart();
    }
    *parsePlainScalar() {
        const inFlow = this.flowLevel > 0;
        let end = this.pos - 1;
        let i = this.pos - 1;
        let ch;
        while ((ch = this.buffer[++i])) {
            if (ch === ':') {
                const next = this.buffer[i + 1];
                if (isEmpty(next) || (inFlow && flowIndicatorChars.has(next)))
                    break;
                end = i;
            }
            else if (isEmpty(ch)) {
                let next = this.buffer[i + 1];
                if (ch === '\r') {
                    if (next === '\n') {
                        i += 1;
                        ch = '\n';
                        next = this.buffer[i + 1];
                    }
                    else
                        end = i;
                }
                if (next === '#' || (inFlow && flowIndicatorChars.has(next)))
                    break;
                if (ch === '\n') {
                    const cs = this.continueScalar(i + 1);
                    if (cs === -1)
                        break;
                    i = Math.max(i, cs - 2); // to advance, but still account for ' #'
                }
            }
            else {
                if (inFlow && flowIndicatorChars.has(ch))
                    break;
                end = i;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('plain-scalar');
        yield SCALAR;
        yield* this.pushToIndex(end + 1, true);
        return inFlow ? 'flow' : 'doc';
    }
    *pushCount(n) {
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos += n;
            return n;
        }
        return 0;
    }
    *pushToIndex(i, allowEmpty) {
        const s = this.buffer.slice(this.pos, i);
        if (s) {
            yield s;
            this.pos += s.length;
            return s.length;
        }
        else if (allowEmpty)
            yield '';
        return 0;
    }
    *pushIndicators() {
        let n = 0;
        loop: while (true) {
            switch (this.charAt(0)) {
                case '!':
                    n += yield* this.pushTag();
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '&':
                    n += yield* this.pushUntil(isNotAnchorChar);
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '-': // this is an error
                case '?': // this is an error outside flow collections
                case ':': {
                    const inFlow = this.flowLevel > 0;
                    const ch1 = this.charAt(1);
                    if (isEmpty(ch1) || (inFlow && flowIndicatorChars.has(ch1))) {
                        if (!inFlow)
                            this.indentNext = this.indentValue + 1;
                        else if (this.flowKey)
                            this.flowKey = false;
                        n += yield* this.pushCount(1);
                        n += yield* this.pushSpaces(true);
                        continue loop;
                    }
                }
            }
            break loop;
        }
        return n;
    }
    *pushTag() {
        if (this.charAt(1) === '<') {
            let i = this.pos + 2;
            let ch = this.buffer[i];
            while (!isEmpty(ch) && ch !== '>')
                ch = this.buffer[++i];
            return yield* this.pushToIndex(ch === '>' ? i + 1 : i, false);
        }
        else {
            let i = this.pos + 1;
            let ch = this.buffer[i];
            while (ch) {
                if (tagChars.has(ch))
                    ch = this.buffer[++i];
                else if (ch === '%' &&
                    hexDigits.has(this.buffer[i + 1]) &&
                    hexDigits.has(this.buffer[i + 2])) {
                    ch = this.buffer[(i += 3)];
                }
                else
                    break;
            }
            return yield* this.pushToIndex(i, false);
        }
    }
    *pushNewline() {
        const ch = this.buffer[this.pos];
        if (ch === '\n')
            return yield* this.pushCount(1);
        else if (ch === '\r' && this.charAt(1) === '\n')
            return yield* this.pushCount(2);
        else
            return 0;
    }
    *pushSpaces(allowTabs) {
        let i = this.pos - 1;
        let ch;
        do {
            ch = this.buffer[++i];
        } while (ch === ' ' || (allowTabs && ch === '\t'));
        const n = i - this.pos;
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos = i;
        }
        return n;
    }
    *pushUntil(test) {
        let i = this.pos;
        let ch = this.buffer[i];
        while (!test(ch))
            ch = this.buffer[++i];
        return yield* this.pushToIndex(i, false);
    }
}

/**
 * Tracks newlines during parsing in order to provide an efficient API for
 * determining the one-indexed `{ line, col }` position for any offset
 * within the input.
 */
class LineCounter {
    constructor() {
        this.lineStarts = [];
        /**
         * Should be called in ascending order. Otherwise, call
         * `lineCounter.lineStarts.sort()` before calling `linePos()`.
         */
        this.addNewLine = (offset) => this.lineStarts.push(offset);
        /**
         * Performs a binary search and returns the 1-indexed { line, col }
         * position of `offset`. If `line === 0`, `addNewLine` has never been
         * called or `offset` is before the first known newline.
         */
        this.linePos = (offset) => {
            let low = 0;
            let high = this.lineStarts.length;
            while (low < high) {
                const mid = (low + high) >> 1; // Math.floor((low + high) / 2)
                if (this.lineStarts[mid] < offset)
                    low = mid + 1;
                else
                    high = mid;
            }
            if (this.lineStarts[low] === offset)
                return { line: low + 1, col: 1 };
            if (low === 0)
                return { line: 0, col: offset };
            const start = this.lineStarts[low - 1];
            return { line: low, col: offset - start + 1 };
        };
    }
}

function includesToken(list, type) {
    for (let i = 0; i < list.length; ++i)
        if (list[i].type === type)
            return true;
    return false;
}
function findNonEmptyIndex(list) {
    for (let i = 0; i < list.length; ++i) {
        switch (list[i].type) {
            case 'space':
            case 'comment':
            case 'newline':
                break;
            default:
                return i;
        }
    }
    return -1;
}
function isFlowToken(token) {
    switch (token?.type) {
        case 'alias':
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'flow-collection':
            return true;
        default:
            return false;
    }
}
function getPrevProps(parent) {
    switch (parent.type) {
        case 'document':
            return parent.start;
        case 'block-map': {
            const it = parent.items[parent.items.length - 1];
            return it.sep ?? it.start;
        }
        case 'block-seq':
            return parent.items[parent.items.length - 1].start;
        /* istanbul ignore next should not happen */
        default:
            return [];
    }
}
/** Note: May modify input array */
function getFirstKeyStartProps(prev) {
    if (prev.length === 0)
        return [];
    let i = prev.length;
    loop: while (--i >= 0) {
        switch (prev[i].type) {
            case 'doc-start':
            case 'explicit-key-ind':
            case 'map-value-ind':
            case 'seq-item-ind':
            case 'newline':
                break loop;
        }
    }
    while (prev[++i]?.type === 'space') {
        /* loop */
    }
    return prev.splice(i, prev.length);
}
function arrayPushArray(target, source) {
    // May exhaust call stack with large `source` array
    if (source.length < 1e5)
        Array.prototype.push.apply(target, source);
    else
        for (let i = 0; i < source.length; ++i)
            target.push(source[i]);
}
function fixFlowSeqItems(fc) {
    if (fc.start.type === 'flow-seq-start') {
        for (const it of fc.items) {
            if (it.sep &&
                !it.value &&
                !includesToken(it.start, 'explicit-key-ind') &&
                !includesToken(it.sep, 'map-value-ind')) {
                if (it.key)
                    it.value = it.key;
                delete it.key;
                if (isFlowToken(it.value)) {
                    if (it.value.end)
                        arrayPushArray(it.value.end, it.sep);
                    else
                        it.value.end = it.sep;
                }
                else
                    arrayPushArray(it.start, it.sep);
                delete it.sep;
            }
        }
    }
}
/**
 * A YAML concrete syntax tree (CST) parser
 *
 * ```ts
 * const src: string = ...
 * for (const token of new Parser().parse(src)) {
 *   // token: Token
 * }
 * ```
 *
 * To use the parser with a user-provided lexer:
 *
 * ```ts
 * function* parse(source: string, lexer: Lexer) {
 *   const parser = new Parser()
 *   for (const lexeme of lexer.lex(source))
 *     yield* parser.next(lexeme)
 *   yield* parser.end()
 * }
 *
 * const src: string = ...
 * const lexer = new Lexer()
 * for (const token of parse(src, lexer)) {
 *   // token: Token
 * }
 * ```
 */
class Parser {
    /**
     * @param onNewLine - If defined, called separately with the start position of
     *   each new line (in `parse()`, including the start of input).
     */
    constructor(onNewLine) {
        /** If true, space and sequence indicators count as indentation */
        this.atNewLine = true;
        /** If true, next token is a scalar value */
        this.atScalar = false;
        /** Current indentation level */
        this.indent = 0;
        /** Current offset since the start of parsing */
        this.offset = 0;
        /** On the same line with a block map key */
        this.onKeyLine = false;
        /** Top indicates the node that's currently being built */
        this.stack = [];
        /** The source of the current token, set in parse() */
        this.source = '';
        /** The type of the current token, set in parse() */
        this.type = '';
        // Must be defined after `next()`
        this.lexer = new Lexer();
        this.onNewLine = onNewLine;
    }
    /**
     * Parse `source` as a YAML stream.
     * If `incomplete`, a part of the last line may be left as a buffer for the next call.
     *
     * Errors are not thrown, but yielded as `{ type: 'error', message }` tokens.
     *
     * @returns A generator of tokens representing each directive, document, and other structure.
     */
    *parse(source, incomplete = false) {
        if (this.onNewLine && this.offset === 0)
            this.onNewLine(0);
        for (const lexeme of this.lexer.lex(source, incomplete))
            yield* this.next(lexeme);
        if (!incomplete)
            yield* this.end();
    }
    /**
     * Advance the parser by the `source` of one lexical token.
     */
    *next(source) {
        this.source = source;
        if (this.atScalar) {
            this.atScalar = false;
            yield* this.step();
            this.offset += source.length;
            return;
        }
        const type = tokenType(source);
        if (!type) {
            const message = `Not a YAML token: ${source}`;
            yield* this.pop({ type: 'error', offset: this.offset, message, source });
            this.offset += source.length;
        }
        else if (type === 'scalar') {
            this.atNewLine = false;
            this.atScalar = true;
            this.type = 'scalar';
        }
        else {
            this.type = type;
            yield* this.step();
            switch (type) {
                case 'newline':
                    this.atNewLine = true;
                    this.indent = 0;
                    if (this.onNewLine)
                        this.onNewLine(this.offset + source.length);
                    break;
                case 'space':
                    if (this.atNewLine && source[0] === ' ')
                        this.indent += source.length;
                    break;
                case 'explicit-key-ind':
                case 'map-value-ind':
                case 'seq-item-ind':
                    if (this.atNewLine)
                        this.indent += source.length;
                    break;
                case 'doc-mode':
                case 'flow-error-end':
                    return;
                default:
                    this.atNewLine = false;
            }
            this.offset += source.length;
        }
    }
    /** Call at end of input to push out any remaining constructions */
    *end() {
        while (this.stack.length > 0)
            yield* this.pop();
    }
    get sourceToken() {
        const st = {
            type: this.type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
        return st;
    }
    *step() {
        const top = this.peek(1);
        if (this.type === 'doc-end' && top?.type !== 'doc-end') {
            while (this.stack.length > 0)
                yield* this.pop();
            this.stack.push({
                type: 'doc-end',
                offset: this.offset,
                source: this.source
            });
            return;
        }
        if (!top)
            return yield* this.stream();
        switch (top.type) {
            case 'document':
                return yield* this.document(top);
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return yield* this.scalar(top);
            case 'block-scalar':
                return yield* this.blockScalar(top);
            case 'block-map':
                return yield* this.blockMap(top);
            case 'block-seq':
                return yield* this.blockSequence(top);
            case 'flow-collection':
                return yield* this.flowCollection(top);
            case 'doc-end':
                return yield* this.documentEnd(top);
        }
        /* istanbul ignore next should not happen */
        yield* this.pop();
    }
    peek(n) {
        return this.stack[this.stack.length - n];
    }
    *pop(error) {
        const token = error ?? this.stack.pop();
        /* istanbul ignore if should not happen */
        if (!token) {
            const message = 'Tried to pop an empty stack';
            yield { type: 'error', offset: this.offset, source: '', message };
        }
        else if (this.stack.length === 0) {
            yield token;
        }
        else {
            const top = this.peek(1);
            if (token.type === 'block-scalar') {
                // Block scalars use their parent rather than header indent
                token.indent = 'indent' in top ? top.indent : 0;
            }
            else if (token.type === 'flow-collection' && top.type === 'document') {
                // Ignore all indent for top-level flow collections
                token.indent = 0;
            }
            if (token.type === 'flow-collection')
                fixFlowSeqItems(token);
            switch (top.type) {
                case 'document':
                    top.value = token;
                    break;
                case 'block-scalar':
                    top.props.push(token); // error
                    break;
                case 'block-map': {
                    const it = top.items[top.items.length - 1];
                    if (it.value) {
                        top.items.push({ start: [], key: token, sep: [] });
                        this.onKeyLine = true;
                        return;
                    }
                    else if (it.sep) {
                        it.value = token;
                    }
                    else {
                        Object.assign(it, { key: token, sep: [] });
                        this.onKeyLine = !it.explicitKey;
                        return;
                    }
                    break;
                }
                case 'block-seq': {
                    const it = top.items[top.items.length - 1];
                    if (it.value)
                        top.items.push({ start: [], value: token });
                    else
                        it.value = token;
                    break;
                }
                case 'flow-collection': {
                    const it = top.items[top.items.length - 1];
                    if (!it || it.value)
                        top.items.push({ start: [], key: token, sep: [] });
                    else if (it.sep)
                        it.value = token;
                    else
                        Object.assign(it, { key: token, sep: [] });
                    return;
                }
                /* istanbul ignore next should not happen */
                default:
                    yield* this.pop();
                    yield* this.pop(token);
            }
            if ((top.type === 'document' ||
                top.type === 'block-map' ||
                top.type === 'block-seq') &&
                (token.type === 'block-map' || token.type === 'block-seq')) {
                const last = token.items[token.items.length - 1];
                if (last &&
                    !last.sep &&
                    !last.value &&
                    last.start.length > 0 &&
                    findNonEmptyIndex(last.start) === -1 &&
                    (token.indent === 0 ||
                        last.start.every(st => st.type !== 'comment' || st.indent < token.indent))) {
                    if (top.type === 'document')
                        top.end = last.start;
                    else
                        top.items.push({ start: last.start });
                    token.items.splice(-1, 1);
                }
            }
        }
    }
    *stream() {
        switch (this.type) {
            case 'directive-line':
                yield { type: 'directive', offset: this.offset, source: this.source };
                return;
            case 'byte-order-mark':
            case 'space':
            case 'comment':
            case 'newline':
                yield this.sourceToken;
                return;
            case 'doc-mode':
            case 'doc-start': {
                const doc = {
                    type: 'document',
                    offset: this.offset,
                    start: []
                };
                if (this.type === 'doc-start')
                    doc.start.push(this.sourceToken);
                this.stack.push(doc);
                return;
            }
        }
        yield {
            type: 'error',
            offset: this.offset,
            message: `Unexpected ${this.type} token in YAML stream`,
            source: this.source
        };
    }
    *document(doc) {
        if (doc.value)
            return yield* this.lineEnd(doc);
        switch (this.type) {
            case 'doc-start': {
                if (findNonEmptyIndex(doc.start) !== -1) {
                    yield* this.pop();
                    yield* this.step();
                }
                else
                    doc.start.push(this.sourceToken);
                return;
            }
            case 'anchor':
            case 'tag':
            case 'space':
            case 'comment':
            case 'newline':
                doc.start.push(this.sourceToken);
                return;
        }
        const bv = this.startBlockValue(doc);
        if (bv)
            this.stack.push(bv);
        else {
            yield {
                type: 'error',
                offset: this.offset,
                message: `Unexpected ${this.type} token in YAML document`,
                source: this.source
            };
        }
    }
    *scalar(scalar) {
        if (this.type === 'map-value-ind') {
            const prev = getPrevProps(this.peek(2));
            const start = getFirstKeyStartProps(prev);
            let sep;
            if (scalar.end) {
                sep = scalar.end;
                sep.push(this.sourceToken);
                delete scalar.end;
            }
            else
                sep = [this.sourceToken];
            const map = {
                type: 'block-map',
                offset: scalar.offset,
                indent: scalar.indent,
                items: [{ start, key: scalar, sep }]
            };
            this.onKeyLine = true;
            this.stack[this.stack.length - 1] = map;
        }
        else
            yield* this.lineEnd(scalar);
    }
    *blockScalar(scalar) {
        switch (this.type) {
            case 'space':
            case 'comment':
            case 'newline':
                scalar.props.push(this.sourceToken);
                return;
            case 'scalar':
                scalar.source = this.source;
                // block-scalar source includes trailing newline
                this.atNewLine = true;
                this.indent = 0;
                if (this.onNewLine) {
                    let nl = this.source.indexOf('\n') + 1;
                    while (nl !== 0) {
                        this.onNewLine(this.offset + nl);
                        nl = this.source.indexOf('\n', nl) + 1;
                    }
                }
                yield* this.pop();
                break;
            /* istanbul ignore next should not happen */
            default:
                yield* this.pop();
                yield* this.step();
        }
    }
    *blockMap(map) {
        const it = map.items[map.items.length - 1];
        // it.sep is true-ish if pair already has key or : separator
        switch (this.type) {
            case 'newline':
                this.onKeyLine = false;
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    it.start.push(this.sourceToken);
                }
                return;
            case 'space':
            case 'comment':
                if (it.value) {
                    map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    if (this.atIndentedComment(it.start, map.indent)) {
                        const prev = map.items[map.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            map.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
        }
        if (this.indent >= map.indent) {
            const atMapIndent = !this.onKeyLine && this.indent === map.indent;
            const atNextItem = atMapIndent &&
                (it.sep || it.explicitKey) &&
                this.type !== 'seq-item-ind';
            // For empty nodes, assign newline-separated not indented empty tokens to following node
            let start = [];
            if (atNextItem && it.sep && !it.value) {
                const nl = [];
                for (let i = 0; i < it.sep.length; ++i) {
                    const st = it.sep[i];
                    switch (st.type) {
                        case 'newline':
                            nl.push(i);
                            break;
                        case 'space':
                            break;
                        case 'comment':
                            if (st.indent > map.indent)
                                nl.length = 0;
                            break;
                        default:
                            nl.length = 0;
                    }
                }
                if (nl.length >= 2)
                    start = it.sep.splice(nl[1]);
            }
            switch (this.type) {
                case 'anchor':
                case 'tag':
                    if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        it.sep.push(this.sourceToken);
                    }
                    else {
                        it.start.push(this.sourceToken);
                    }
                    return;
                case 'explicit-key-ind':
                    if (!it.sep && !it.explicitKey) {
                        it.start.push(this.sourceToken);
                        it.explicitKey = true;
                    }
                    else if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start, explicitKey: true });
                    }
                    else {
                        this.stack.push({
                            type: 'block-map',
                            offset: this.offset,
                            indent: this.indent,
                            items: [{ start: [this.sourceToken], explicitKey: true }]
                        });
                    }
                    this.onKeyLine = true;
                    return;
                case 'map-value-ind':
                    if (it.explicitKey) {
                        if (!it.sep) {
                            if (includesToken(it.start, 'newline')) {
                                Object.assign(it, { key: null, sep: [this.sourceToken] });
                            }
                            else {
                                const start = getFirstKeyStartProps(it.start);
                                this.stack.push({
                                    type: 'block-map',
                                    offset: this.offset,
                                    indent: this.indent,
                                    items: [{ start, key: null, sep: [this.sourceToken] }]
                                });
                            }
                        }
                        else if (it.value) {
                            map.items.push({ start: [], key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else if (isFlowToken(it.key) &&
                            !includesToken(it.sep, 'newline')) {
                            const start = getFirstKeyStartProps(it.start);
                            const key = it.key;
                            const sep = it.sep;
                            sep.push(this.sourceToken);
                            // @ts-expect-error type guard is wrong here
                            delete it.key;
                            // @ts-expect-error type guard is wrong here
                            delete it.sep;
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key, sep }]
                            });
                        }
                        else if (start.length > 0) {
                            // Not actually at next item
                            it.sep = it.sep.concat(start, this.sourceToken);
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    else {
                        if (!it.sep) {
                            Object.assign(it, { key: null, sep: [this.sourceToken] });
                        }
                        else if (it.value || atNextItem) {
                            map.items.push({ start, key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start: [], key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    this.onKeyLine = true;
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (atNextItem || it.value) {
                        map.items.push({ start, key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        this.stack.push(fs);
                    }
                    else {
                        Object.assign(it, { key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    return;
                }
                default: {
                    const bv = this.startBlockValue(map);
                    if (bv) {
                        if (bv.type === 'block-seq') {
                            if (!it.explicitKey &&
                                it.sep &&
                                !includesToken(it.sep, 'newline')) {
                                yield* this.pop({
                                    type: 'error',
                                    offset: this.offset,
                                    message: 'Unexpected block-seq-ind on same line with key',
                                    source: this.source
                                });
                                return;
                            }
                        }
                        else if (atMapIndent) {
                            map.items.push({ start });
                        }
                        this.stack.push(bv);
                        return;
                    }
                }
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *blockSequence(seq) {
        const it = seq.items[seq.items.length - 1];
        switch (this.type) {
            case 'newline':
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        seq.items.push({ start: [this.sourceToken] });
                }
                else
                    it.start.push(this.sourceToken);
                return;
            case 'space':
            case 'comment':
                if (it.value)
                    seq.items.push({ start: [this.sourceToken] });
                else {
                    if (this.atIndentedComment(it.start, seq.indent)) {
                        const prev = seq.items[seq.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            seq.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
            case 'anchor':
            case 'tag':
                if (it.value || this.indent <= seq.indent)
                    break;
                it.start.push(this.sourceToken);
                return;
            case 'seq-item-ind':
                if (this.indent !== seq.indent)
                    break;
                if (it.value || includesToken(it.start, 'seq-item-ind'))
                    seq.items.push({ start: [this.sourceToken] });
                else
                    it.start.push(this.sourceToken);
                return;
        }
        if (this.indent > seq.indent) {
            const bv = this.startBlockValue(seq);
            if (bv) {
                this.stack.push(bv);
                return;
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *flowCollection(fc) {
        const it = fc.items[fc.items.length - 1];
        if (this.type === 'flow-error-end') {
            let top;
            do {
                yield* this.pop();
                top = this.peek(1);
            } while (top?.type === 'flow-collection');
        }
        else if (fc.end.length === 0) {
            switch (this.type) {
                case 'comma':
                case 'explicit-key-ind':
                    if (!it || it.sep)
                        fc.items.push({ start: [this.sourceToken] });
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'map-value-ind':
                    if (!it || it.value)
                        fc.items.push({ start: [], key: null, sep: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        Object.assign(it, { key: null, sep: [this.sourceToken] });
                    return;
                case 'space':
                case 'comment':
                case 'newline':
                case 'anchor':
                case 'tag':
                    if (!it || it.value)
                        fc.items.push({ start: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (!it || it.value)
                        fc.items.push({ start: [], key: fs, sep: [] });
                    else if (it.sep)
                        this.stack.push(fs);
                    else
                        Object.assign(it, { key: fs, sep: [] });
                    return;
                }
                case 'flow-map-end':
                case 'flow-seq-end':
                    fc.end.push(this.sourceToken);
                    return;
            }
            const bv = this.startBlockValue(fc);
            /* istanbul ignore else should not happen */
            if (bv)
                this.stack.push(bv);
            else {
                yield* this.pop();
                yield* this.step();
            }
        }
        else {
            const parent = this.peek(2);
            if (parent.type === 'block-map' &&
                ((this.type === 'map-value-ind' && parent.indent === fc.indent) ||
                    (this.type === 'newline' &&
                        !parent.items[parent.items.length - 1].sep))) {
                yield* this.pop();
                yield* this.step();
            }
            else if (this.type === 'map-value-ind' &&
                parent.type !== 'flow-collection') {
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                fixFlowSeqItems(fc);
                const sep = fc.end.splice(1, fc.end.length);
                sep.push(this.sourceToken);
                const map = {
                    type: 'block-map',
                    offset: fc.offset,
                    indent: fc.indent,
                    items: [{ start, key: fc, sep }]
                };
                this.onKeyLine = true;
                this.stack[this.stack.length - 1] = map;
            }
            else {
                yield* this.lineEnd(fc);
            }
        }
    }
    flowScalar(type) {
        if (this.onNewLine) {
            let nl = this.source.indexOf('\n') + 1;
            while (nl !== 0) {
                this.onNewLine(this.offset + nl);
                nl = this.source.indexOf('\n', nl) + 1;
            }
        }
        return {
            type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
    }
    startBlockValue(parent) {
        switch (this.type) {
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return this.flowScalar(this.type);
            case 'block-scalar-header':
                return {
                    type: 'block-scalar',
                    offset: this.offset,
                    indent: this.indent,
                    props: [this.sourceToken],
                    source: ''
                };
            case 'flow-map-start':
            case 'flow-seq-start':
                return {
                    type: 'flow-collection',
                    offset: this.offset,
                    indent: this.indent,
                    start: this.sourceToken,
                    items: [],
                    end: []
                };
            case 'seq-item-ind':
                return {
                    type: 'block-seq',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: [this.sourceToken] }]
                };
            case 'explicit-key-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                start.push(this.sourceToken);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, explicitKey: true }]
                };
            }
            case 'map-value-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, key: null, sep: [this.sourceToken] }]
                };
            }
        }
        return null;
    }
    atIndentedComment(start, indent) {
        if (this.type !== 'comment')
            return false;
        if (this.indent <= indent)
            return false;
        return start.every(st => st.type === 'newline' || st.type === 'space');
    }
    *documentEnd(docEnd) {
        if (this.type !== 'doc-mode') {
            if (docEnd.end)
                docEnd.end.push(this.sourceToken);
            else
                docEnd.end = [this.sourceToken];
            if (this.type === 'newline')
                yield* this.pop();
        }
    }
    *lineEnd(token) {
        switch (this.type) {
            case 'comma':
            case 'doc-start':
            case 'doc-end':
            case 'flow-seq-end':
            case 'flow-map-end':
            case 'map-value-ind':
                yield* this.pop();
                yield* this.step();
                break;
            case 'newline':
                this.onKeyLine = false;
            // fallthrough
            case 'space':
            case 'comment':
            default:
                // all other values are errors
                if (token.end)
                    token.end.push(this.sourceToken);
                else
                    token.end = [this.sourceToken];
                if (this.type === 'newline')
                    yield* this.pop();
        }
    }
}

function parseOptions(options) {
    const prettyErrors = options.prettyErrors !== false;
    const lineCounter = options.lineCounter || (prettyErrors && new LineCounter()) || null;
    return { lineCounter, prettyErrors };
}
/**
 * Parse the input as a stream of YAML documents.
 *
 * Documents should be separated from each other by `...` or `---` marker lines.
 *
 * @returns If an empty `docs` array is returned, it will be of type
 *   EmptyStream and contain additional stream information. In
 *   TypeScript, you should use `'empty' in docs` as a type guard for it.
 */
function parseAllDocuments(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser = new Parser(lineCounter?.addNewLine);
    const composer = new Composer(options);
    const docs = Array.from(composer.compose(parser.parse(source)));
    if (prettyErrors && lineCounter)
        for (const doc of docs) {
            doc.errors.forEach(prettifyError(source, lineCounter));
            doc.warnings.forEach(prettifyError(source, lineCounter));
        }
    if (docs.length > 0)
        return docs;
    return Object.assign([], { empty: true }, composer.streamInfo());
}
/** Parse an input string into a single YAML.Document */
function parseDocument(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser = new Parser(lineCounter?.addNewLine);
    const composer = new Composer(options);
    // `doc` is always set by compose.end(true) at the very latest
    let doc = null;
    for (const _doc of composer.compose(parser.parse(source), true, source.length)) {
        if (!doc)
            doc = _doc;
        else if (doc.options.logLevel !== 'silent') {
            doc.errors.push(new YAMLParseError(_doc.range.slice(0, 2), 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
            break;
        }
    }
    if (prettyErrors && lineCounter) {
        doc.errors.forEach(prettifyError(source, lineCounter));
        doc.warnings.forEach(prettifyError(source, lineCounter));
    }
    return doc;
}
function stringify(value, replacer, options) {
    let _replacer = null;
    if (Array.isArray(replacer)) {
        _replacer = replacer;
    }
    if (value === undefined) {
        const { keepUndefined } = {};
        if (!keepUndefined)
            return undefined;
    }
    if (isDocument(value) && !_replacer)
        return value.toString(options);
    return new Document(value, _replacer, options).toString(options);
}

// The plain values a Compose file's YAML becomes (mappings, lists, scalars) and the marker of a
// value tagged `!reset` or `!override`, with the tests and descriptions every step (loading,
// interpolating, merging, typing, checking) uses to tell them apart and name them in messages.
/** Markers for Compose's `!reset` and `!override` YAML tags. */
class Tagged {
    tag;
    value;
    constructor(tag, value) {
        this.tag = tag;
        this.value = value;
    }
}
function isMapping(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Tagged);
}
function asMapping(value) {
    return isMapping(value) ? value : undefined;
}
function describe$1(value) {
    if (value instanceof Tagged) {
        const inner = value.value === null || value.value === undefined ? 'an empty value' : describe$1(value.value);
        return `${inner} tagged ${value.tag}`;
    }
    if (value === null || value === undefined)
        return 'empty';
    if (Array.isArray(value))
        return 'a list';
    if (isMapping(value))
        return 'a mapping';
    if (typeof value === 'string')
        return `the text "${value}"`;
    return `the ${typeof value} ${String(value)}`;
}

// Interpolation of the Compose files: the compose-spec's 12-interpolation.md as compose-go's
// template/template.go implements it, applied to every string value of each file before the merge
// (see load.ts).
const NAME = /^[_a-z][_a-z0-9]*/i;
/**
 * Interpolates one string as Compose does: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}` (nested inside the
 * default, error or alternative), `$$` for a literal `$`. A `$` before anything else is kept.
 * An unset variable with no default becomes '' and `warn` is told.
 */
function interpolate(text, env, warn = () => undefined) {
    const lookup = (name) => Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
    let out = '';
    let i = 0;
    while (i < text.length) {
        const dollar = text.indexOf('$', i);
        if (dollar === -1) {
            out += text.slice(i);
            break;
        }
        out += text.slice(i, dollar);
        const next = text[dollar + 1];
        if (next === '$') {
            out += '$';
            i = dollar + 2;
            continue;
        }
        if (next === '{') {
            const close = closingBrace(text, dollar + 2);
            if (close === -1)
                throw new Error(`invalid interpolation "${text}": \${ without a closing }`);
            out += substitute(text.slice(dollar + 2, close), text, env, lookup, warn);
            i = close + 1;
            continue;
        }
        const named = NAME.exec(text.slice(dollar + 1));
        if (named) {
            const value = lookup(named[0]);
            if (value === undefined)
                warn(unsetWarning(named[0]));
            out += value ?? '';
            i = dollar + 1 + named[0].length;
            continue;
        }
        out += '$';
        i = dollar + 1;
    }
    return out;
}
function unsetWarning(name) {
    return `the "${name}" variable is not set. Defaulting to a blank string.`;
}
/** Index of the `}` closing a `${` whose content starts at `from`, counting nested `{`. */
function closingBrace(text, from) {
    let depth = 1;
    for (let i = from; i < text.length; i++) {
        if (text[i] === '{')
            depth++;
        else if (text[i] === '}' && --depth === 0)
            return i;
    }
    return -1;
}
function substitute(inner, whole, env, lookup, warn) {
    const named = NAME.exec(inner);
    if (!named)
        throw new Error(`invalid interpolation "${whole}": "\${${inner}}" does not start with a name`);
    const name = named[0];
    const rest = inner.slice(name.length);
    const value = lookup(name);
    if (rest === '') {
        if (value === undefined)
            warn(unsetWarning(name));
        return value ?? '';
    }
    const operator = /^:?[-?+]/.exec(rest)?.[0];
    if (!operator) {
        throw new Error(`invalid interpolation "${whole}": "\${${inner}}" is not supported (Compose takes :- - :? ? :+ +)`);
    }
    const word = rest.slice(operator.length);
    const colon = operator.startsWith(':');
    const present = value !== undefined && (!colon || value !== '');
    switch (operator.slice(-1)) {
        case '-':
            return present ? value : interpolate(word, env, warn);
        case '+':
            return present ? interpolate(word, env, warn) : (value ?? '');
        default: {
            if (present)
                return value;
            const reason = interpolate(word, env, warn);
            throw new Error(`required variable ${name} is missing a value${reason ? `: ${reason}` : ''}`);
        }
    }
}
function interpolateTree(value, env, at, warn) {
    if (typeof value === 'string') {
        try {
            return interpolate(value, env, warn);
        }
        catch (error) {
            throw new Error(`${at.join('.') || 'value'}: ${error.message}`);
        }
    }
    if (value instanceof Tagged)
        return new Tagged(value.tag, interpolateTree(value.value, env, at, warn));
    if (Array.isArray(value))
        return value.map((item, index) => interpolateTree(item, env, [...at, `[${index}]`], warn));
    if (isMapping(value)) {
        const out = {};
        for (const [key, item] of Object.entries(value))
            out[key] = interpolateTree(item, env, [...at, key], warn);
        return out;
    }
    return value;
}

const PORT_RANGE = /^\d+(?:-\d+)?$/;
function toBuild(value) {
    if (value === undefined || value === null)
        return {};
    if (typeof value === 'string')
        return { context: value };
    if (isMapping(value))
        return value;
    throw new Error(`build is ${describe$1(value)}, not a path or a mapping`);
}
function toMapping(value, at) {
    if (value === undefined || value === null)
        return {};
    if (isMapping(value))
        return value;
    if (Array.isArray(value))
        return Object.fromEntries(value.map((item, index) => [listKey(item, at, index), null]));
    throw new Error(`${at.join('.')} is ${describe$1(value)}, not a list or a mapping`);
}
/** An entry of a list of names (`networks: [front, back]`): a name, never a mapping or list. */
function listKey(item, at, index) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')
        return String(item);
    throw new Error(`${at.join('.')}[${index}] is ${describe$1(item)}, not a name`);
}
function toDependsOn(value, at) {
    if (Array.isArray(value)) {
        return Object.fromEntries(value.map((item) => [String(item), { condition: 'service_started', required: true }]));
    }
    return toMapping(value, at);
}
/** `KEY=VALUE` lists and mappings alike, as a mapping; `KEY` alone (or `KEY:` null) is null. */
function toKeyValues(value, at) {
    const out = {};
    if (value === undefined || value === null)
        return out;
    if (Array.isArray(value)) {
        for (const item of value) {
            const text = String(item);
            const equals = text.indexOf('=');
            if (equals === -1)
                out[text] = null;
            else
                out[text.slice(0, equals)] = text.slice(equals + 1);
        }
        return out;
    }
    if (isMapping(value)) {
        for (const [key, item] of Object.entries(value))
            out[key] = item === null ? null : String(item);
        return out;
    }
    throw new Error(`${at.join('.')} is ${describe$1(value)}, not a list or a mapping`);
}
function toSequence(value, at) {
    if (value === undefined || value === null)
        return [];
    if (Array.isArray(value))
        return value;
    throw new Error(`${at.join('.')} is ${describe$1(value)}, not a list`);
}
/**
 * One `ports` entry: a number (`80`), the short syntax `[[host_ip:][published]:]target[/protocol]`
 * (IPv6 host addresses in brackets) or the long syntax mapping.
 */
function parsePort$1(entry) {
    if (typeof entry === 'number')
        return { target: String(entry), protocol: 'tcp', raw: String(entry) };
    if (isMapping(entry)) {
        const raw = JSON.stringify(entry);
        if (entry.target === undefined || entry.target === null || entry.target === '') {
            throw new Error(`ports entry ${raw} has no target`);
        }
        /** A field of the long syntax, as text: a scalar, never a mapping or a list. */
        const scalar = (key, what) => {
            const value = entry[key];
            if (value === undefined || value === null)
                return undefined;
            if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
                return String(value);
            throw new Error(`ports entry ${raw} has ${key} ${describe$1(value)}, not ${what}`);
        };
        const target = scalar('target', 'a port');
        const published = scalar('published', 'a port');
        const hostIp = scalar('host_ip', 'an address');
        const protocol = scalar('protocol', 'a protocol');
        return {
            target,
            ...(published !== undefined ? { published } : {}),
            ...(entry.host_ip ? { hostIp } : {}),
            protocol: entry.protocol ? protocol : 'tcp',
            raw
        };
    }
    if (typeof entry !== 'string')
        throw new Error(`ports entry ${describe$1(entry)} is not a port`);
    const raw = entry;
    let text = entry.trim();
    let protocol = 'tcp';
    const slash = text.lastIndexOf('/');
    if (slash !== -1) {
        protocol = text.slice(slash + 1);
        text = text.slice(0, slash);
    }
    const colon = text.lastIndexOf(':');
    const target = text.slice(colon + 1);
    const port = { target, protocol, raw };
    if (colon !== -1) {
        const front = text.slice(0, colon);
        const hostColon = front.startsWith('[') ? front.indexOf(']:') + 1 : front.lastIndexOf(':');
        if (hostColon > 0) {
            port.hostIp = front.slice(0, hostColon).replace(/^\[|\]$/g, '');
            port.published = front.slice(hostColon + 1);
        }
        else {
            port.published = front;
        }
    }
    if (!PORT_RANGE.test(port.target) || (port.published && !PORT_RANGE.test(port.published))) {
        throw new Error(`ports entry "${raw}" is not [[host_ip:]published:]target[/protocol]`);
    }
    return port;
}

// Merging several Compose files: the compose-spec's merge rules (13-merge.md) as compose-go's
// override/merge.go and override/uncity.go implement them (override.MergeYaml with the special
// rules for the attributes used here). `!reset` removes a value, `!override` replaces it.
const SPECIAL = [
    ['services.*.build', (base, over, at) => mergeMappings(toBuild(base), toBuild(over), at)],
    ['services.*.command', (_base, over) => resolveTags(over)],
    ['services.*.entrypoint', (_base, over) => resolveTags(over)],
    ['services.*.healthcheck.test', (_base, over) => resolveTags(over)],
    [
        'services.*.depends_on',
        (base, over, at) => mergeMappings(toDependsOn(base, at), toDependsOn(over, at), at)
    ],
    ['services.*.networks', (base, over, at) => mergeMappings(toMapping(base, at), toMapping(over, at), at)],
    ['services.*.environment', mergeKeyValues],
    ['services.*.labels', mergeKeyValues],
    ['services.*.deploy.labels', mergeKeyValues],
    [
        'services.*.ports',
        (base, over, at) => uniquePorts([...toSequence(base, at), ...toSequence(resolveTags(over), at)])
    ]
];
/** Compose appends the KEY=VALUE entries and keeps the last one of each key. */
function mergeKeyValues(base, over, at) {
    const out = toKeyValues(resolveTags(base), at);
    if (isMapping(over)) {
        for (const [key, value] of Object.entries(over)) {
            if (value instanceof Tagged && value.tag === '!reset')
                delete out[key];
            else
                Object.assign(out, toKeyValues({ [key]: resolveTags(value) }, at));
        }
        return out;
    }
    return Object.assign(out, toKeyValues(resolveTags(over), at));
}
function special(at) {
    for (const [pattern, merge] of SPECIAL) {
        const parts = pattern.split('.');
        if (parts.length === at.length && parts.every((part, i) => part === '*' || part === at[i]))
            return merge;
    }
    return undefined;
}
/** Merges `over` onto `base` at path `at`; `!reset` removes, `!override` replaces. */
function mergeValue(base, over, at) {
    if (over instanceof Tagged)
        return over.tag === '!reset' ? undefined : resolveTags(over.value);
    const merge = special(at);
    // A value met for the first time still gets its canonical form (depends_on list -> mapping).
    if (merge)
        return merge(base, over, at);
    if (base === undefined)
        return resolveTags(over);
    if (over === null || over === undefined)
        return base;
    if (isMapping(base)) {
        if (!isMapping(over))
            throw new Error(`cannot override ${at.join('.')}: a mapping with ${describe$1(over)}`);
        return mergeMappings(base, over, at);
    }
    if (Array.isArray(base)) {
        if (!Array.isArray(over))
            throw new Error(`cannot override ${at.join('.')}: a sequence with ${describe$1(over)}`);
        return [...base, ...resolveTags(over)];
    }
    return resolveTags(over);
}
function mergeMappings(base, over, at) {
    const out = { ...base };
    for (const [key, value] of Object.entries(over)) {
        const merged = mergeValue(out[key], value, [...at, key]);
        if (merged === undefined)
            delete out[key];
        else
            out[key] = merged;
    }
    return out;
}
/** Drops `!reset` values and unwraps `!override` ones where there is nothing to merge with. */
function resolveTags(value) {
    if (value instanceof Tagged)
        return value.tag === '!reset' ? undefined : resolveTags(value.value);
    if (Array.isArray(value))
        return value.map(resolveTags).filter((item) => item !== undefined);
    if (isMapping(value)) {
        const out = {};
        for (const [key, item] of Object.entries(value)) {
            const resolved = resolveTags(item);
            if (resolved !== undefined)
                out[key] = resolved;
        }
        return out;
    }
    return value;
}
/** Compose keeps one entry per {host_ip, published, target, protocol}: a later one replaces it. */
function uniquePorts(entries) {
    const out = [];
    const seen = new Map();
    for (const entry of entries) {
        const port = parsePort$1(entry);
        const key = `${port.hostIp ?? '0.0.0.0'}:${port.published ?? ''}:${port.target}/${port.protocol}`;
        const index = seen.get(key);
        if (index === undefined) {
            seen.set(key, out.length);
            out.push(entry);
        }
        else {
            out[index] = entry;
        }
    }
    return out;
}

// The model of the deploy step's Compose files once they are loaded and merged (see load.ts):
// each service with the attributes the rollout reads, and the error every step of reading and
// checking the files throws. Types only, besides that error, so that every module of the compose
// file shares one vocabulary.
/** A problem with the compose files or the rolled-out service; the message names the input. */
class ComposeFileError extends Error {
    problems;
    constructor(problems) {
        super(problems.length === 1 ? problems[0] : problems.map((problem) => `- ${problem}`).join('\n'));
        this.problems = problems;
        this.name = 'ComposeFileError';
    }
}

// The typed service: a service's merged mapping (see merge.ts) read into a ComposeService, each
// attribute the rollout reads checked for its type and put in its long form (see long-form.ts).
function toService(name, raw) {
    const deploy = asMapping(raw.deploy);
    const healthcheck = raw.healthcheck;
    if (healthcheck !== undefined && healthcheck !== null && !isMapping(healthcheck)) {
        throw new Error(`healthcheck is ${describe$1(healthcheck)}, not a mapping`);
    }
    return {
        name,
        image: optionalString$1(raw.image, 'image'),
        build: raw.build === undefined ? undefined : toBuild(raw.build),
        containerName: optionalString$1(raw.container_name, 'container_name'),
        ports: toSequence(raw.ports, ['ports']).map(parsePort$1),
        healthcheck: isMapping(healthcheck) ? healthcheck : undefined,
        replicas: optionalCount(deploy?.replicas, 'deploy.replicas'),
        scale: optionalCount(raw.scale, 'scale'),
        stopGracePeriod: optionalString$1(raw.stop_grace_period, 'stop_grace_period', true),
        networkMode: optionalString$1(raw.network_mode, 'network_mode'),
        networks: toMapping(raw.networks, ['networks']),
        dependsOn: toDependsOn(raw.depends_on, ['depends_on']),
        labels: toKeyValues(raw.labels, ['labels']),
        environment: toKeyValues(raw.environment, ['environment']),
        raw
    };
}
function optionalString$1(value, key, strict = false) {
    if (value === undefined || value === null)
        return undefined;
    if (typeof value === 'string')
        return value;
    if (!strict && (typeof value === 'number' || typeof value === 'boolean'))
        return String(value);
    throw new Error(`${key} is ${describe$1(value)}, not a string`);
}
/** A whole number of containers; interpolation leaves strings such as "3". */
function optionalCount(value, key) {
    if (value === undefined || value === null)
        return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new Error(`${key} is ${describe$1(value)}, not a whole number`);
    }
    const text = String(value).trim();
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new Error(`${key} "${String(value)}" is not a whole number`);
    }
    return Number(text);
}

// Reading the deploy step's Compose files: their text, each YAML document parsed (with Compose's
// `!reset` and `!override` tags), interpolated, checked for shape and merged in order into one
// ComposeModel, as `docker compose` loads them. Pure: no program runs and no file is read here
// (readComposeFiles takes a reader), so the rules can be tested on text.
/** Reads the files with `read`, naming the file when one cannot be read. */
function readComposeFiles(files, read) {
    const problems = [];
    const texts = [];
    for (const file of files) {
        try {
            texts.push({ path: file, text: read(file) });
        }
        catch (error) {
            problems.push(`compose-file: cannot read ${file}: ${error.message}`);
        }
    }
    if (problems.length > 0)
        throw new ComposeFileError(problems);
    return texts;
}
/**
 * Parses, interpolates (with `env` only: pass exactly the variables Compose will see) and merges
 * the files in order, as Compose does. Throws ComposeFileError naming the file and what is wrong.
 */
function loadCompose(files, env) {
    if (files.length === 0)
        throw new ComposeFileError(['compose-file: no compose file given']);
    const warnings = [];
    const layers = [];
    let merged = {};
    let name;
    for (const file of files) {
        for (const document of parseFile(file)) {
            const rawName = document.name;
            let interpolated;
            try {
                interpolated = interpolateTree(document, env, [], (warning) => warnings.push(`${file.path}: ${warning}`));
            }
            catch (error) {
                throw new ComposeFileError([`compose-file: ${file.path}: ${error.message}`]);
            }
            checkShape(file.path, interpolated);
            layers.push({ path: file.path, document: interpolated });
            // compose-go takes the last file whose raw `name:` is not empty, then interpolates it.
            if (rawName !== undefined && rawName !== null && rawName !== '')
                name = String(interpolated.name);
            try {
                merged = mergeValue(merged, interpolated, []);
            }
            catch (error) {
                throw new ComposeFileError([`compose-file: ${file.path}: ${error.message}`]);
            }
        }
    }
    const names = files.map((file) => file.path).join(', ');
    const services = asMapping(merged.services);
    if (!services || Object.keys(services).length === 0) {
        throw new ComposeFileError([`compose-file: ${names} define no services`]);
    }
    const problems = [];
    const model = {
        files: files.map((file) => file.path),
        name,
        services: {},
        networks: (asMapping(merged.networks) ?? {}),
        warnings,
        layers
    };
    for (const [serviceName, value] of Object.entries(services)) {
        try {
            if (!isMapping(value))
                throw new Error(`the service is ${describe$1(value)}, not a mapping`);
            model.services[serviceName] = toService(serviceName, value);
        }
        catch (error) {
            problems.push(`compose-file: services.${serviceName}: ${error.message}`);
        }
    }
    if (problems.length > 0)
        throw new ComposeFileError(problems);
    return model;
}
function parseFile(file) {
    const lineCounter = new LineCounter();
    const parsed = parseAllDocuments(file.text, { merge: true, prettyErrors: false, lineCounter });
    const documents = Array.isArray(parsed) ? parsed : [];
    if (documents.length === 0 || (documents.length === 1 && documents[0]?.contents === null)) {
        throw new ComposeFileError([`compose-file: ${file.path} is empty`]);
    }
    const results = [];
    for (const document of documents) {
        const error = document.errors[0];
        if (error) {
            const { line, col } = lineCounter.linePos(error.pos[0]);
            const message = error.message.split('\n')[0];
            throw new ComposeFileError([
                `compose-file: ${file.path} is not valid YAML: line ${line}, column ${col}: ${message}`
            ]);
        }
        visit(document, {
            Node(key, node) {
                // A key keeps its plain value: the tags apply to values.
                if (key !== 'key' && (node.tag === '!reset' || node.tag === '!override'))
                    markTagged(node, node.tag);
            }
        });
        let value;
        try {
            value = document.toJS({ maxAliasCount: 1000 });
        }
        catch (error) {
            throw new ComposeFileError([
                `compose-file: ${file.path} is not valid YAML: ${error.message}`
            ]);
        }
        if (value === null || value === undefined)
            continue;
        if (value instanceof Tagged) {
            throw new ComposeFileError([
                `compose-file: ${file.path} is not a Compose file: its top level is ${describe$1(value)}; ${value.tag} applies to the values inside a file, not to the file`
            ]);
        }
        if (!isMapping(value)) {
            throw new ComposeFileError([
                `compose-file: ${file.path} is not a Compose file: its top level is ${describe$1(value)}, not a mapping`
            ]);
        }
        results.push(value);
    }
    return results;
}
/**
 * Makes a node tagged `!reset` or `!override` convert to a Tagged marker holding its value. The
 * node stays in the document, so anchors in it (or on it) resolve for aliases anywhere, as
 * go-yaml resolves them for Compose; an alias to the tagged node itself gives the same marker.
 */
function markTagged(node, tag) {
    const convert = node.toJSON.bind(node);
    // `image: !reset` is an empty plain scalar, which YAML reads as "" under a tag it does not know.
    const empty = isScalar(node) && node.type === Scalar.PLAIN && node.value === '';
    const toJSON = (arg, ctx, type) => {
        // A `<<` merge key reads the mapping's entries (as a Map): they merge in as plain values.
        if (type !== undefined)
            return convert(arg, ctx, type);
        // An anchored mapping or list records itself for aliases through onCreate, before its items
        // are read: it records the marker instead. A scalar does not call it: toJS records the result.
        const onCreate = ctx?.onCreate;
        let tagged;
        if (ctx && onCreate) {
            ctx.onCreate = (res) => {
                tagged = new Tagged(tag, res);
                onCreate(tagged);
            };
        }
        const value = convert(arg, ctx);
        if (tagged)
            return tagged;
        if (ctx && onCreate)
            ctx.onCreate = onCreate;
        return new Tagged(tag, empty ? null : value);
    };
    Object.assign(node, { toJSON });
}
/** Checks that `services` (unless reset) is a mapping of services that are each a mapping. */
function checkShape(file, document) {
    if (!('services' in document))
        return; // an override may only add networks, volumes...
    const services = overridden(document.services);
    if (services instanceof Tagged)
        return; // !reset
    if (!isMapping(services)) {
        throw new ComposeFileError([`compose-file: ${file}: services is ${describe$1(services)}, not a mapping`]);
    }
    for (const [name, value] of Object.entries(services)) {
        const service = overridden(value);
        if (!isMapping(service) && !(service instanceof Tagged)) {
            throw new ComposeFileError([
                `compose-file: ${file}: services.${name} is ${describe$1(service)}, not a mapping`
            ]);
        }
    }
}
/** The value an `!override` tag replaces with (the same checks apply to it); anything else as is. */
function overridden(value) {
    return value instanceof Tagged && value.tag === '!override' ? value.value : value;
}

// The Compose project name, and the engine's names of the project's networks: as compose-go's
// cli/options.go (withNamePrecedenceLoad) and loader/loader.go (projectName, NormalizeProjectName)
// settle them.
/** compose-go's NormalizeProjectName: lowercase, keep [a-z0-9_-], drop leading _ and -. */
function normalizeProjectName(name) {
    return name
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, '')
        .replace(/^[_-]+/, '');
}
/**
 * The project name as Compose settles it: the compose-project input (`-p`), else a non-empty
 * COMPOSE_PROJECT_NAME in `env` (both must already be valid: Compose refuses, not normalises,
 * them), else the top-level `name:` of the files, else the folder of the first file (resolved
 * against `cwd`), both normalised.
 */
function composeProjectName(model, options = {}) {
    const imperative = [
        ['compose-project', options.composeProject],
        ['env: COMPOSE_PROJECT_NAME', options.env?.COMPOSE_PROJECT_NAME]
    ];
    for (const [source, value] of imperative) {
        if (!value)
            continue;
        if (normalizeProjectName(value) !== value) {
            throw new ComposeFileError([
                `${source}: "${value}" is not a Compose project name (lowercase letters, digits, _ and -, starting with a letter or digit)`
            ]);
        }
        return value;
    }
    if (model.name !== undefined) {
        const named = normalizeProjectName(model.name);
        if (named)
            return named;
        throw new ComposeFileError([
            `compose-file: the name "${model.name}" leaves no valid project name; set compose-project`
        ]);
    }
    const first = model.files[0] ?? '.';
    const folder = path$1.basename(path$1.dirname(path$1.resolve(options.cwd ?? process.cwd(), first)));
    const named = normalizeProjectName(folder);
    if (!named) {
        throw new ComposeFileError([
            `compose-file: the folder name "${folder}" leaves no valid project name; set compose-project or name: in the file`
        ]);
    }
    return named;
}

// Compose's durations, such as the service's `stop_grace_period`: Go-style text (`1m30s`, `500ms`)
// read as seconds.
const DURATION_UNITS = {
    ns: 1e-9,
    us: 1e-6,
    µs: 1e-6,
    μs: 1e-6,
    ms: 1e-3,
    s: 1,
    m: 60,
    h: 3600,
    d: 86400,
    w: 604800
};
/**
 * A Compose duration in seconds: Go-style `1m30s`, `1.5h`, `500ms`, `10s` (compose-go parses them
 * with str2duration: ns us ms s m h d w). `0` alone is zero; a bare number is refused (Compose's
 * schema wants a string with units).
 */
function parseComposeDuration(text) {
    const trimmed = text.trim();
    if (trimmed === '0')
        return 0;
    const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;
    let seconds = 0;
    let index = 0;
    while (index < trimmed.length) {
        part.lastIndex = index;
        const match = part.exec(trimmed);
        if (!match)
            break;
        seconds += Number(match[1]) * DURATION_UNITS[match[2]];
        index = part.lastIndex;
    }
    if (trimmed === '' || index !== trimmed.length) {
        throw new Error(`"${text}" is not a duration such as 10s, 1m30s or 500ms`);
    }
    return Math.round(seconds * 1e6) / 1e6;
}

// What the rollout needs of the service it rolls out, and the checks that it can run twice side by
// side (old and new containers at once): an image, no fixed container name or host port, no host
// network, networks that are defined. Each problem names the file that set the attribute at fault.
/**
 * Checks that `service` can run twice side by side (old and new containers at once) and returns
 * what the rollout needs. Throws ComposeFileError listing every problem; messages name the input.
 */
function checkRolloutService(model, service) {
    const files = model.files.join(', ');
    const found = Object.prototype.hasOwnProperty.call(model.services, service)
        ? model.services[service]
        : undefined;
    if (!found) {
        const names = Object.keys(model.services).sort();
        throw new ComposeFileError([
            `service: "${service}" is not a service of ${files}; the services there are ${names.join(', ')}`
        ]);
    }
    const problems = [];
    const at = (key) => definedIn(model, service, key);
    const image = found.image?.trim() ?? '';
    if (image === '') {
        problems.push(`compose-file: service ${service} has no image (in ${files}): the rollout pulls the pushed image, so set image: to it with the tag \${APP_VERSION}`);
    }
    else if (/[:@]$/.test(image) || /\s/.test(image)) {
        problems.push(`compose-file: service ${service} has image "${image}" (in ${at('image')}), not a valid image reference: is a variable in it unset?`);
    }
    if (found.containerName !== undefined) {
        problems.push(`compose-file: service ${service} sets container_name "${found.containerName}" (in ${at('container_name')}): a fixed container name cannot run twice side by side; remove it`);
    }
    if (found.networkMode === 'host') {
        problems.push(`compose-file: service ${service} uses network_mode: host (in ${at('network_mode')}): the new containers would bind the same host ports as the old ones`);
    }
    const ports = [];
    for (const port of found.ports) {
        const fixed = fixedHostPort(port);
        if (fixed) {
            problems.push(`compose-file: service ${service} publishes ${fixed} "${port.raw}" (in ${portDefinedIn(model, service, port)}): the new containers cannot bind it while the old ones run; publish the container port only (e.g. "${port.target}") behind a proxy, or a host port range`);
        }
        else {
            ports.push(port);
        }
    }
    let replicas = found.replicas ?? found.scale;
    if (found.replicas !== undefined && found.scale !== undefined && found.replicas !== found.scale) {
        problems.push(`compose-file: service ${service} sets distinct values on scale (${found.scale}) and deploy.replicas (${found.replicas})`);
        replicas = undefined;
    }
    let stopGracePeriodSeconds;
    if (found.stopGracePeriod !== undefined) {
        try {
            stopGracePeriodSeconds = parseComposeDuration(found.stopGracePeriod);
        }
        catch (error) {
            problems.push(`compose-file: service ${service} stop_grace_period (in ${at('stop_grace_period')}): ${error.message}`);
        }
    }
    const networks = found.networkMode ? [] : Object.keys(found.networks);
    if (!found.networkMode && networks.length === 0)
        networks.push('default');
    for (const network of networks) {
        if (network !== 'default' && !Object.prototype.hasOwnProperty.call(model.networks, network)) {
            problems.push(`compose-file: service ${service} is on network ${network}, which no top-level networks: entry defines (in ${files})`);
        }
    }
    if (problems.length > 0)
        throw new ComposeFileError(problems);
    return {
        name: service,
        image,
        healthcheck: healthcheckKind(found.healthcheck),
        ...(replicas !== undefined ? { replicas } : {}),
        ...(stopGracePeriodSeconds !== undefined ? { stopGracePeriodSeconds } : {}),
        networks,
        ports
    };
}
/**
 * What makes a port fixed on the host, or undefined when the engine picks the host port: no
 * published port (`"80"`, `"127.0.0.1::80"`), or a range of at least two host ports for one
 * container port (`"8000-8010:80"`: the engine takes a free one per container).
 */
function fixedHostPort(port) {
    if (port.published === undefined || port.published === '')
        return undefined;
    const ip = port.hostIp ? ` on ${port.hostIp}` : '';
    const [low, high] = port.published.split('-').map(Number);
    if (high === undefined)
        return `the fixed host port ${port.published}${ip}`;
    const size = high - low + 1;
    if (port.target.includes('-'))
        return `the host port range ${port.published}${ip} one to one`;
    if (size < 2)
        return `the host port range ${port.published}${ip} of one port`;
    return undefined;
}
function healthcheckKind(healthcheck) {
    if (!healthcheck || Object.keys(healthcheck).length === 0)
        return 'image';
    const disable = healthcheck.disable;
    if (disable === true || disable === 'true')
        return 'disabled';
    const test = healthcheck.test;
    if (Array.isArray(test) && test[0] === 'NONE')
        return 'disabled';
    if (test === undefined)
        return 'image'; // only intervals: they tune the image's HEALTHCHECK
    return 'compose';
}
/** The files whose documents set services.<service>.<key>. */
function definedIn(model, service, key) {
    const files = model.layers
        .filter((layer) => {
        const definition = asMapping(asMapping(layer.document.services)?.[service]);
        return definition !== undefined && key in definition;
    })
        .map((layer) => layer.path);
    return [...new Set(files)].join(', ') || model.files.join(', ');
}
function portDefinedIn(model, service, port) {
    const files = model.layers
        .filter((layer) => {
        const definition = asMapping(asMapping(layer.document.services)?.[service]);
        const ports = definition?.ports;
        const list = ports instanceof Tagged ? ports.value : ports;
        return Array.isArray(list) && list.some((entry) => portText(entry) === port.raw);
    })
        .map((layer) => layer.path);
    return [...new Set(files)].join(', ') || model.files.join(', ');
}
function portText(entry) {
    return typeof entry === 'string' ? entry : typeof entry === 'number' ? String(entry) : JSON.stringify(entry);
}

// The `.env` file Compose reads from the project folder (the first compose file's folder) for
// interpolation, below the process environment in precedence. The subset of compose-go's dotenv
// format that such files use: KEY=VALUE lines, `export ` prefixes, # comments, blank lines,
// single quotes (literal), double quotes (\n, \t, \", \\ escapes), and unquoted values with an
// inline comment after whitespace.
function parseDotenv(text, file = '.env') {
    const values = {};
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    lines.forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
        if (!match)
            throw new Error(`${file}: line ${index + 1} is not KEY=VALUE`);
        values[match[1]] = dotenvValue(match[2], `${file}: line ${index + 1}`);
    });
    return values;
}
function dotenvValue(text, where) {
    if (text.startsWith("'")) {
        const end = text.indexOf("'", 1);
        if (end < 0)
            throw new Error(`${where}: the quote ' is not closed`);
        return text.slice(1, end);
    }
    if (text.startsWith('"')) {
        let value = '';
        for (let i = 1; i < text.length; i++) {
            const char = text[i];
            if (char === '"')
                return value;
            if (char === '\\' && i + 1 < text.length) {
                const next = text[++i];
                value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
            }
            else {
                value += char;
            }
        }
        throw new Error(`${where}: the quote " is not closed`);
    }
    return text.replace(/\s+#.*$/, '').trim();
}

// What a Compose rollout needs settled before anything is built: the compose files read, merged
// and interpolated as Compose does, the rolled service checked (it can run twice side by side),
// the switch-command's service checked, and the project named. A bad file fails the run here.
/** The variables Compose interpolates with besides the runner's: the env input and APP_VERSION. */
function composeVariables(inputs, version) {
    return {
        ...Object.fromEntries(inputs.deploy.env.map(({ key, value }) => [key, value])),
        APP_VERSION: version
    };
}
/** Reads and checks the compose files for a rollout of the service input. */
function readComposePlan(deploy, version, cwd, log) {
    const variables = composeVariables({ deploy }, version);
    // As Compose: the project folder's .env, then the process environment, then the env input.
    const interpolationEnv = {
        ...projectDotenv(deploy.composeFiles, cwd),
        ...definedOnly(programEnv()),
        ...variables
    };
    const texts = readComposeFiles(deploy.composeFiles, (file) => readFileSync(path$1.resolve(cwd, file), 'utf8'));
    const model = loadCompose(texts, interpolationEnv);
    for (const warning of model.warnings)
        log.warning(`compose-file: ${warning}`);
    const project = composeProjectName(model, {
        composeProject: deploy.composeProject,
        env: interpolationEnv,
        cwd
    });
    const service = checkRolloutService(model, deploy.service);
    checkSwitchService(model, deploy);
    if (service.healthcheck === 'disabled') {
        log.warning(`compose-file: service ${service.name} turns its healthcheck off: new containers count as ready after staying up ${deploy.startupGrace} s (startup-grace), which proves less than a healthcheck`);
    }
    return { project, service, files: deploy.composeFiles, variables, cwd };
}
/** switch-command runs in a service of the files, and not in the one rolled out. */
function checkSwitchService(model, deploy) {
    const switchService = deploy.switchCommand?.service;
    if (switchService !== undefined && !Object.prototype.hasOwnProperty.call(model.services, switchService)) {
        throw new ComposeFileError([
            `switch-command: "${switchService}" is not a service of ${model.files.join(', ')}`
        ]);
    }
    if (switchService === deploy.service) {
        throw new ComposeFileError([
            `switch-command: runs in ${switchService}, the service being rolled out; name the proxy in front of it`
        ]);
    }
}
/** The `.env` of the first compose file's folder, as Compose reads it; none is fine. */
function projectDotenv(files, cwd) {
    const file = path$1.join(path$1.dirname(path$1.resolve(cwd, files[0] ?? 'docker-compose.yml')), '.env');
    let text;
    try {
        text = readFileSync(file, 'utf8');
    }
    catch {
        return {};
    }
    try {
        return parseDotenv(text, path$1.relative(cwd, file) || '.env');
    }
    catch (error) {
        throw new ComposeFileError([`compose-file: ${error.message}`]);
    }
}

// A command written as text in an input (switch-command), split into its argument array the way
// a POSIX shell splits words: blanks separate, '...' keeps everything, "..." and \ escape. Nothing
// is expanded ($VAR, globs, ~) and no shell ever runs it.
function splitCommandWords(text) {
    const words = [];
    let word = '';
    let inWord = false;
    let quote;
    for (let i = 0; i < text.length; i++) {
        const char = text[i];
        if (quote === "'") {
            if (char === "'")
                quote = undefined;
            else
                word += char;
            continue;
        }
        if (quote === '"') {
            if (char === '"')
                quote = undefined;
            else if (char === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]))
                word += text[++i];
            else
                word += char;
            continue;
        }
        if (/\s/.test(char)) {
            if (inWord)
                words.push(word);
            word = '';
            inWord = false;
            continue;
        }
        inWord = true;
        if (char === "'" || char === '"')
            quote = char;
        else if (char === '\\' && i + 1 < text.length)
            word += text[++i];
        else
            word += char;
    }
    if (quote)
        throw new Error(`the quote ${quote} is not closed`);
    if (inWord)
        words.push(word);
    return words;
}

// The switch-command input, `SERVICE: command`: run in each container of the proxy service
// once the new containers are ready (nginx: nginx -s reload). Read by the main step from its
// inputs and by the post step, which finishes or undoes a switch, from the same input: never
// from saved state.
const SERVICE_NAME$3 = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
function parseSwitchCommand(raw) {
    if (!raw)
        return undefined;
    const match = /^([^:\s]+)\s*:\s*(\S[\s\S]*)$/.exec(raw);
    if (!match || !SERVICE_NAME$3.test(match[1]))
        throw new Error(`"${raw}" is not SERVICE: command, e.g. nginx: nginx -s reload`);
    const command = match[2].trim();
    let args;
    try {
        args = splitCommandWords(command);
    }
    catch (error) {
        throw new Error(`"${raw}": ${error.message}`);
    }
    return { service: match[1], command, args };
}

// The switch of a blue-green rollout: the proxy in front must stop sending to the old containers
// without ever sending to one that is gone. The old containers leave the service's DNS name
// (keeping their addresses, so whatever the proxy resolved earlier still answers), then
// switch-command makes the proxy resolve the name again.
/**
 * Takes the old containers out of the service's DNS name on every network where they have it,
 * keeping their addresses, then runs switch-command in each running container of its service,
 * so the proxy resolves the name again and finds only the new containers.
 *
 * Docker drops a name only with the container's endpoint, so each old container leaves the
 * network and rejoins it at once without the name. A proxy that resolved the name earlier
 * (nginx's `server web:8080`) still sends to the old address until it reloads: the address must
 * come back, or those requests hang. A network with a subnet in its configuration lets the
 * container ask for its address (`--ip`); on one without, Docker hands out its lowest free
 * address, which is the container's own when no lower one is free (the old containers are
 * handled lowest address first), and the step warns when it was not. The gap of the rejoin
 * costs a request a TCP retransmission, not an error (the MAC address follows the IP).
 * When the switch fails, the old containers get their name back.
 */
async function switchTraffic(target, command, containers, old, log) {
    const service = target.service;
    const detached = [];
    const moved = [];
    try {
        for (const { container, network, ip, aliases } of nameHolders(old, service)) {
            await containers.disconnect(network, container.id);
            detached.push({ container, network, ip, aliases });
            const got = await containers.connect(network, container.id, aliases.filter((alias) => alias !== service), ip);
            if (got !== ip)
                moved.push(`${container.name} on ${network} (${ip} became ${got})`);
        }
        if (detached.length > 0) {
            log.info(`Took ${old.length} old container(s) out of the name ${service}, ${detached.length - moved.length} of ${detached.length} keeping their address`);
        }
        if (moved.length > 0) {
            log.warning(`${moved.join(', ')}: the address changed when leaving the name ${service}, so requests a proxy sent there before switch-command may fail. Give the network a subnet (ipam: config: - subnet: ...) so that containers keep their address.`);
        }
        if (!command)
            return;
        const proxies = await containers.list(target.project, command.service);
        if (proxies.length === 0) {
            log.warning(`switch-command: no container of ${command.service} is running in ${target.project}; nothing to switch`);
            return;
        }
        for (const proxy of proxies) {
            await target.docker.run(['exec', proxy, ...command.args], { quiet: true }).catch((error) => {
                throw new Error(`switch-command \`${command.command}\` failed in ${command.service} (${short(proxy)}): ${error.message}`);
            });
        }
        log.info(`Switched: ran \`${command.command}\` in ${proxies.length} container(s) of ${command.service}`);
    }
    catch (error) {
        for (const { container, network, ip, aliases } of detached.reverse()) {
            await containers
                .disconnect(network, container.id)
                .catch(() => undefined)
                .then(() => containers.connect(network, container.id, aliases, ip))
                .catch((reconnect) => log.warning(`could not give ${container.name} its name ${service} back on ${network}: ${reconnect.message}`));
        }
        throw error;
    }
}
/**
 * Each network endpoint of the old containers that carries the service's name, lowest address
 * first, with the aliases to restore (without the short ID, which Docker adds itself).
 */
function nameHolders(old, service) {
    const holders = old.flatMap((container) => Object.entries(container.networks)
        .filter(([, endpoint]) => endpoint.aliases.includes(service))
        .map(([network, endpoint]) => ({
        container,
        network,
        ip: endpoint.ip,
        aliases: endpoint.aliases.filter((alias) => alias !== short(container.id))
    })));
    return holders.sort((a, b) => a.network.localeCompare(b.network) || ipOrder(a.ip) - ipOrder(b.ip));
}
function ipOrder(ip) {
    const parts = ip.split('.').map(Number);
    return parts.length === 4 && parts.every(Number.isInteger)
        ? parts.reduce((sum, part) => sum * 256 + part, 0)
        : 0;
}

// The range of every numeric input. Past the upper bound a value is a slip of the keyboard, or a
// way to make the runner or the deploy host do something absurd (a replicas of 100000000 asks the
// host for that many containers), never a setting anyone needs: each bound says why.
/** 360 minutes: a job on a GitHub-hosted runner is stopped then, and it is every job's default timeout-minutes. */
const SIX_HOURS = 6 * 60 * 60;
const WAIT_WHY = '6 hours, as long as a job on a GitHub-hosted runner may run';
/** Seconds the action waits for something; a wait longer than the job itself can only be a mistake. */
const wait$1 = (min) => ({ min, max: SIX_HOURS, why: WAIT_WHY });
const INPUT_BOUNDS = {
    // One host runs them all, old and new side by side during a rollout; Compose's default network
    // is a Linux bridge, which takes at most 1024 ports (BR_MAX_PORTS), one per container.
    replicas: {
        min: 1,
        max: 1000,
        why: 'all on one host, whose default Compose network, a Linux bridge, takes at most 1024 containers'
    },
    'registry-timeout': wait$1(1),
    'health-timeout': wait$1(1),
    'drain-seconds': wait$1(0),
    'startup-grace': wait$1(0),
    'lock-timeout': wait$1(0),
    'batch-wait': wait$1(0),
    // Releases kept on a host; 0 keeps all. Past this, keeping "all" is what is meant.
    'keep-releases': { min: 0, max: 1000, why: 'more releases than a host keeps images of; 0 keeps all' },
    // A batch is some of the deploy-host lines; a count past any fleet one workflow reaches is a slip.
    'rollout-batch': { min: 1, max: 1000, why: 'more hosts than one workflow deploys to' },
    // README, The scan on a large report: 10,000 findings are 35.8 MiB of Trivy JSON, so a million
    // would be some 3.5 GiB, more than the action can read; a budget that large is no budget.
    'max-findings': {
        min: 0,
        max: 1_000_000,
        why: 'more findings than any report the action can read; severity-threshold: none turns the gate off'
    }
};
/** A whole number within the input's bound; the message says which side it missed. */
function parseWholeNumber(raw, input) {
    const { min, max, why } = INPUT_BOUNDS[input];
    if (!/^\d+$/.test(raw) || Number(raw) < min)
        throw new Error(`"${raw}" is not a whole number of at least ${min}`);
    if (Number(raw) > max)
        throw new Error(`${raw} is more than ${max}, the most it takes (${why})`);
    return Number(raw);
}

const HOST = '(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)';
const SSH_RE = new RegExp(`^ssh://(?:([A-Za-z0-9._-]+)@)?${HOST}(?::(\\d+))?/?$`);
const TCP_RE = new RegExp(`^tcp://${HOST}:(\\d+)/?$`);
function parseDockerHost(text) {
    const url = text.trim();
    let match = SSH_RE.exec(url);
    if (match) {
        const port = match[3] === undefined ? undefined : parsePort(match[3]);
        return {
            scheme: 'ssh',
            url,
            user: match[1],
            host: match[2],
            ...(port === undefined ? {} : { port })
        };
    }
    match = TCP_RE.exec(url);
    if (match)
        return { scheme: 'tcp', url, host: match[1], port: parsePort(match[2]) };
    if (url.startsWith('unix:///') && !/\s/.test(url))
        return { scheme: 'unix', url, path: url.slice('unix://'.length) };
    throw new Error(`"${url}" is not ssh://user@host[:port], tcp://host:port or unix:///path`);
}
function parsePort(text) {
    const port = Number(text);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new Error(`port ${text} is not between 1 and 65535`);
    return port;
}
/**
 * The deploy-host input: one host a line (blank lines and surrounding spaces ignored), each named
 * once. The order is the user's: batches follow it.
 */
function parseDockerHosts(text) {
    const hosts = [];
    const problems = [];
    for (const line of text.split('\n')) {
        if (line.trim() === '')
            continue;
        try {
            const host = parseDockerHost(line);
            if (hosts.some((seen) => seen.url === host.url))
                problems.push(`${host.url} is named twice`);
            else
                hosts.push(host);
        }
        catch (error) {
            problems.push(error.message);
        }
    }
    if (problems.length > 0)
        throw new Error(problems.join('; '));
    return hosts;
}

// Which release `steps: deploy` rolls out: the event's own version (the default), a version the
// user names (a version, a tag or a digest), or the release that ran before the current one.
// Checked before anything is touched: a bad combination names the input and stops the run.
/** A tag as the registry API accepts it, or a digest. */
const TAG$1 = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST$4 = /^sha256:[a-f0-9]{64}$/;
/** `steps` are the parsed steps input; a chosen release only makes sense with deploy alone. */
function parseReleaseChoice(raw, steps) {
    const problems = [];
    const version = raw.version.trim();
    let rollback = false;
    try {
        rollback = parseBoolean(raw.rollback.trim());
    }
    catch (error) {
        problems.push(`rollback: ${error.message}`);
    }
    if (version !== '' && !TAG$1.test(version) && !DIGEST$4.test(version))
        problems.push(`version: "${version}" is neither a tag nor a digest (sha256:<64 hex>)`);
    if (version !== '' && rollback)
        problems.push('version and rollback: choose one (rollback deploys the release that ran before the current one)');
    const chosen = version !== '' || rollback;
    if (chosen && (steps.length !== 1 || steps[0] !== 'deploy'))
        problems.push(`${version !== '' ? 'version' : 'rollback'}: only with steps: deploy alone (the steps were ${steps.join(', ') || 'none'})`);
    if (problems.length > 0)
        throw new InputError(problems);
    if (version !== '')
        return { kind: 'version', version };
    return rollback ? { kind: 'rollback' } : { kind: 'event' };
}
/**
 * The version and rollback inputs read into `fields` (each problem names its input); with
 * deploy-host empty nothing is deployed, and Swarm keeps its own record of the release before.
 */
function readReleaseChoice(fields, steps, deploy) {
    let choice;
    try {
        choice = parseReleaseChoice({ version: fields.read('version'), rollback: fields.read('rollback') }, steps);
    }
    catch (error) {
        if (!(error instanceof InputError))
            throw error;
        for (const problem of error.problems)
            fields.problem(problem);
        return { kind: 'event' };
    }
    if (choice.kind !== 'event' && deploy.hosts === 0)
        fields.problem(`${choice.kind}: needs a deploy-host to deploy to`);
    if (choice.kind === 'rollback' && deploy.orchestrator === 'swarm')
        fields.problem('rollback: not with orchestrator swarm, which keeps the release before in the service itself (docker service rollback); deploy a version instead');
    return choice;
}
/**
 * The APP_VERSION a chosen version is deployed as: the tag itself; for a digest, a tag that
 * names it (`sha256-<hex>`): the engine pulls `repo:tag@digest` by the digest alone, so the tag
 * only shows in `docker ps` which release runs.
 */
function chosenAppVersion(version) {
    return DIGEST$4.test(version) ? version.replace(':', '-') : version;
}
/**
 * The release to roll back to, from what each deploy-host line's running containers record as
 * the release before theirs (undefined: nothing recorded). The hosts must agree: rolling them
 * back to different releases would leave the fleet split, so that refuses.
 */
function previousRelease(hosts) {
    if (hosts.length === 0)
        throw new Error('rollback: no deploy-host to read the previous release from');
    const missing = hosts.filter((host) => host.previous === undefined).map((host) => host.host);
    if (missing.length > 0)
        throw new Error(`rollback: no earlier release is recorded on ${missing.join(', ')}; deploy a version instead`);
    const releases = [...new Set(hosts.map((host) => host.previous))];
    if (releases.length > 1)
        throw new Error(`rollback: the hosts disagree on the previous release (${hosts.map((host) => `${host.host}: ${host.previous}`).join('; ')}); deploy a version instead`);
    return releases[0];
}

// The deploy step's inputs: the host and how to reach it, the Compose project and service, and
// the rollout's waits. Also the refusal to deploy from events anyone may trigger.
const ORCHESTRATORS = ['compose', 'swarm'];
/**
 * The host's keys, and env (it feeds the deployed service, so its values may be secrets). The
 * github-token the deployment is created with is the scan step's secret input, masked with it.
 */
const DEPLOY_SECRET_INPUTS = { whole: ['ssh-private-key', 'tls-key'], values: ['env'] };
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A Compose project name, as Compose normalises one. */
const COMPOSE_PROJECT = /^[a-z0-9][a-z0-9_-]*$/;
const SERVICE_NAME$2 = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
function readDeployInputs(fields, scope) {
    const { read } = fields;
    const dockerHosts = fields.field('deploy-host', parseDockerHosts, []);
    const sshPrivateKey = read('ssh-private-key');
    const sshKnownHosts = read('ssh-known-hosts');
    const tlsCa = read('tls-ca');
    const tlsCert = read('tls-cert');
    const tlsKey = read('tls-key');
    checkPem(fields, 'ssh-private-key', sshPrivateKey, 'PRIVATE KEY');
    checkPem(fields, 'tls-ca', tlsCa, 'CERTIFICATE');
    checkPem(fields, 'tls-cert', tlsCert, 'CERTIFICATE');
    checkPem(fields, 'tls-key', tlsKey, 'PRIVATE KEY');
    checkRemoteAccess(fields, dockerHosts, { sshKnownHosts, tlsCa, tlsCert, tlsKey });
    const service = read('service');
    const deploying = scope.steps.includes('deploy') && dockerHosts.length > 0;
    if (service && !SERVICE_NAME$2.test(service))
        fields.problem(`service: "${service}" is not a Compose service name`);
    if (deploying && !service)
        fields.problem('service: is required to deploy (deploy-host is set)');
    const seconds = (name, fallback) => fields.field(name, (raw) => parseWholeNumber(raw, name), fallback);
    const orchestrator = fields.field('orchestrator', (raw) => parseChoice(raw || 'compose', ORCHESTRATORS), 'compose');
    // Swarm spreads the tasks over its nodes itself: the action talks to one manager.
    if (orchestrator === 'swarm' && dockerHosts.length > 1)
        fields.problem('deploy-host: orchestrator swarm takes one host, a Swarm manager, not several');
    return {
        dockerHosts,
        sshPrivateKey,
        sshKnownHosts,
        tlsCa,
        tlsCert,
        tlsKey,
        composeFiles: fields.field('compose-file', parseLines, ['docker-compose.yml']),
        composeProject: fields.field('compose-project', parseComposeProject, ''),
        service,
        replicas: fields.field('replicas', (raw) => (raw ? parseWholeNumber(raw, 'replicas') : undefined), undefined),
        healthTimeout: seconds('health-timeout', 120),
        switchCommand: fields.field('switch-command', parseSwitchCommand, undefined),
        drainSeconds: seconds('drain-seconds', 0),
        startupGrace: seconds('startup-grace', 10),
        lockTimeout: seconds('lock-timeout', 600),
        keepReleases: fields.field('keep-releases', (raw) => parseWholeNumber(raw, 'keep-releases'), 3),
        breakStaleLock: fields.field('break-stale-lock', parseBoolean, false),
        githubToken: read('github-token'),
        allowUntrustedEvents: fields.field('deploy-on-untrusted-events', parseBoolean, false),
        env: fields.field('env', parseDeployEnv, []),
        rolloutBatch: fields.field('rollout-batch', parseRolloutBatch, { hosts: 1 }),
        batchWait: seconds('batch-wait', 0),
        onFailure: fields.field('on-failure', parseOnFailure, 'rollback'),
        orchestrator,
        ...readEnvironment(fields),
        choice: readReleaseChoice(fields, scope.steps, { hosts: dockerHosts.length, orchestrator })
    };
}
/** GitHub's limit on an environment's name (REST docs, Create or update an environment). */
const ENVIRONMENT_NAME_MAX = 255;
/** environment and environment-url: a name GitHub takes, an http(s) address only with a name. */
function readEnvironment(fields) {
    const environment = fields.field('environment', parseEnvironmentName, '');
    const environmentUrl = fields.field('environment-url', parseEnvironmentUrl, '');
    if (environmentUrl && !environment)
        fields.problem('environment-url: needs environment, the GitHub environment whose deployment it belongs to');
    return { environment, environmentUrl };
}
function parseEnvironmentName(raw) {
    if (raw.length > ENVIRONMENT_NAME_MAX)
        throw new Error(`is ${raw.length} characters long; GitHub takes at most ${ENVIRONMENT_NAME_MAX}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(raw))
        throw new Error('has a control character (a line break?)');
    return raw;
}
function parseEnvironmentUrl(raw) {
    if (!raw)
        return '';
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        throw new Error(`"${raw}" is not an address (https://...)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new Error(`"${raw}" is not an http:// or https:// address`);
    if (url.username || url.password)
        throw new Error('has a user name or password in it: GitHub shows the address to everyone who can read the repository');
    return raw;
}
/** `2` hosts at a time, or `25%` of them (rounded up, at least one host). */
function parseRolloutBatch(raw) {
    const percent = /^(\d+)%$/.exec(raw);
    if (!percent)
        return { hosts: parseWholeNumber(raw, 'rollout-batch') };
    const value = Number(percent[1]);
    if (value < 1 || value > 100)
        throw new Error(`"${raw}" is not a percentage from 1% to 100%`);
    return { percent: value };
}
function parseOnFailure(raw) {
    if (raw === 'rollback' || raw === 'stop')
        return raw;
    throw new Error(`"${raw}" is not rollback (the hosts already on the new release go back to the old one) or stop (they stay on the new one)`);
}
function parseComposeProject(raw) {
    if (raw && !COMPOSE_PROJECT.test(raw)) {
        throw new Error(`"${raw}" is not a Compose project name (lowercase letters, digits, _ and -, starting with a letter or digit)`);
    }
    return raw;
}
/** The env input: variables for Compose, none of those the action sets for the engine. */
function parseDeployEnv(raw) {
    const env = parseKeyValueLines(raw, ENV_KEY, 'a variable name (letters, digits, _)');
    const reserved = env.filter(({ key }) => ENGINE_VARIABLES.includes(key) || key === 'APP_VERSION');
    if (reserved.length > 0) {
        throw new Error(`${reserved.map(({ key }) => key).join(', ')} cannot be set here: the action sets ${reserved.length === 1 ? 'it' : 'them'} (APP_VERSION to the version, the others from deploy-host)`);
    }
    return env;
}
function checkRemoteAccess(fields, hosts, access) {
    const ssh = hosts.find((host) => host.scheme === 'ssh');
    if (ssh && !access.sshKnownHosts) {
        const port = ssh.port && ssh.port !== 22 ? `-p ${ssh.port} ` : '';
        fields.problem(`ssh-known-hosts: is required for an ssh:// deploy-host (host keys are always verified): run \`ssh-keyscan ${port}${ssh.host}\`, check the key's fingerprint (ssh-keygen -lf -) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it), and pass those lines from a secret or variable`);
    }
    if (hosts.some((host) => host.scheme === 'tcp')) {
        for (const [name, value] of [
            ['tls-ca', access.tlsCa],
            ['tls-cert', access.tlsCert],
            ['tls-key', access.tlsKey]
        ]) {
            if (!value)
                fields.problem(`${name}: is required for a tcp:// deploy-host (the engine is reached over mutual TLS)`);
        }
    }
}
/**
 * Events that run a workflow on code or text anyone may send (a pull request, a fork's, a queued
 * merge, a comment): a deploy from them would put that code in production, or run with its
 * secrets at their word.
 */
const UNTRUSTED_DEPLOY_EVENTS = ['pull_request', 'pull_request_target', 'merge_group', 'issue_comment'];
/**
 * Refuses a run that would deploy (deploy in steps, deploy-host set) on such an event, unless
 * deploy-on-untrusted-events allows it; checked before anything is set up.
 */
function refuseUntrustedDeploy(inputs, eventName) {
    const deploying = inputs.steps.includes('deploy') && inputs.deploy.dockerHosts.length > 0;
    if (!deploying || inputs.deploy.allowUntrustedEvents || !UNTRUSTED_DEPLOY_EVENTS.includes(eventName))
        return;
    throw new InputError([
        `steps: deploy does not run on a ${eventName} event, whose code or text may come from anyone who can open a pull request or comment. Deploy from push, release, workflow_dispatch or a job behind an environment approval, and keep this step's deploy off such runs with \`if: github.event_name != '${eventName}'\` (or steps: build,scan on them); or set deploy-on-untrusted-events: true to allow it on this event.`
    ]);
}

// What the post step takes from the state the main step saved (STATE_<name>), trusting none of
// it: the runner also takes state from a line printed as `::save-state name=...::` (deprecated,
// still honoured), and a program's output that got past the guard (program/untrusted-output.ts), or
// anything else that can set the post step's environment, must not make it remove a folder that
// is not the action's, run a command, or touch containers it did not start.
// - A folder must be one the main step made: a real folder (not a link) directly in the runner's
//   temp folder, named as the action names it, owned by this user. The SSH socket's short folder
//   in /tmp likewise, and private (0700).
// - The deploy's own values (the lock name, the access, a rollout under way) are checked where
//   the deploy reads them back: deploy/saved-state.ts and its strategy's recovery.
// - Nothing that runs is read from state: the ssh command line is rebuilt from the deploy-host
//   input and the checked access folder, the switch command from the switch-command input.
/** Why a path is refused, for the post step's warning. */
class UntrustedStateError extends Error {
    constructor(name, reason) {
        super(`the saved ${name} state is ignored: ${reason}`);
        this.name = 'UntrustedStateError';
    }
}
/** What `check` returns, or undefined with a warning saying why the value was refused. */
function trusted(check, warning) {
    try {
        return check();
    }
    catch (error) {
        warning(`${error.message}; nothing is done with it`);
        return undefined;
    }
}

// What the post step does when the main step ended in the middle of a rollout (a cancelled run,
// a crash): it puts the service back in one piece, keeping whichever version can serve. The main
// step saves where it was (RolloutState) at each phase; the containers of the interrupted
// rollout are found again by their Compose labels: every container of the service that is not
// one of the old ones is new.
//   - before the switch: the new containers are removed; the old ones never left service;
//   - during the switch: when every new container is healthy, the switch is finished (the old
//     ones leave the name, switch-command, the old ones stopped); otherwise it is undone (the old
//     ones get the name back, the new ones leave it, switch-command, the new ones removed);
//   - after the switch: the old containers are stopped and removed.
// The saved state is trusted no more than any other (run/trusted-state.ts): it must be of the
// service the `service` input names, in a Compose project, its old containers full IDs; the
// switch command comes from the switch-command input, never from state.
const SERVICE_NAME$1 = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const CONTAINER_ID = /^[0-9a-f]{64}$/;
function parseRolloutState(text) {
    if (!text)
        return undefined;
    let state;
    try {
        state = JSON.parse(text);
    }
    catch {
        state = null;
    }
    const phases = ['scaling', 'switching', 'switched'];
    if (typeof state !== 'object' ||
        state === null ||
        typeof state.project !== 'string' ||
        typeof state.service !== 'string' ||
        !Array.isArray(state.old) ||
        !phases.includes(state.phase)) {
        throw new Error('the saved rollout state is not one the main step writes');
    }
    return state;
}
/**
 * The strategy's side of the post step: the rollout the main step saved, checked against the
 * inputs, and its recovery with the switch-command input; undefined when none was under way.
 */
function interruptedRollout(saved, input) {
    const state = checkedRollout(saved, input('service'));
    if (!state)
        return undefined;
    return {
        service: state.service,
        recover: async (docker, log) => {
            const command = trusted(() => parseSwitchCommand(input('switch-command')), (message) => log.warning(message));
            await recoverRollout(docker, state, command, log);
        }
    };
}
/**
 * The rollout the main step was in, when it is one of the service the `service` input names,
 * of a Compose project, with old containers by full ID; undefined when empty.
 */
function checkedRollout(text, service) {
    let state;
    try {
        state = parseRolloutState(text);
    }
    catch (error) {
        throw new UntrustedStateError('deploy-rollout', error.message);
    }
    if (!state)
        return undefined;
    if (!SERVICE_NAME$1.test(service) || state.service !== service) {
        throw new UntrustedStateError('deploy-rollout', `it is of service ${JSON.stringify(state.service)}, and the service input is ${JSON.stringify(service)}`);
    }
    if (!COMPOSE_PROJECT.test(state.project)) {
        throw new UntrustedStateError('deploy-rollout', `${JSON.stringify(state.project)} is not a Compose project name`);
    }
    if (!state.old.every((id) => typeof id === 'string' && CONTAINER_ID.test(id))) {
        throw new UntrustedStateError('deploy-rollout', 'its old containers are not all container IDs');
    }
    // Only what the main step writes: the switch command comes from the input.
    return { project: state.project, service: state.service, old: [...state.old], phase: state.phase };
}
/** Puts the service back in one piece; returns what it found and did, one line each. */
async function recoverRollout(docker, state, 
/** The switch-command input, to finish or undo a switch. */
command, log) {
    const containers = new Containers(docker);
    const { project, service } = state;
    const oldIds = new Set(state.old);
    const all = await containers.inspect(await containers.list(project, service, true));
    const old = all.filter((container) => oldIds.has(container.id));
    const fresh = all.filter((container) => !oldIds.has(container.id));
    const names = (list) => list.map((container) => container.name).join(', ') || 'none';
    const report = [
        `The deploy of ${service} (${project}) ended ${describePhase(state.phase)}: ${old.length} old container(s) (${names(old)}), ${fresh.length} new (${names(fresh)}).`
    ];
    const scope = { docker, project, service };
    if (state.phase === 'scaling') {
        await containers.remove(fresh.map((container) => container.id));
        report.push(`Removed the ${fresh.length} new container(s); the old ones kept serving.`);
    }
    else if (state.phase === 'switched') {
        await containers.stopAndRemove(old.map((container) => container.id));
        report.push(`Stopped and removed the ${old.length} old container(s); the new ones serve.`);
    }
    else if (fresh.length > 0 && fresh.every(canServe)) {
        await switchTraffic(scope, command, containers, old, log);
        await containers.stopAndRemove(old.map((container) => container.id));
        report.push(`Every new container was healthy: finished the switch and removed the ${old.length} old container(s).`);
    }
    else {
        await restoreName(containers, old, fresh, service);
        await switchTraffic(scope, command, containers, fresh, log);
        await containers.remove(fresh.map((container) => container.id));
        report.push(`Not every new container was healthy: gave the old container(s) the name back and removed the ${fresh.length} new one(s).`);
    }
    for (const line of report)
        log.info(line);
    return report;
}
function describePhase(phase) {
    if (phase === 'scaling')
        return 'before the switch';
    if (phase === 'switching')
        return 'during the switch';
    return 'after the switch, before the old containers were removed';
}
/**
 * Gives the old containers the service's name back (keeping their addresses) on each network
 * where the new containers have it and they do not.
 */
async function restoreName(containers, old, fresh, service) {
    const networks = new Set(fresh.flatMap((container) => Object.entries(container.networks)
        .filter(([, endpoint]) => endpoint.aliases.includes(service))
        .map(([network]) => network)));
    for (const container of old) {
        for (const [network, endpoint] of Object.entries(container.networks)) {
            if (!networks.has(network) || endpoint.aliases.includes(service))
                continue;
            const aliases = [service, ...endpoint.aliases.filter((alias) => alias !== short(container.id))];
            await containers.disconnect(network, container.id);
            await containers.connect(network, container.id, aliases, endpoint.ip);
        }
    }
}

// Where a rollback learns what ran before: every container a Compose rollout starts carries a
// label naming the image of the release it replaces, by digest. The next `rollback: true` reads
// it from the running containers (the host's own record, not a guess from the registry's tags).
// The label goes on through a small compose file of the action's, added after the user's files
// for the scale-up only, outside the workspace.
const PREVIOUS_IMAGE_LABEL = 'com.container-ship.previous-image';
const PINNED = /@sha256:[0-9a-f]{64}$/;
/** The characters and length of an image reference (name, tag, digest). */
const REFERENCE_TEXT = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,400}$/;
/**
 * The reference `image` ran by, as a digest reference: itself when pinned (what the action
 * deploys), else `image@<digest>` from the image's RepoDigests of the same repository;
 * undefined when neither says.
 */
function digestReference$1(image, repoDigests) {
    if (PINNED.test(image))
        return image;
    const tagAt = image.lastIndexOf(':');
    const repository = tagAt > image.lastIndexOf('/') ? image.slice(0, tagAt) : image;
    const digest = repoDigests
        .map((entry) => /^(.+)@(sha256:[0-9a-f]{64})$/.exec(entry))
        .find((match) => match?.[1] === repository)?.[2];
    return digest ? `${image}@${digest}` : undefined;
}
/** A compose file (JSON is YAML) that puts the label on `service`'s containers. */
function labelOverride(service, previous) {
    return `${JSON.stringify({ services: { [service]: { labels: { [PREVIOUS_IMAGE_LABEL]: previous } } } }, null, 2)}\n`;
}
/** The digest reference of the release the old containers run; undefined on a first deploy. */
async function previousReference(docker, old) {
    if (!old)
        return undefined;
    if (PINNED.test(old.image))
        return old.image;
    const inspected = await docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', old.imageId], {
        quiet: true,
        allowFailure: true
    });
    let repoDigests;
    try {
        repoDigests = JSON.parse(inspected.stdout.trim() || '[]');
    }
    catch {
        repoDigests = [];
    }
    return digestReference$1(old.image, Array.isArray(repoDigests) ? repoDigests.filter((entry) => typeof entry === 'string') : []);
}
/**
 * Runs `scaleUp` with the label file among the compose files (`files` when there is nothing to
 * record: a first deploy, or an old image the engine knows no digest of); the file is removed after.
 */
async function withPreviousLabel(service, previous, scaleUp) {
    if (!previous)
        return scaleUp([]);
    const dir = mkdtempSync(path$1.join(process.env.RUNNER_TEMP || os$1.tmpdir(), 'container-ship-labels-'));
    try {
        const file = path$1.join(dir, 'previous-release.yml');
        writeFileSync(file, labelOverride(service, previous), { mode: 0o600 });
        return await scaleUp([file]);
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
/**
 * What the running containers of the service record as the release before theirs: undefined
 * when none records one; an error when they record different ones (an unfinished rollout).
 */
function recordedPrevious(labels) {
    const values = [...new Set(labels.map((entry) => entry?.[PREVIOUS_IMAGE_LABEL] ?? ''))];
    // Quoted in messages only once it looks like an image reference: the host's text stays inert.
    if (values.some((value) => value !== '' && !REFERENCE_TEXT.test(value)))
        throw new Error(`a container's ${PREVIOUS_IMAGE_LABEL} label is not an image reference`);
    if (values.length > 1)
        throw new Error(`its containers record different releases before theirs (${values.map((value) => value || 'none').join(', ')}): an earlier rollout did not finish`);
    return values[0] || undefined;
}
/** The labels of the service's running containers on a host. */
async function runningLabels(docker, project, service, list) {
    const ids = await list(project, service);
    if (ids.length === 0)
        return [];
    const result = await docker.run(['container', 'inspect', '--format', '{{json .Config.Labels}}', ...ids], {
        quiet: true
    });
    return result.stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) ?? {});
}

// Compose blue-green, the first deploy strategy: a rollout of one Compose service with no request
// dropped. The new containers come up beside the old ones (scale to 2N, --no-recreate, no
// dependencies touched); only when every new one is ready does the traffic move: the old
// containers leave the service's DNS name first, then switch-command makes the proxy re-resolve,
// then the old ones are drained, stopped by ID and removed. When a new container fails, only the
// new ones are removed: the old ones were never touched and keep serving. Where the rollout is
// is saved at each phase (RolloutState); the post step finishes or undoes it (recovery.ts).
const composeBlueGreen = {
    prepare: (deploy, version, cwd, log) => {
        const plan = readComposePlan(deploy, version, cwd, log);
        return {
            project: plan.project,
            service: plan.service.name,
            image: plan.service.image,
            connect: (docker) => connect$2(plan, deploy, docker),
            // `version@sha256:...` is still a tag, with the digest the engine pulls and checks.
            pinned: (digest) => composeBlueGreen.prepare(deploy, `${version}@${digest}`, cwd, log),
            releaseOf: (image) => {
                const other = versionOf(image, (probe) => readComposePlan(deploy, probe, cwd, QUIET$1).service.image);
                return other === undefined ? undefined : composeBlueGreen.prepare(deploy, other, cwd, QUIET$1);
            }
        };
    },
    interrupted: interruptedRollout
};
/** The compose files' warnings were given when the plan was first read. */
const QUIET$1 = { info: () => undefined, warning: () => undefined };
/** A stand-in version, to see where APP_VERSION lands in the service's image. */
const VERSION_PROBE = '0.0.0-container-ship-probe';
/** A tag, optionally pinned to a digest: what APP_VERSION holds. */
const RELEASE_VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?$/;
/**
 * The APP_VERSION for which the service's image (`imageFor(version)`) is `image`; undefined when
 * the image does not use APP_VERSION or `image` is not of that form.
 */
function versionOf(image, imageFor) {
    const probed = imageFor(VERSION_PROBE);
    const at = probed.indexOf(VERSION_PROBE);
    if (at < 0)
        return undefined;
    const prefix = probed.slice(0, at);
    const suffix = probed.slice(at + VERSION_PROBE.length);
    if (image.length <= prefix.length + suffix.length || !image.startsWith(prefix) || !image.endsWith(suffix))
        return undefined;
    const version = image.slice(prefix.length, image.length - suffix.length);
    return RELEASE_VERSION.test(version) && imageFor(version) === image ? version : undefined;
}
/** The Compose to run (the v2 plugin, else v1), against the host's engine. */
async function connect$2(plan, settings, docker) {
    const variant = await probeCompose(docker);
    const compose = new Compose(docker, variant, plan.files, plan.project, plan.variables, plan.cwd);
    return {
        tool: compose.label,
        rollOut: (imageId, hooks, report) => new BlueGreen(plan, compose, settings, imageId, hooks, report).rollOut()
    };
}
/**
 * N when the replicas input is empty: the number of running containers of the image most of them
 * run (an unfinished earlier rollout leaves two images side by side, and 2N is not what serves),
 * else the compose file's, else 1.
 */
function defaultReplicas(running, composeReplicas) {
    const perImage = new Map();
    for (const { imageId } of running)
        perImage.set(imageId, (perImage.get(imageId) ?? 0) + 1);
    return Math.max(0, ...perImage.values()) || composeReplicas || 1;
}
/** One rollout, with the lock held; fills the report as it goes. */
class BlueGreen {
    plan;
    compose;
    settings;
    imageId;
    hooks;
    report;
    containers;
    project;
    service;
    /** The containers that served before, by ID. */
    old = [];
    oldIds = new Set();
    fresh = [];
    replicas = 0;
    scaleStart = 0;
    constructor(plan, compose, settings, imageId, hooks, report) {
        this.plan = plan;
        this.compose = compose;
        this.settings = settings;
        this.imageId = imageId;
        this.hooks = hooks;
        this.report = report;
        this.containers = new Containers(compose.docker);
        this.project = plan.project;
        this.service = plan.service.name;
    }
    async rollOut() {
        await this.takeStock();
        this.save('scaling');
        try {
            // The new containers name the release they replace: the next rollback reads it there.
            const previous = await previousReference(this.compose.docker, this.old[0]);
            const projectRunning = await withPreviousLabel(this.service, previous, (files) => this.scaleUp(this.compose.withFiles(files)));
            await this.checkNew();
            await this.waitReady();
            await this.recheckBeforeSwitch();
            this.hooks.mark('healthy');
            // A proxy that was already running resolves the name again; one that Compose just started
            // with the new containers already knows them.
            if (this.old.length > 0 || projectRunning)
                await this.switchTraffic();
        }
        catch (error) {
            await this.rollBack(error);
        }
        this.save('switched');
        await this.drain();
        await this.stopOld();
        await this.verify();
        this.report.deployed = true;
    }
    /** Where the rollout is, for the post step. */
    save(phase) {
        const state = { project: this.project, service: this.service, old: [...this.oldIds], phase };
        this.hooks.saveState(JSON.stringify(state));
    }
    /** The running containers are the old ones, and say N; stopped ones are removed. */
    async takeStock() {
        const existing = await this.containers.inspect(await this.containers.list(this.project, this.service, true));
        await this.removeStopped(existing.filter((container) => !container.running));
        this.old = existing.filter((container) => container.running);
        this.oldIds = new Set(this.old.map((container) => container.id));
        this.report.previousImage = this.old[0]?.image ?? '';
        const images = new Set(this.old.map((container) => container.imageId));
        if (images.size > 1) {
            this.hooks.log.warning(`${this.old.length} containers of ${this.service} run ${images.size} different images: an earlier rollout did not finish (its post step did not run). This release replaces all of them.`);
        }
        this.replicas = this.settings.replicas ?? defaultReplicas(this.old, this.plan.service.replicas);
        this.report.replicas = this.replicas;
        this.report.firstDeploy = this.old.length === 0;
    }
    /** Stopped containers serve nothing, and Compose would count (and restart) them when scaling. */
    async removeStopped(stopped) {
        if (stopped.length === 0)
            return;
        this.hooks.log.info(`Removing ${stopped.length} stopped container(s) of ${this.service}: ${stopped.map((c) => c.name).join(', ')}`);
        await this.containers.remove(stopped.map((container) => container.id));
    }
    /** N new containers beside the old ones (`compose`: with the label file); whether the project ran anything before. */
    async scaleUp(compose) {
        const { service, replicas } = this;
        this.scaleStart = Date.now();
        if (this.old.length > 0) {
            this.hooks.log.info(`Starting ${replicas} new container(s) of ${service} beside the ${this.old.length} running`);
            await compose.run(scaleUpCommand(service, this.old.length + replicas));
            return true;
        }
        const projectRunning = (await this.containers.list(this.project)).length > 0;
        // On an empty host the whole stack comes up (the proxy in front included); otherwise only
        // this service, its dependencies left as they are.
        await compose.run(projectRunning
            ? scaleUpCommand(service, replicas)
            : ['up', '--detach', '--scale', `${service}=${replicas}`]);
        return projectRunning;
    }
    /** The new containers: N of them, of the image deployed. */
    async checkNew() {
        const ids = await this.containers.list(this.project, this.service, true);
        this.fresh = await this.containers.inspect(ids.filter((id) => !this.oldIds.has(id)));
        this.report.containers = this.fresh.map((container) => container.id);
        this.hooks.mark('scaled up');
        if (this.fresh.length !== this.replicas) {
            throw new Error(`Compose started ${this.fresh.length} new container(s) of ${this.service}, not ${this.replicas}`);
        }
        const stale = this.fresh.filter((container) => container.imageId !== this.imageId);
        if (stale.length > 0) {
            throw new Error(`the new container(s) ${stale.map((c) => c.name).join(', ')} run ${stale[0]?.image}, not ${this.plan.service.image} (${short(this.imageId)}): does the compose file's image use \${APP_VERSION}?`);
        }
    }
    /** Every new container ready within health-timeout (counted from the scale-up). */
    async waitReady() {
        const { log } = this.hooks;
        if (this.fresh.some((container) => !container.health)) {
            log.warning(`service ${this.service} has no healthcheck: the new containers count as ready once they have run ${this.settings.startupGrace} s (startup-grace). Add a HEALTHCHECK to the image or a healthcheck: to the service, so that a container that runs but does not serve never gets traffic.`);
        }
        log.info(`Waiting for ${this.fresh.map((container) => container.name).join(', ')} to be ready`);
        const outcome = await waitUntilReady(this.compose.docker, this.fresh, {
            timeoutMs: Math.max(0, this.settings.healthTimeout * 1000 - (Date.now() - this.scaleStart)),
            graceMs: this.settings.startupGrace * 1000,
            inspect: (ids) => this.containers.inspect(ids),
            connectionAlive: this.hooks.connectionAlive,
            report: (what, message) => {
                log.warning(message);
                this.hooks.mark(what === 'lost' ? 'lost the engine' : 'engine back');
            },
            onEngineBack: (engineVersion, pendingIds) => this.rearmHealthchecks(engineVersion, pendingIds)
        });
        if (!outcome.ready)
            await this.fail(outcome);
    }
    /** A dropped connection leaves the healthchecks running; only a restart stops them. */
    async rearmHealthchecks(engineVersion, pendingIds) {
        const unchecked = this.fresh.filter((c) => c.health && pendingIds.includes(c.id));
        if (!losesHealthchecksOnRestart(engineVersion) || unchecked.length === 0)
            return;
        if (!(await restartedSinceStart(this.compose.docker, unchecked)))
            return;
        this.hooks.log.warning(`The engine restarted, and Engine ${engineVersion} does not run the healthchecks of the containers it kept through a restart (moby/moby#41871, mended in Engine 23.0): pausing and unpausing the ${unchecked.length} new container(s) still starting, which starts their healthchecks again`);
        await this.containers.rearmHealthchecks(unchecked.map((c) => c.id));
    }
    /** Once more, right before the traffic moves: none may have turned unhealthy or exited since. */
    async recheckBeforeSwitch() {
        const recheck = await this.containers.inspect(this.fresh.map((container) => container.id));
        const unwell = recheck.filter((container) => !canServe(container));
        if (unwell.length === 0)
            return;
        await this.fail({
            ready: false,
            failures: Object.fromEntries(unwell.map((container) => [container.id, `${describeState(container)} before the switch`]))
        });
    }
    /** Why the new containers were not accepted, in the report; then the rollout fails. */
    async fail(outcome) {
        this.hooks.mark('not healthy');
        this.report.failures = await describeFailures(this.containers, this.fresh, outcome, this.settings.healthTimeout);
        throw new Error(failureMessage$1(this.service, this.report.failures));
    }
    /** The old containers leave the name, then switch-command. */
    async switchTraffic() {
        this.save('switching');
        await switchTraffic({ docker: this.compose.docker, project: this.project, service: this.service }, this.settings.switchCommand, this.containers, this.old, this.hooks.log);
        this.hooks.mark('switched');
    }
    /**
     * Only what this run started goes, and `error` is thrown again; the old containers were never
     * taken off the network (switchTraffic puts them back when the switch itself fails).
     */
    async rollBack(error) {
        const listed = await this.containers
            .list(this.project, this.service, true)
            .catch(() => this.report.containers);
        try {
            await this.containers.remove(listed.filter((id) => !this.oldIds.has(id)));
        }
        catch (removal) {
            // The host cannot be reached (a cut connection): the saved rollout state stays, and the
            // post step removes them through a new connection.
            this.hooks.log.warning(`could not remove the new containers now (${removal.message}); the post step will try again`);
            throw error;
        }
        this.hooks.saveState('');
        this.report.rolledBack = true;
        this.hooks.mark('new containers removed');
        throw error;
    }
    async drain() {
        const seconds = this.settings.drainSeconds;
        if (seconds <= 0)
            return;
        this.hooks.log.info(`Draining: ${seconds} s before the old containers stop`);
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        this.hooks.mark('drained');
    }
    async stopOld() {
        await this.containers.stopAndRemove([...this.oldIds]);
        if (this.old.length > 0)
            this.hooks.mark('old removed');
        this.hooks.saveState('');
    }
    /** Exactly the new containers run, all of the new image. */
    async verify() {
        const running = await this.containers.inspect(await this.containers.list(this.project, this.service));
        const wanted = new Set(this.report.containers);
        const strays = running.filter((container) => !wanted.has(container.id) || container.imageId !== this.imageId);
        if (running.length !== this.replicas || strays.length > 0) {
            throw new Error(`after the rollout ${running.length} container(s) of ${this.service} run (${running.map((c) => `${c.name} ${c.image}`).join(', ')}), not the ${this.replicas} new one(s) of ${this.plan.service.image}`);
        }
    }
}

// The rolling update Swarm must do for a release to go out with no request dropped and to undo
// itself: new tasks started before old ones stop (order: start-first), a failed update rolled
// back (failure_action: rollback) after watching each new task for a while (monitor), and a
// rollback_config so that the rollback also starts before it stops. What the rolled service's
// deploy: lacks, the action adds in its generated compose file, and says so.
/** The monitor window the action sets when the file names none (Swarm's own default is 5 s). */
const DEFAULT_MONITOR = '10s';
/** What the action sets on a rollback_config the file lacks: all old tasks back at once, started first. */
const DEFAULT_ROLLBACK_CONFIG = { parallelism: 0, order: 'start-first', failure_action: 'pause' };
/**
 * What `deploy` (the rolled service's merged deploy: mapping, or undefined) lacks, as a deploy:
 * fragment that repeats the file's own update_config/rollback_config keys beside the added ones
 * (the docker CLI then merges the same values whichever way it merges nested mappings).
 */
function updateConfigPatch(deploy, replicas) {
    const given = isMapping(deploy) ? deploy : {};
    const update = isMapping(given.update_config) ? { ...given.update_config } : {};
    const added = [];
    if (update.order !== 'start-first') {
        added.push(`update_config.order: start-first${update.order ? ` (was ${String(update.order)})` : ''}`);
        update.order = 'start-first';
    }
    if (update.failure_action !== 'rollback') {
        added.push(`update_config.failure_action: rollback${update.failure_action ? ` (was ${String(update.failure_action)})` : ''}`);
        update.failure_action = 'rollback';
    }
    if (update.monitor === undefined || update.monitor === null || update.monitor === '') {
        added.push(`update_config.monitor: ${DEFAULT_MONITOR}`);
        update.monitor = DEFAULT_MONITOR;
    }
    const fragment = {};
    if (added.length > 0)
        fragment.update_config = update;
    if (!isMapping(given.rollback_config)) {
        added.push(`rollback_config: ${Object.entries(DEFAULT_ROLLBACK_CONFIG)
            .map(([key, value]) => `${key} ${value}`)
            .join(', ')}`);
        fragment.rollback_config = { ...DEFAULT_ROLLBACK_CONFIG };
    }
    // The replicas input wins over the file, as it does for Compose.
    if (replicas !== undefined)
        fragment.replicas = replicas;
    return Object.keys(fragment).length > 0 ? { deploy: fragment, added } : { added };
}

// Swarm secrets and configs are immutable: a stack deploy that changes one's content under the
// same name fails. So each secret and config the compose files define from a `file:` or from
// `environment:` gets a name with a hash of its content (`<stack>_<key>_<12 hex>`): a changed
// value is a new object, the service switches to it in the same rolling update, and the older
// versions are removed once the update succeeded (cleanup.ts).
// `docker stack deploy` refuses `environment:` (its schema only knows `file:`), so a file that
// defines one is handed to it rewritten: that entry becomes `file:` of a private file holding
// the value, outside the workspace. Pure: the files are read through the reader given.
/** The compose file's top-level section of a kind. */
const SECTION = {
    secret: 'secrets',
    config: 'configs'
};
/** Docker refuses longer secret and config names. */
const NAME_LIMIT$1 = 64;
/** `<stack>_<key>_` and the first 12 hex digits of the content's sha256. */
function versionName(stack, key, content) {
    const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
    return `${stack}_${key}_${hash}`;
}
/** A version's name is the prefix and 12 hex digits, nothing else. */
function isVersionOf(name, prefix) {
    return name.startsWith(prefix) && /^[0-9a-f]{12}$/.test(name.slice(prefix.length));
}
/** Each file's top-level entries of a section, merged by key in file order (the last file's wins). */
function definitions(layers, section) {
    const found = new Map();
    for (const layer of layers) {
        const entries = layer.document[section];
        if (!isMapping(entries))
            continue;
        for (const [key, value] of Object.entries(entries)) {
            if (!isMapping(value))
                continue;
            const before = found.get(key);
            found.set(key, {
                definition: { ...before?.definition, ...value },
                files: [...(before?.files ?? []), layer.path]
            });
        }
    }
    return found;
}
/**
 * The secrets and configs to version: those defined from `file:` (read with `readFile`, its path
 * as the compose file gives it) or `environment:` (its value from `env`), not external and not
 * named by the file. Throws ComposeFileError for a file that cannot be read, a variable that is
 * unset or a name that would be too long.
 */
function versionedObjects(layers, stack, env, readFile) {
    const objects = [];
    const problems = [];
    for (const kind of ['secret', 'config']) {
        for (const [key, { definition }] of definitions(layers, SECTION[kind])) {
            if (definition.external === true || definition.external === 'true' || definition.name)
                continue;
            const prefix = `${stack}_${key}_`;
            let object;
            if (typeof definition.environment === 'string') {
                const variable = definition.environment;
                const value = env[variable];
                if (value === undefined) {
                    problems.push(`compose-file: ${SECTION[kind]}.${key} comes from the variable ${variable}, which is not set (set it in the env input)`);
                    continue;
                }
                object = { kind, key, name: versionName(stack, key, value), prefix, variable, value };
            }
            else if (typeof definition.file === 'string') {
                try {
                    object = {
                        kind,
                        key,
                        name: versionName(stack, key, readFile(definition.file)),
                        prefix,
                        file: definition.file
                    };
                }
                catch (error) {
                    problems.push(`compose-file: ${SECTION[kind]}.${key}: cannot read ${definition.file}: ${error.message}`);
                    continue;
                }
            }
            if (!object)
                continue;
            if (object.name.length > NAME_LIMIT$1) {
                problems.push(`compose-file: ${SECTION[kind]}.${key}: its versioned name ${object.name} is longer than Docker's ${NAME_LIMIT$1} characters; use a shorter stack (compose-project) or key`);
                continue;
            }
            objects.push(object);
        }
    }
    if (problems.length > 0)
        throw new ComposeFileError(problems);
    return objects;
}
/** The generated file's top-level secrets:/configs: entries naming each file-fed version. */
function versionedSections(objects) {
    const out = {};
    for (const object of objects) {
        if (object.file === undefined)
            continue; // env-fed: named in the rewritten file
        const section = SECTION[object.kind];
        // The file again: the docker CLI reads an entry without one as its folder, which then wins.
        out[section] = { ...out[section], [object.key]: { name: object.name, file: object.file } };
    }
    return out;
}
/** The paths of the files that define one of these objects from `environment:`. */
function filesToRewrite(layers, objects) {
    const fromEnv = objects.filter((object) => object.variable !== undefined);
    return layers
        .filter((layer) => fromEnv.some((object) => {
        const entry = layer.document[SECTION[object.kind]]?.[object.key];
        return isMapping(entry) && entry.environment !== undefined;
    }))
        .map((layer) => layer.path)
        .filter((file, index, all) => all.indexOf(file) === index);
}
/**
 * A compose file's text with each env-fed entry it defines made `file: <valueFile(object)>` with
 * the versioned name; everything else as written (the docker CLI interpolates it).
 */
function rewriteEnvObjects(text, objects, valueFile) {
    const document = parseDocument(text, { merge: true });
    for (const object of objects) {
        if (object.variable === undefined)
            continue;
        const at = [SECTION[object.kind], object.key];
        const entry = document.getIn(at);
        if (entry === undefined || entry === null)
            continue;
        const kept = isMapping(entry.toJSON?.())
            ? entry.toJSON()
            : {};
        delete kept.environment;
        document.setIn(at, document.createNode({ ...kept, file: valueFile(object), name: object.name }));
    }
    return document.toString();
}

// What a Swarm rollout needs settled before anything is built: the compose files read, merged and
// interpolated as `docker stack deploy` reads them (the process environment, the env input and
// APP_VERSION; no .env file, which the docker CLI does not read), the rolled service checked (it
// runs old and new tasks side by side, as Compose blue-green does), the stack named, the update
// settings it lacks and the versioned secrets and configs worked out for the generated file.
/** The name of the rolled service in the swarm. */
function swarmServiceName(stack, service) {
    return `${stack}_${service}`;
}
function readSwarmPlan(deploy, version, cwd, log) {
    const variables = composeVariables({ deploy }, version);
    const interpolationEnv = { ...definedOnly(programEnv()), ...variables };
    const read = (file) => readFileSync(path$1.resolve(cwd, file), 'utf8');
    const texts = readComposeFiles(deploy.composeFiles, read);
    const model = loadCompose(texts, interpolationEnv);
    for (const warning of model.warnings)
        log.warning(`compose-file: ${warning}`);
    const stack = composeProjectName(model, {
        composeProject: deploy.composeProject,
        env: interpolationEnv,
        cwd
    });
    const service = checkRolloutService(model, deploy.service);
    if (service.healthcheck === 'disabled') {
        log.warning(`compose-file: service ${service.name} turns its healthcheck off: Swarm counts a new task as ready as soon as it runs, which proves less than a healthcheck`);
    }
    // The docker CLI resolves relative paths from the first compose file's folder.
    const workingDir = path$1.dirname(path$1.resolve(cwd, deploy.composeFiles[0] ?? 'docker-compose.yml'));
    const versioned = versionedObjects(model.layers, stack, interpolationEnv, (file) => readFileSync(path$1.resolve(workingDir, file)));
    const patch = updateConfigPatch(model.services[service.name]?.raw.deploy, deploy.replicas);
    const override = { ...versionedSections(versioned) };
    if (patch.deploy)
        override.services = { [service.name]: { deploy: patch.deploy } };
    return {
        stack,
        service,
        files: deploy.composeFiles,
        texts: Object.fromEntries(texts.map(({ path: file, text }) => [file, text])),
        variables,
        cwd,
        ...(Object.keys(override).length > 0 ? { override } : {}),
        added: patch.added,
        versioned,
        rewritten: filesToRewrite(model.layers, versioned)
    };
}

const asObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
const asString = (value) => (typeof value === 'string' ? value : '');
/** One service as `docker service inspect` prints it. */
function parseService(inspected) {
    const service = asObject(inspected);
    const spec = asObject(service.Spec);
    const template = asObject(spec.TaskTemplate);
    const container = asObject(template.ContainerSpec);
    const replicated = asObject(asObject(spec.Mode).Replicated);
    const status = asObject(service.UpdateStatus);
    const healthcheck = asObject(container.Healthcheck);
    const test = healthcheck.Test;
    return {
        id: asString(service.ID),
        image: asString(container.Image),
        ...(typeof replicated.Replicas === 'number' ? { replicas: replicated.Replicas } : {}),
        healthcheck: Array.isArray(test) && test.length > 0 && test[0] !== 'NONE',
        taskTemplate: JSON.stringify(template),
        ...(asString(status.State)
            ? {
                update: {
                    state: asString(status.State),
                    startedAt: asString(status.StartedAt),
                    message: asString(status.Message)
                }
            }
            : {})
    };
}
/** One task as `docker inspect` prints it. */
function parseTask(inspected, nodes = new Map()) {
    const task = asObject(inspected);
    const status = asObject(task.Status);
    const nodeId = asString(task.NodeID);
    return {
        id: asString(task.ID),
        ...(typeof task.Slot === 'number' && task.Slot > 0 ? { slot: task.Slot } : {}),
        nodeId,
        node: nodes.get(nodeId) ?? nodeId.slice(0, 12),
        desiredState: asString(task.DesiredState),
        state: asString(status.State),
        error: asString(status.Err),
        message: asString(status.Message),
        image: asString(asObject(asObject(task.Spec).ContainerSpec).Image),
        containerId: asString(asObject(status.ContainerStatus).ContainerID),
        timestamp: asString(status.Timestamp)
    };
}
class SwarmService {
    docker;
    name;
    nodes = new Map();
    constructor(docker, 
    /** `<stack>_<service>`. */
    name) {
        this.docker = docker;
        this.name = name;
    }
    /** The service, or undefined when the swarm has none of this name. */
    async inspect() {
        const result = await this.docker.run(['service', 'inspect', '--format', '{{json .}}', this.name], {
            quiet: true,
            allowFailure: true
        });
        if (result.exitCode !== 0) {
            if (/no such service|not found/i.test(result.stderr))
                return undefined;
            throw new Error(`docker service inspect ${this.name} failed: ${result.stderr.trim()}`);
        }
        return parseService(JSON.parse(result.stdout));
    }
    /** The service's tasks (Swarm keeps a few finished ones per slot), with their nodes' hostnames. */
    async tasks() {
        const listed = await this.docker.run(['service', 'ps', '--quiet', '--no-trunc', this.name], {
            quiet: true
        });
        const ids = listed.stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean);
        if (ids.length === 0)
            return [];
        const inspected = await this.docker.run(['inspect', '--type', 'task', ...ids], {
            quiet: true,
            allowFailure: true
        });
        // A task removed between the two calls makes inspect fail: the next poll lists again.
        if (inspected.exitCode !== 0)
            return [];
        const tasks = JSON.parse(inspected.stdout);
        if (tasks.some((task) => !this.nodes.has(asString(asObject(task).NodeID))))
            await this.readNodes();
        return tasks.map((task) => parseTask(task, this.nodes));
    }
    async readNodes() {
        const result = await this.docker.run(['node', 'ls', '--format', '{{.ID}} {{.Hostname}}'], {
            quiet: true,
            allowFailure: true
        });
        for (const line of result.stdout.split('\n')) {
            const [id, hostname] = line.trim().split(/\s+/);
            if (id && hostname)
                this.nodes.set(id, hostname);
        }
    }
}

/** How often the manager is asked again while something converges. */
const POLL_MS = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Rolls the service back to its previous spec and waits up to `timeoutSeconds` for Swarm to end
 * the rollback; returns the UpdateStatus state it ended in ('' when the service has none).
 */
async function rollBackService(docker, name, timeoutSeconds, log) {
    const result = await docker.run(['service', 'rollback', '--detach=true', name], {
        quiet: true,
        allowFailure: true
    });
    if (result.exitCode !== 0)
        throw new Error(`docker service rollback ${name} failed: ${result.stderr.trim()}`);
    log.info(`Asked Swarm to roll ${name} back to its previous spec`);
    return waitForRollback(new SwarmService(docker, name), timeoutSeconds);
}
/** Waits while Swarm rolls back; the state it ended in, or the last seen at the timeout. */
async function waitForRollback(service, timeoutSeconds) {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const state = (await service.inspect())?.update?.state ?? '';
        if (state !== 'rollback_started' && state !== 'updating')
            return state;
        if (Date.now() > deadline)
            return state;
        await sleep(POLL_MS);
    }
}

// What the main step saves for the post step while Swarm updates the service (the stack and the
// service, nothing else), and its check when read back: the post step trusts no saved value
// (run/trusted-state.ts), so the service must be the one the `service` input names and the stack
// a valid stack name; what is done about it is decided from the manager's own answer.
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
function saveSwarmState(hooks, state) {
    hooks.saveState(JSON.stringify({ orchestrator: 'swarm', stack: state.stack, service: state.service }));
}
/** The saved rollout, checked against the service input; undefined when none was saved. */
function checkedSwarmState(text, service) {
    if (!text)
        return undefined;
    let state;
    try {
        state = JSON.parse(text);
    }
    catch {
        state = undefined;
    }
    const saved = (typeof state === 'object' && state !== null ? state : {});
    if (saved.orchestrator !== 'swarm' ||
        typeof saved.stack !== 'string' ||
        typeof saved.service !== 'string') {
        throw new UntrustedStateError('deploy-rollout', 'it is not one the main step writes for a Swarm rollout');
    }
    if (!SERVICE_NAME.test(service) || saved.service !== service) {
        throw new UntrustedStateError('deploy-rollout', `it is of service ${JSON.stringify(saved.service)}, and the service input is ${JSON.stringify(service)}`);
    }
    if (!COMPOSE_PROJECT.test(saved.stack)) {
        throw new UntrustedStateError('deploy-rollout', `${JSON.stringify(saved.stack)} is not a stack name`);
    }
    return { stack: saved.stack, service: saved.service };
}

/** The post step waits this long for a rollback when health-timeout cannot be read. */
const DEFAULT_WAIT_SECONDS = 120;
function interruptedSwarmRollout(saved, input) {
    const state = checkedSwarmState(saved, input('service'));
    if (!state)
        return undefined;
    const wait = Number(input('health-timeout'));
    const seconds = Number.isSafeInteger(wait) && wait > 0 ? wait : DEFAULT_WAIT_SECONDS;
    return {
        service: `${state.stack}_${state.service}`,
        recover: async (docker, log) => {
            await recoverSwarmRollout(docker, state, seconds, log);
        }
    };
}
/** Rolls back an update still under way; leaves a finished one alone. Returns what it did. */
async function recoverSwarmRollout(docker, state, seconds, log) {
    const name = `${state.stack}_${state.service}`;
    const service = new SwarmService(docker, name);
    const update = (await service.inspect())?.update;
    const now = update?.state ?? 'none';
    if (now === 'updating' || now === 'paused') {
        const ended = await rollBackService(docker, name, seconds, log);
        const what = `The deploy ended while Swarm was updating ${name} (${now}): rolled it back (${ended || 'no update status'}).`;
        log.warning(what);
        return what;
    }
    if (now === 'rollback_started') {
        const ended = await waitForRollback(service, seconds);
        const what = `The deploy ended while Swarm was rolling ${name} back: waited for it (${ended || 'no update status'}).`;
        log.warning(what);
        return what;
    }
    const what = `The deploy ended during the update of ${name}, which Swarm had finished (${now}): nothing to do.`;
    log.info(what);
    return what;
}

/** A task's name as `docker service ps` shows it: `<service>.<slot>`, or its ID for a global one. */
function taskName(service, task) {
    return task.slot !== undefined ? `${service}.${task.slot}` : `${service}.${task.id.slice(0, 12)}`;
}
/** Why tasks failed, newest first, one line each (`task web.2 on engine-2: ...`), without repeats. */
function taskErrors(service, tasks, limit = 5) {
    const failed = tasks
        .filter((task) => task.error !== '' || ['failed', 'rejected'].includes(task.state))
        .sort((a, b) => b.timestamp.localeCompare(a.timestamp));
    const lines = [];
    const seen = new Set();
    for (const task of failed) {
        const reason = task.error || task.message || task.state;
        const line = `task ${taskName(service, task)} on ${task.node}: ${reason}`;
        if (seen.has(reason))
            continue;
        seen.add(reason);
        lines.push(line);
        if (lines.length >= limit)
            break;
    }
    return lines;
}
/** The tasks meant to run: those whose desired state is running. */
function wanted(tasks) {
    return tasks.filter((task) => task.desiredState === 'running');
}
/** Every wanted task runs the spec's image, and there are as many as the spec asks. */
function converged(service, tasks) {
    const meant = wanted(tasks);
    const running = meant.filter((task) => task.state === 'running' && task.image === service.image);
    if (service.replicas !== undefined && running.length < service.replicas)
        return `${running.length} of ${service.replicas} task(s) of the new spec running`;
    if (running.length < meant.length || meant.length === 0)
        return `${running.length} of ${meant.length} task(s) running`;
    return undefined;
}
/**
 * The update's state, when it is one this deploy started (its StartedAt is not the one seen
 * before the deploy); undefined otherwise.
 */
function thisUpdate(service, before) {
    return service.update && service.update.startedAt !== before.startedAt ? service.update : undefined;
}
function judge(name, service, tasks, before) {
    const update = thisUpdate(service, before);
    const errors = () => {
        const lines = taskErrors(name, tasks);
        return lines.length > 0 ? lines.join('; ') : update?.message || 'no task said why';
    };
    switch (update?.state) {
        case 'rollback_completed':
            return { kind: 'failed', rolledBack: true, why: `Swarm rolled the update back: ${errors()}` };
        case 'rollback_paused':
            return {
                kind: 'failed',
                rolledBack: false,
                why: `Swarm paused the rollback of the update: ${errors()}`
            };
        case 'paused':
            return { kind: 'failed', rolledBack: false, why: `Swarm paused the update: ${errors()}` };
        case 'rollback_started':
            return { kind: 'waiting', why: `Swarm is rolling the update back (${update.message})` };
        case 'updating':
            return { kind: 'waiting', why: update.message || 'updating' };
    }
    // An update is due when the task template changed; Swarm sets UpdateStatus once it starts.
    if (!update && before.taskTemplate !== undefined && before.taskTemplate !== service.taskTemplate) {
        return { kind: 'waiting', why: 'the update has not started yet' };
    }
    const missing = converged(service, tasks);
    if (missing)
        return { kind: 'waiting', why: missing };
    return {
        kind: 'done',
        running: wanted(tasks).filter((task) => task.state === 'running')
    };
}
/** The health a task's state shows: Swarm holds a task in `starting` until its healthcheck passes. */
function taskHealth(task, healthcheck) {
    if (/unhealthy/i.test(task.error))
        return 'unhealthy';
    if (!healthcheck)
        return 'none';
    if (task.state === 'running')
        return 'healthy';
    if (task.state === 'starting')
        return 'starting';
    return '';
}

/** The names among `names` that are older versions of `objects` of that kind. */
function olderVersions(names, objects) {
    return names.filter((name) => objects.some((object) => name !== object.name && isVersionOf(name, object.prefix)));
}
async function removeOldVersions(docker, stack, objects, log) {
    for (const kind of ['secret', 'config']) {
        const ofKind = objects.filter((object) => object.kind === kind);
        if (ofKind.length === 0)
            continue;
        const listed = await docker.run([kind, 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}}'], { quiet: true, allowFailure: true });
        const old = olderVersions(listed.stdout
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean), ofKind);
        for (const name of old) {
            const removed = await docker.run([kind, 'rm', name], { quiet: true, allowFailure: true });
            if (removed.exitCode === 0)
                log.info(`Removed the ${kind} ${name}, an older version`);
            else
                log.info(`Kept the ${kind} ${name}, an older version: ${removed.stderr.trim()}`);
        }
    }
}

// One Swarm rollout, with the deploy lock held on the manager: `docker stack deploy` of the
// compose files and the generated one, then the update followed from the service's UpdateStatus
// and its tasks until it completed (or Swarm rolled it back, or health-timeout ran out), the
// digest the tasks run checked, and the older versions of the stack's versioned secrets and
// configs removed. The nodes pull the image themselves (--with-registry-auth sends the runner's
// credentials along, --resolve-image always pins the digest the registry holds).
/** The summary shows at most this many tasks. */
const TASK_ROWS = 20;
/**
 * `docker stack deploy`'s arguments: every file in order, then the stack. `--detach=true` (return
 * once the services are updated; the action follows the update itself) only for a CLI that knows
 * the flag: older ones always return at once and refuse it.
 */
function stackDeployArgs(files, stack, detachFlag = true) {
    return [
        'stack',
        'deploy',
        '--with-registry-auth',
        '--resolve-image',
        'always',
        ...(detachFlag ? ['--detach=true'] : []),
        ...files.flatMap((file) => ['-c', file]),
        stack
    ];
}
/** Whether this docker CLI's stack deploy has --detach. */
async function knowsDetach(docker) {
    const help = await docker.run(['stack', 'deploy', '--help'], { quiet: true, allowFailure: true });
    return /--detach\b/.test(help.stdout);
}
/** Writes the generated and rewritten files into `dir` (private) and says what to hand the CLI. */
function writeStackFiles(plan, dir) {
    const valueFile = (object) => path$1.join(dir, `${object.kind}-${object.key}`);
    for (const object of plan.versioned) {
        if (object.value === undefined)
            continue;
        writeFileSync(valueFile(object), object.value, { mode: 0o600 });
    }
    let stdin;
    const files = plan.files.map((file, index) => {
        const absolute = path$1.resolve(plan.cwd, file);
        if (!plan.rewritten.includes(file))
            return absolute;
        const text = rewriteEnvObjects(plan.texts[file] ?? '', plan.versioned, valueFile);
        if (index === 0) {
            stdin = text;
            return '-';
        }
        const copy = path$1.join(dir, `compose-${index}.yml`);
        writeFileSync(copy, text, { mode: 0o600 });
        return copy;
    });
    if (plan.override) {
        const generated = path$1.join(dir, 'container-ship.yml');
        writeFileSync(generated, stringify(plan.override), { mode: 0o600 });
        files.push(generated);
    }
    const first = path$1.resolve(plan.cwd, plan.files[0] ?? 'docker-compose.yml');
    return {
        files,
        ...(stdin !== undefined ? { stdin } : {}),
        cwd: stdin !== undefined ? path$1.dirname(first) : plan.cwd
    };
}
/** The summary's rows: the tasks meant to run, then the ones that failed since `since`. */
function taskRows(name, tasks, healthcheck, since) {
    const recent = tasks.filter((task) => task.desiredState === 'running' || (task.error !== '' && task.timestamp >= since));
    return recent.slice(0, TASK_ROWS).map((task) => ({
        task: taskName(name, task),
        node: task.node,
        state: task.state,
        health: taskHealth(task, healthcheck),
        error: task.error
    }));
}
class SwarmRollout {
    plan;
    docker;
    healthTimeout;
    detachFlag;
    hooks;
    report;
    service;
    name;
    constructor(plan, docker, healthTimeout, detachFlag, hooks, report) {
        this.plan = plan;
        this.docker = docker;
        this.healthTimeout = healthTimeout;
        this.detachFlag = detachFlag;
        this.hooks = hooks;
        this.report = report;
        this.name = swarmServiceName(plan.stack, plan.service.name);
        this.service = new SwarmService(docker, this.name);
    }
    get log() {
        return this.hooks.log;
    }
    async rollOut() {
        const existing = await this.service.inspect();
        const before = {
            startedAt: existing?.update?.startedAt ?? '',
            ...(existing ? { taskTemplate: existing.taskTemplate } : {})
        };
        this.report.previousImage = existing?.image ?? '';
        this.report.firstDeploy = !existing;
        const since = new Date().toISOString();
        saveSwarmState(this.hooks, { stack: this.plan.stack, service: this.plan.service.name });
        await this.deployStack();
        this.hooks.mark('stack deployed');
        const [service, tasks] = await this.converge(before, since);
        this.hooks.mark('converged');
        this.checkDigest(service, tasks);
        this.report.deployed = true;
        this.report.containers = tasks
            .filter((task) => task.desiredState === 'running')
            .map((task) => task.containerId || task.id);
        this.hooks.saveState('');
        await removeOldVersions(this.docker, this.plan.stack, this.plan.versioned, this.log);
    }
    async deployStack() {
        const dir = mkdtempSync(path$1.join(process.env.RUNNER_TEMP || os$1.tmpdir(), 'container-ship-swarm-'));
        chmodSync(dir, 0o700);
        try {
            const stack = writeStackFiles(this.plan, dir);
            await this.docker.run(stackDeployArgs(stack.files, this.plan.stack, this.detachFlag), {
                extraEnv: this.plan.variables,
                cwd: stack.cwd,
                ...(stack.stdin !== undefined ? { input: stack.stdin } : {})
            });
        }
        finally {
            // The values' files are only read by the CLI while it deploys: Swarm holds them then.
            rmSync(dir, { recursive: true, force: true });
        }
    }
    /** Follows the update until it is done; throws when Swarm rolled it back or time ran out. */
    async converge(before, since) {
        const deadline = Date.now() + this.healthTimeout * 1000;
        let said = '';
        for (;;) {
            const service = await this.service.inspect();
            if (!service)
                throw new Error(`the service ${this.name} is not in the swarm after docker stack deploy`);
            const tasks = await this.service.tasks();
            const verdict = judge(this.name, service, tasks, before);
            const healthcheck = service.healthcheck || this.plan.service.healthcheck === 'image';
            this.report.tasks = taskRows(this.name, tasks, healthcheck, since);
            if (verdict.kind === 'done')
                return [service, tasks];
            if (verdict.kind === 'failed') {
                this.report.rolledBack = verdict.rolledBack;
                this.hooks.saveState('');
                throw new Error(`the update of ${this.name} failed: ${verdict.why}`);
            }
            if (verdict.why !== said)
                this.log.info(`${this.name}: ${verdict.why}`);
            said = verdict.why;
            if (Date.now() > deadline)
                return this.timedOut(service, tasks, verdict.why);
            await sleep(POLL_MS);
        }
    }
    /** Out of health-timeout: an update still going is rolled back, and the step fails. */
    async timedOut(service, tasks, why) {
        const errors = taskErrors(this.name, tasks);
        const reasons = `${why}${errors.length > 0 ? `; ${errors.join('; ')}` : ''}`;
        if (service.update?.state === 'updating' && this.report.previousImage) {
            const ended = await rollBackService(this.docker, this.name, this.healthTimeout, this.log);
            this.report.rolledBack = ended === 'rollback_completed';
        }
        this.hooks.saveState('');
        throw new Error(`the update of ${this.name} did not complete within ${this.healthTimeout} s (health-timeout): ${reasons}${this.report.rolledBack ? '; rolled back' : ''}`);
    }
    /** Deployed by digest: the spec and every running task name it. */
    checkDigest(service, tasks) {
        const digest = /@(sha256:[0-9a-f]{64})$/.exec(this.plan.service.image)?.[1];
        if (!digest)
            return;
        const wrong = [
            service.image,
            ...tasks.filter((task) => task.desiredState === 'running').map((task) => task.image)
        ].filter((image) => !image.endsWith(`@${digest}`));
        if (wrong.length > 0) {
            throw new Error(`${this.name} does not run ${digest}: ${[...new Set(wrong)].join(', ')}`);
        }
        this.log.info(`Every task of ${this.name} runs ${digest}`);
    }
}

const asked = new WeakMap();
/** The engine's answer, from one `docker info` for each DockerCli (one per host connection). */
function engineInfo(docker) {
    let info = asked.get(docker);
    if (!info) {
        info = askEngine(docker);
        asked.set(docker, info);
    }
    return info;
}
async function askEngine(docker) {
    const result = await docker.run([
        'info',
        '--format',
        '{{json .LiveRestoreEnabled}} {{json .Swarm.LocalNodeState}} {{json .Swarm.ControlAvailable}}'
    ], { quiet: true, allowFailure: true });
    return parseEngineInfo(result.exitCode === 0 ? result.stdout : '');
}
/** The three words the format above prints; anything else reads as "does not say" / "no swarm". */
function parseEngineInfo(stdout) {
    const [liveRestore, state, control] = stdout.trim().split(/\s+/);
    const member = state === '"active"';
    return {
        liveRestore: liveRestore === 'true' ? true : liveRestore === 'false' ? false : undefined,
        swarm: { member, manager: member && control === 'true' }
    };
}

// Docker Swarm as a deploy strategy: the compose files rolled out with `docker stack deploy` on a
// manager, and Swarm's own rolling update (start-first, rolled back on failure) followed to its
// end. Chosen by the orchestrator input (deploy/target.ts; its recovery in deploy/cleanup.ts).
const swarmStack = {
    prepare: (deploy, version, cwd, log) => {
        const plan = readSwarmPlan(deploy, version, cwd, log);
        tell(plan, log);
        return {
            project: plan.stack,
            service: plan.service.name,
            image: plan.service.image,
            connect: (docker) => connect$1(plan, deploy, docker),
            // `version@sha256:...`: the stack's image then names the digest the nodes pull and check.
            pinned: (digest) => pinnedPlan(deploy, `${version}@${digest}`, cwd),
            // One manager, never several hosts to bring back to one release: Swarm rolls back itself.
            releaseOf: () => undefined
        };
    },
    interrupted: interruptedSwarmRollout
};
/** The plan again for a pinned version, without repeating the notices. */
function pinnedPlan(deploy, version, cwd) {
    return swarmStack.prepare(deploy, version, cwd, QUIET);
}
/** The log of a plan made again: what it would say was said the first time. */
const QUIET = { info: () => undefined, warning: () => undefined };
/** The settings the action adds, in a notice; the versioned objects' values masked. */
function tell(plan, log) {
    if (log === QUIET)
        return;
    for (const object of plan.versioned)
        if (object.value)
            setSecret(object.value);
    if (plan.added.length > 0) {
        const message = `compose-file: service ${plan.service.name} gets ${plan.added.join(', ')} from the action (a generated compose file after yours), so that Swarm starts new tasks before stopping old ones and rolls a failed update back; set them in deploy: to choose other values`;
        if (log === core)
            notice(message);
        else
            log.info(message);
    }
    for (const object of plan.versioned)
        log.info(`Swarm ${object.kind} ${object.key}: deployed as ${object.name}`);
}
/** The manager's engine: refused when it is not one. */
async function connect$1(plan, deploy, docker) {
    const [info, detachFlag] = await Promise.all([engineInfo(docker), knowsDetach(docker)]);
    const role = info.swarm;
    if (!role.manager) {
        throw new Error(`orchestrator: swarm needs deploy-host to be a Swarm manager, and its engine ${role.member ? 'is a worker' : 'is in no swarm'}`);
    }
    return {
        tool: 'docker stack deploy',
        nodesPull: true,
        rollOut: (_imageId, hooks, report) => new SwarmRollout(plan, docker, deploy.healthTimeout, detachFlag, hooks, report).rollOut()
    };
}

// What it takes to reach the deploy host's engine, laid out in a private folder under the runner's
// temp folder (never the workspace), files 0600, removed by the post step:
// - tcp://: the CA, client certificate and key, as DOCKER_CERT_PATH expects them;
// - ssh://: the private key, the known hosts (always verified: StrictHostKeyChecking yes) and an
//   ssh config; one SSH connection forwards a local socket to the host's Docker socket, and
//   every docker and compose call goes through that socket. Forwarded connections are channels
//   of that one connection, so neither sshd's MaxStartups (new connections: Compose opens many,
//   compose #10117) nor its MaxSessions (10 sessions per connection, which a control master
//   running `docker system dial-stdio` per API connection exceeds under Compose v1) is ever hit,
//   and the host needs no docker CLI, only its socket;
// - unix://: nothing.
/** The Docker socket the tunnel reaches on the host: the engine's default. */
const REMOTE_DOCKER_SOCKET = '/var/run/docker.sock';
// A Unix socket path holds at most 107 bytes (Linux sun_path); ssh binds a temporary name up to
// 17 characters longer first.
const MAX_SOCKET_PATH = 107 - 17;
/**
 * Where the tunnel's local socket goes: in the access folder when its path is short enough,
 * else in a private folder of its own under /tmp (RUNNER_TEMP can be deep on self-hosted runners).
 */
function localSocket(dir, makeShortDir = () => mkdtempSync('/tmp/cs-ssh-')) {
    const inDir = path$1.join(dir, 'docker.sock');
    if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH)
        return { path: inDir };
    const short = makeShortDir();
    chmodSync(short, 0o700);
    return { path: path$1.join(short, 'docker.sock'), dir: short };
}
/** The ssh client config for one host: its key, its known hosts, nothing from the user's. */
function sshConfig(host, dir) {
    const bare = bareHost(host.host);
    const lines = [
        `Host ${bare}`,
        `  HostName ${bare}`,
        ...(host.port === undefined ? [] : [`  Port ${host.port}`]),
        ...(host.user === undefined ? [] : [`  User ${host.user}`]),
        `  IdentityFile ${path$1.join(dir, 'id_key')}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${path$1.join(dir, 'known_hosts')}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '  ConnectTimeout 20',
        '  ServerAliveInterval 15',
        '  ServerAliveCountMax 4',
        '  ExitOnForwardFailure yes',
        '  ControlMaster no',
        '  ControlPath none',
        ''
    ];
    return lines.join('\n');
}
/** ssh's arguments for the tunnel: no command, no terminal, the local socket to the host's. */
function tunnelArgs(config, host, socket) {
    return ['-F', config, '-N', '-T', '-L', `${socket}:${REMOTE_DOCKER_SOCKET}`, bareHost(host.host)];
}
/** ssh takes the host without IPv6 brackets. */
function bareHost(host) {
    return host.replace(/^\[|\]$/g, '');
}
/**
 * Lays out what the host needs and returns the engine to talk to (for ssh://, once the tunnel
 * is open: see openTunnel). The text inputs were checked by getInputs (PEM blocks, known hosts
 * present).
 */
function prepareRemoteAccess(host, inputs, tempRoot) {
    const dir = mkdtempSync(path$1.join(tempRoot, 'container-ship-remote-'));
    chmodSync(dir, 0o700);
    let socketDir;
    try {
        if (host.scheme === 'tcp') {
            writePrivate(path$1.join(dir, 'ca.pem'), inputs.tlsCa);
            writePrivate(path$1.join(dir, 'cert.pem'), inputs.tlsCert);
            writePrivate(path$1.join(dir, 'key.pem'), inputs.tlsKey);
        }
        if (host.scheme === 'ssh') {
            // ssh refuses a key without a final newline ("invalid format").
            writePrivate(path$1.join(dir, 'id_key'), withFinalNewline(inputs.sshPrivateKey));
            writePrivate(path$1.join(dir, 'known_hosts'), withFinalNewline(inputs.sshKnownHosts));
            writeSshConfig(host, dir);
            socketDir = localSocket(dir).dir;
        }
        return accessIn(host, dir, socketDir);
    }
    catch (error) {
        rmSync(dir, { recursive: true, force: true });
        if (socketDir)
            rmSync(socketDir, { recursive: true, force: true });
        throw error;
    }
}
/**
 * The access to `host` laid out in `dir` (and, for a deep `dir`, the socket's own `socketDir`),
 * derived from them alone: the post step rebuilds it so, never reading a command from state.
 */
function accessIn(host, dir, socketDir) {
    if (host.scheme === 'tcp') {
        return { engine: { kind: 'remote', host: host.url, tlsDir: dir }, url: host.url, dir };
    }
    if (host.scheme === 'ssh') {
        const socket = path$1.join(socketDir ?? dir, 'docker.sock');
        return {
            engine: { kind: 'remote', host: `unix://${socket}` },
            url: host.url,
            dir,
            tunnel: {
                args: tunnelArgs(path$1.join(dir, 'ssh_config'), host, socket),
                socket,
                log: path$1.join(dir, 'ssh.log')
            },
            ...(socketDir ? { socketDir } : {})
        };
    }
    return { engine: { kind: 'remote', host: host.url }, url: host.url, dir };
}
/** Writes the access folder's ssh config for `host` (the post step writes it again before use). */
function writeSshConfig(host, dir) {
    writePrivate(path$1.join(dir, 'ssh_config'), sshConfig(host, dir));
}
function savedAccess(access) {
    return {
        dir: access.dir,
        ...(access.socketDir ? { socketDir: access.socketDir } : {}),
        ...(access.tunnel?.pid ? { tunnelPid: access.tunnel.pid } : {})
    };
}
/**
 * Starts the ssh tunnel and waits until its local socket exists. Fails with what ssh said (host
 * key, authentication, connection) when it exits first. The tunnel outlives no step: the main
 * step closes it, and the post step closes it when the main step could not.
 */
async function openTunnel(access, realSsh, timeoutMs = 30_000) {
    const tunnel = access.tunnel;
    if (!tunnel)
        throw new Error('no ssh tunnel to open');
    // A tunnel's ssh that was killed leaves its socket file, on which a new one could not listen.
    rmSync(tunnel.socket, { force: true });
    const log = openSync(tunnel.log, 'w', 0o600);
    // The same scrubbed environment as every other program: no INPUT_* (the key among them).
    const child = spawn(realSsh, tunnel.args, {
        detached: true,
        stdio: ['ignore', 'ignore', log],
        env: definedOnly(programEnv())
    });
    closeSync(log);
    let exited;
    child.on('exit', (code) => (exited = code));
    child.on('error', () => (exited = -1));
    child.unref();
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(tunnel.socket)) {
        if (exited !== undefined) {
            throw new Error(sshComplaint(tunnel.log) || `ssh exited with ${exited}`);
        }
        if (Date.now() > deadline) {
            closeTunnel({ ...tunnel, pid: child.pid });
            throw new Error(`ssh did not open its tunnel in ${timeoutMs / 1000} s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
    tunnel.pid = child.pid;
    return child.pid;
}
/** What ssh printed, without its "Warning: Permanently added" chatter. */
function sshComplaint(log) {
    let text = '';
    try {
        text = readFileSync(log, 'utf8');
    }
    catch {
        return '';
    }
    return text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !/^Warning: Permanently added/i.test(line))
        .slice(-3)
        .join('; ');
}
/** Whether the tunnel's ssh still runs (its PID is that ssh, not a process that reused it). */
function tunnelAlive(tunnel) {
    if (!tunnel.pid)
        return false;
    try {
        return readFileSync(`/proc/${tunnel.pid}/cmdline`, 'utf8').includes(tunnel.socket);
    }
    catch {
        return false;
    }
}
/**
 * Ends the tunnel's ssh, checking first that the process is still that ssh (a PID saved for the
 * post step may belong to another process by then).
 */
function closeTunnel(tunnel) {
    if (!tunnel.pid)
        return false;
    try {
        const cmdline = readFileSync(`/proc/${tunnel.pid}/cmdline`, 'utf8');
        if (!cmdline.includes(tunnel.socket))
            return false;
    }
    catch {
        // No /proc (not Linux) or the process is gone: only a gone process is safe to skip.
        if (existsSync('/proc/self'))
            return false;
    }
    try {
        process.kill(tunnel.pid, 'SIGTERM');
        return true;
    }
    catch {
        return false;
    }
}
function writePrivate(file, text) {
    writeFileSync(file, text, { mode: 0o600 });
}
function withFinalNewline(text) {
    const normalized = text.replace(/\r\n/g, '\n');
    return normalized.endsWith('\n') ? normalized : `${normalized}\n`;
}

// Image repository names, references and tags, following the grammar of distribution/reference,
// and registry names normalised once so every comparison sees one name per registry.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::([0-9]+))?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const MAX_NAME_LENGTH = 255;
const DOCKER_HUB$1 = 'docker.io';
/** Every name Docker Hub answers to: the one the CLI shows, the legacy index and the API host. */
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB$1, 'index.docker.io', 'registry-1.docker.io']);
/** The key `docker login` stores Docker Hub credentials under. */
const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/**
 * One registry, one name: Docker Hub's aliases become `docker.io`, hosts are lowercase (DNS is
 * case-insensitive; the port is kept).
 */
function normalizeRegistry(registry) {
    const lower = registry.trim().toLowerCase();
    return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB$1 : lower;
}
/**
 * Checks a `host[:port]` registry address, the port between 1 and 65535; returns it
 * normalised. Throws a message saying what is wrong.
 */
function parseRegistry(text) {
    const registry = text.trim();
    const match = DOMAIN_RE.exec(registry);
    if (!match)
        throw new Error(`"${registry}" is not a registry host[:port], e.g. ghcr.io`);
    checkPort(registry, match[1]);
    return normalizeRegistry(registry);
}
function checkPort(registry, port) {
    if (port === undefined)
        return;
    const number = Number(port);
    if (!Number.isInteger(number) || number < 1 || number > 65535) {
        throw new Error(`"${registry}" has port ${port}, which is not between 1 and 65535`);
    }
}
/** Parses a repository name without tag or digest; throws a message saying what is wrong. */
function parseImageName(input, example = 'ghcr.io/acme/web') {
    const name = input.trim();
    if (name === '')
        throw new Error(`is empty: set image to the repository to build and push, without a tag, e.g. ${example}`);
    if (name.includes('@'))
        throw new Error(`"${name}" has a digest; give the repository only, e.g. ghcr.io/acme/web`);
    if (/:[\w][\w.-]*$/.test(name.slice(name.lastIndexOf('/') + 1))) {
        throw new Error(`"${name}" has a tag; give the repository only and put tags in the tags input`);
    }
    return parseRepository(name);
}
/** Parses `name:tag` (a digest is refused: a tag is what gets pushed). */
function parseImageReference(input) {
    const reference = input.trim();
    if (reference.includes('@'))
        throw new Error(`"${reference}" has a digest; give name:tag, e.g. ghcr.io/acme/web:1.2`);
    const colon = reference.lastIndexOf(':');
    if (colon <= reference.lastIndexOf('/'))
        throw new Error(`"${reference}" has no tag; give name:tag`);
    const tag = reference.slice(colon + 1);
    if (!isValidTag(tag))
        throw new Error(`"${reference}" has an invalid tag "${tag}"`);
    return { image: parseRepository(reference.slice(0, colon)), tag };
}
function parseRepository(name) {
    const slash = name.indexOf('/');
    const first = slash === -1 ? '' : name.slice(0, slash);
    const hasDomain = first !== '' &&
        (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
    let path = hasDomain ? name.slice(slash + 1) : name;
    let registry = DOCKER_HUB$1;
    if (hasDomain) {
        const match = DOMAIN_RE.exec(first);
        if (!match)
            throw new Error(`"${first}" is not a valid registry host[:port]`);
        checkPort(first, match[1]);
        registry = normalizeRegistry(first);
    }
    if (!PATH_RE.test(path)) {
        throw new Error(`"${name}" is not a valid repository name: lowercase letters, digits and separators (. _ __ -) in /-separated parts`);
    }
    if (name.length > MAX_NAME_LENGTH)
        throw new Error(`"${name}" is longer than ${MAX_NAME_LENGTH} characters`);
    // Official images live under library/ whichever Hub alias names them.
    if (registry === DOCKER_HUB$1 && !path.includes('/'))
        path = `library/${path}`;
    return { registry, repository: path, name };
}
/** The same repository, whatever alias or shorthand each name used. */
function sameRepository(a, b) {
    return a.registry === b.registry && a.repository === b.repository;
}
function isValidTag(tag) {
    return TAG_RE.test(tag);
}
/** Turns any text (a branch name, say) into a valid tag: invalid characters become `-`. */
function sanitizeTag(text) {
    const cleaned = text
        .replace(/[^\w.-]+/g, '-')
        .replace(/^[.-]+/, '')
        .slice(0, 128);
    return cleaned;
}
function isLoopbackRegistry(registry) {
    return isLoopbackHost(registryHost(registry));
}
function isLoopbackHost(host) {
    const bare = host.replace(/^\[|\]$/g, '');
    return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
/** Host of a `host[:port]` or `[v6]:port` registry address. */
function registryHost(registry) {
    const v6 = /^\[([^\]]+)\]/.exec(registry);
    if (v6)
        return v6[1];
    return registry.replace(/:\d+$/, '');
}
/**
 * Base URL of the Registry HTTP API. Docker Hub is served from registry-1.docker.io; the engine
 * talks plain HTTP to loopback registries, so the action does too.
 */
function registryApiBase(registry) {
    const normalized = normalizeRegistry(registry);
    if (normalized === DOCKER_HUB$1)
        return 'https://registry-1.docker.io';
    return `${isLoopbackRegistry(normalized) ? 'http' : 'https'}://${normalized}`;
}

// The chosen release made concrete. A version is checked to be in the registry (a HEAD of its
// manifest, with the run's registry credentials) before any host is reached; a rollback reads
// from every host what its running containers record as the release before theirs, and the
// hosts must agree. Either way the rollout that follows is the usual one: pinned to a digest,
// verified as the verify input asks, blue-green.
/** Looks manifests up through the run's registry clients, retrying what a registry may mend. */
function registryLookup(registries) {
    return async (image, reference) => {
        const client = await registries(image.registry);
        return withRetry(`find ${image.name}:${reference}`, REGISTRY_RETRY, () => client.manifestDigest(image.repository, reference));
    };
}
/**
 * The APP_VERSION the plan is read with: the event's, or a chosen version once the registry is
 * found to hold it (else an error naming the input, with nothing touched). A rollback's is only
 * known once the hosts are reached: the event's stands in until then.
 */
async function planVersion(choice, eventVersion, image, lookup) {
    if (choice.kind !== 'version')
        return eventVersion;
    const digest = await lookup(image, choice.version);
    if (!digest) {
        throw new Error(`version: ${image.name}${DIGEST$4.test(choice.version) ? '@' : ':'}${choice.version} is not in the registry (it answered 404 Not Found): nothing was deployed`);
    }
    return chosenAppVersion(choice.version);
}
/** The digest a chosen digest pins the plan to (a tag is read from the registry as the event's is). */
function chosenDigest(choice) {
    return choice.kind === 'version' && DIGEST$4.test(choice.version) ? choice.version : undefined;
}
/** The version a deploy of a chosen release reports (the version output), else undefined. */
function reportedVersion(choice, plan) {
    if (choice.kind === 'version')
        return choice.version;
    if (choice.kind !== 'rollback')
        return undefined;
    // `repo:1.0.0@sha256:...`: the tag it was released as.
    const unpinned = plan.image.replace(/@sha256:[0-9a-f]{64}$/, '');
    const tagAt = unpinned.lastIndexOf(':');
    return tagAt > unpinned.lastIndexOf('/') ? unpinned.slice(tagAt + 1) : '';
}
/**
 * The plan of the release before the current one: what every host's running containers record
 * (`labelsOf`, by host), which must be the same on all and a release of the action's image
 * that the strategy's files make, and which the registry still holds (the hosts pull it).
 */
async function rollbackPlan(plan, image, hosts, lookup) {
    const recorded = await Promise.all(hosts.map(async ({ host, labels }) => {
        try {
            return { host, previous: recordedPrevious(await labels()) };
        }
        catch (error) {
            throw new Error(`rollback: ${host}: ${error.message}`);
        }
    }));
    const previous = previousRelease(recorded);
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(previous)?.[1];
    const release = plan.releaseOf(previous);
    if (!digest || !ofImage(previous, image) || release?.image !== previous) {
        throw new Error(`rollback: the release recorded before the current one, ${previous}, is not ${image.name} by digest as the compose file's image makes it: deploy a version instead`);
    }
    if (!(await lookup(image, digest)))
        throw new Error(`rollback: ${image.name}@${digest}, the release before the current one, is no longer in the registry: deploy a version instead`);
    return release;
}
/** Whether `reference` (`name:tag@digest`) names a tag of `image`'s repository. */
function ofImage(reference, image) {
    try {
        return sameRepository(parseImageReference(reference.replace(/@sha256:[0-9a-f]{64}$/, '')).image, image);
    }
    catch {
        return false;
    }
}

// Everything the deploy step needs settled before anything is built or changed: the strategy's
// files read and checked (the compose files, for Compose blue-green), every deploy host's engine
// reached (host key verified, client certificate accepted; all hosts side by side, one SSH
// connection each) and the strategy bound to each. A bad compose file, an unreachable host or a
// wrong host key fails the run here, before the build, naming the host. When the main step
// ends, the tunnels are closed and the hosts' access files are removed, unless a held lock or an
// interrupted rollout leaves them to the post step.
/**
 * How releases are rolled out, by the orchestrator input: Compose blue-green, or Docker Swarm.
 * The post step's cleanup (cleanup.ts) takes the same strategy's recovery.
 */
function deployStrategy(deploy) {
    return deploy.orchestrator === 'swarm' ? swarmStack : composeBlueGreen;
}
/**
 * Checks the strategy's files and reaches every host, side by side. `onAccess` is called as soon
 * as a host's credential files exist, so the post step removes them however this ends. When a
 * host cannot be reached, the tunnels opened to the others are closed and the first failure (in
 * deploy-host order) is thrown.
 */
async function prepareDeploy(inputs, version, localDocker, options) {
    const hosts = inputs.deploy.dockerHosts;
    if (hosts.length === 0)
        throw new Error('deploy-host: is empty');
    const plan = deployStrategy(inputs.deploy).prepare(inputs.deploy, version, options.cwd, core);
    const reached = await Promise.allSettled(hosts.map((host, index) => reachHost(host, index, plan, inputs.deploy, localDocker, { ...options, named: hosts.length > 1 })));
    const targets = reached.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = reached.find((outcome) => outcome.status === 'rejected');
    if (failed) {
        for (const target of targets)
            closeDeployTarget(target);
        throw failed.reason;
    }
    return { plan, targets };
}
/** One host's engine reached and the strategy bound to it. */
async function reachHost(host, index, plan, deploy, localDocker, options) {
    const realSsh = sshClient(host);
    const access = prepareRemoteAccess(host, deploy, options.tempRoot);
    options.onAccess(index, access);
    if (access.tunnel && realSsh) {
        try {
            await openTunnel(access, realSsh);
        }
        catch (error) {
            throw new Error(`deploy-host: cannot reach the Docker engine at ${host.url}: ${error.message}`);
        }
        options.onAccess(index, access); // now with the tunnel's PID, for the post step
    }
    const docker = localDocker.withEngine(access.engine);
    const [engineVersion, rollout] = await connect(docker, access, plan, options.named);
    // The image is named once it is chosen (pinned to a digest, a chosen version, the rollback's).
    info(`Deploy target: ${host.url} (Engine ${engineVersion}), project ${plan.project}, service ${plan.service}, ${rollout.tool}`);
    return { index, host, docker, plan, rollout, engineVersion, access };
}
/** The runner's ssh client, for an ssh:// host. */
function sshClient(host) {
    if (host.scheme !== 'ssh')
        return undefined;
    const realSsh = findProgram('ssh', process.env.PATH);
    if (!realSsh)
        throw new Error(`deploy-host: ${host.url} needs the ssh client, which is not installed on the runner: install it (sudo apt-get install -y openssh-client), or reach the engine over tcp:// with TLS`);
    return realSsh;
}
/**
 * The engine's version and the strategy bound to it; the tunnel is closed when this fails.
 * `named`: there are several hosts, and a warning says which one it is about.
 */
async function connect(docker, access, plan, named) {
    try {
        const engineVersion = await reachEngine(docker, access);
        const [rollout, info] = await Promise.all([plan.connect(docker), engineInfo(docker)]);
        // Swarm mode refuses live-restore: the warning does not apply to a swarm member.
        if (info.liveRestore === false && !info.swarm.member)
            warning(noLiveRestore(named ? access.url : undefined));
        return [engineVersion, rollout];
    }
    catch (error) {
        if (access.tunnel)
            closeTunnel(access.tunnel);
        throw error;
    }
}
/** The engine's version, or an error naming the host and why it cannot be reached. */
async function reachEngine(docker, access) {
    const result = await docker.serverVersion();
    if (result.version)
        return result.version;
    // Through the tunnel, ssh says why the host's end failed (no socket, forwarding refused).
    const tunnelSaid = access.tunnel ? sshComplaint(access.tunnel.log) : '';
    throw new Error(`deploy-host: cannot reach the Docker engine at ${access.url}: ${[unreachableReason(result.stderr), tunnelSaid].filter(Boolean).join('; ')}`);
}
/** The warning for an engine without live-restore; `host` names it when there are several. */
const noLiveRestore = (host) => `${host ? `${host}: the` : 'The'} deploy host's dockerd runs without live-restore: if it restarts (an upgrade, a crash), every container stops with it, the ones serving too, and no rollout can keep them serving. Set "live-restore": true in its /etc/docker/daemon.json and reload it (systemctl reload docker, or SIGHUP to dockerd), which applies it without a restart.`;
/** Ends what reaching the host started (the ssh tunnel); its files stay for the post step. */
function closeDeployTarget(target) {
    if (target?.access.tunnel)
        closeTunnel(target.access.tunnel);
}
/** The lines of the docker CLI's and ssh's complaint that say why, without the noise. */
function unreachableReason(stderr) {
    const lines = stderr
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !/^Warning: Permanently added/i.test(line));
    const telling = lines.filter((line) => /verification failed|REMOTE HOST IDENTIFICATION|Permission denied|Connection refused|Connection timed out|No route|Could not resolve|certificate|tls:|x509|connect:|error during connect|Cannot connect|Is the docker daemon running|not found|closed by remote host/i.test(line));
    const chosen = (telling.length > 0 ? telling : lines).slice(-3);
    return chosen.join('; ') || 'the docker CLI printed nothing';
}
/** Each host's access files, by deploy-host line, as soon as they exist: also when reaching fails. */
const written = new Map();
/** The state names of the deploy step for `hosts` deploy-host lines: each host's, and the fleet's. */
function deployStates(hosts) {
    const perHost = [DeployState.Access, DeployState.Lock, DeployState.Rollout];
    const names = Array.from({ length: Math.max(1, hosts) }, (_, index) => perHost.map((state) => hostState(state, index)));
    return [...names.flat(), DeployState.Finished, DeployState.GitHubDeployment];
}
async function prepareDeployTarget({ context, release, inputs }) {
    // A chosen version is looked up in the registry first: missing, it fails before any host is reached.
    const version = await planVersion(inputs.choice, release.plan.version, context.inputs.image, registryLookup(context.registries));
    return prepareDeploy({ deploy: inputs }, version, context.docker, {
        tempRoot: context.tempRoot,
        cwd: process.cwd(),
        onAccess: (index, access) => {
            written.set(index, access);
            saveForPost(hostState(DeployState.Access, index), JSON.stringify(savedAccess(access)));
        }
    });
}
/** True while a deploy lock is held or a rollout is under way: the post step needs the hosts then. */
function deployLeftForPost() {
    if (savedForPost(DeployState.Finished))
        return true;
    return [...written.keys()].some((index) => savedForPost(hostState(DeployState.Lock, index)) || savedForPost(hostState(DeployState.Rollout, index)));
}
/** Closes the tunnels, and removes the hosts' access files unless the post step needs them. */
function finishDeploy() {
    // The same objects as the fleet's targets: they carry the tunnels' PIDs.
    for (const access of written.values())
        closeDeployTarget({ access });
    if (written.size === 0 || deployLeftForPost())
        return;
    for (const [index, access] of written) {
        for (const dir of [access.dir, access.socketDir])
            if (dir)
                rmSync(dir, { recursive: true, force: true });
        saveForPost(hostState(DeployState.Access, index), '');
        info(`Removed the deploy host's access folder ${access.dir} (${access.url})`);
    }
}

/** A step's failure with the part of its result that is still true (e.g. the tags pushed). */
class StepError extends Error {
    partial;
    constructor(message, partial) {
        super(message);
        this.partial = partial;
        this.name = 'StepError';
    }
}

// Running work over a list with at most `limit` at once: enough to keep a registry busy without
// opening a connection per item. The first failure stops new work; what is running is awaited.
/** The results in the order of `items`; rejects with the first failure once nothing runs. */
async function mapLimit(items, limit, work) {
    if (!Number.isInteger(limit) || limit < 1)
        throw new Error(`the concurrency limit must be 1 or more, not ${limit}`);
    const results = new Array(items.length);
    let next = 0;
    let failure;
    const worker = async () => {
        while (!failure && next < items.length) {
            const index = next++;
            try {
                results[index] = await work(items[index], index);
            }
            catch (error) {
                failure ??= { error };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    if (failure)
        throw failure.error;
    return results;
}

/** The ID of `image` on the host at `url`; throws when the host does not have it. */
async function imageIdOn(docker, image, url) {
    const inspected = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image], {
        quiet: true,
        allowFailure: true
    });
    if (inspected.exitCode !== 0) {
        throw new Error(`the image ${image} is not on ${url}: ${inspected.stderr.trim()}`);
    }
    return inspected.stdout.trim();
}

/** The hosts' indexes (from 0) batch by batch; every batch has at least one host. */
function rolloutBatches(hosts, batch) {
    const size = 'hosts' in batch ? batch.hosts : Math.ceil((hosts * batch.percent) / 100);
    const step = Math.max(1, size);
    const batches = [];
    for (let first = 0; first < hosts; first += step) {
        batches.push(Array.from({ length: Math.min(step, hosts - first) }, (_, offset) => first + offset));
    }
    return batches;
}

/** How often the new containers are looked at during batch-wait. */
const WATCH_INTERVAL_MS = 1000;
/** Rolls the hosts out batch by batch; on a failure, deals with the finished hosts as on-failure says. */
async function rollOutInBatches(hosts, options) {
    const outcomes = new Map(hosts.map((host) => [host.index, 'not reached']));
    const byIndex = new Map(hosts.map((host) => [host.index, host]));
    const done = [];
    const named = hosts.length > 1;
    let failure;
    for (const [position, batch] of options.batches.entries()) {
        const members = batch.map((index) => byIndex.get(index));
        options.batchStarts?.(position + 1, batch);
        const settled = await Promise.allSettled(members.map((host) => host.rollOut()));
        settled.forEach((outcome, at) => {
            const host = members[at];
            if (outcome.status === 'fulfilled') {
                outcomes.set(host.index, 'deployed');
                done.push(host);
                options.finished(host.index);
            }
            else {
                outcomes.set(host.index, 'failed');
                failure ??= hostError(host, outcome.reason, named);
            }
        });
        const last = position === options.batches.length - 1;
        if (!failure && !last && options.batchWaitSeconds > 0) {
            failure = await watchBatch(members, options, (host) => outcomes.set(host.index, 'failed'));
        }
        if (failure)
            break;
    }
    if (failure)
        await afterFailure(done, outcomes, options);
    return { outcomes, ...(failure ? { error: failure } : {}) };
}
/** The batch's hosts looked at every second for batch-wait seconds; the first that stops serving. */
async function watchBatch(members, options, failed) {
    const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const until = Date.now() + options.batchWaitSeconds * 1000;
    options.log.info(`Watching ${members.map((host) => host.url).join(', ')} for ${options.batchWaitSeconds} s (batch-wait) before the next batch`);
    for (;;) {
        const checks = await Promise.allSettled(members.map((host) => host.checkServing()));
        const bad = checks.findIndex((check) => check.status === 'rejected');
        if (bad >= 0) {
            const host = members[bad];
            failed(host);
            return hostError(host, checks[bad].reason, true, 'during batch-wait');
        }
        const left = until - Date.now();
        if (left <= 0)
            return undefined;
        await sleep(Math.min(WATCH_INTERVAL_MS, left));
    }
}
/** The hosts that finished, put back (rollback) or left on the new release (stop). */
async function afterFailure(done, outcomes, options) {
    // A host whose new containers failed batch-wait finished its rollout: it goes back too.
    const revert = done.filter((host) => options.onFailure === 'rollback' || outcomes.get(host.index) === 'failed');
    const stays = done.filter((host) => !revert.includes(host));
    if (stays.length > 0) {
        options.log.warning(`on-failure: stop: ${stays.map((host) => host.url).join(', ')} stay on the new release; the other hosts run the one before`);
    }
    if (revert.length === 0)
        return;
    options.log.info(`Rolling back ${revert.map((host) => host.url).join(', ')} to the release they ran before`);
    const settled = await Promise.allSettled(revert.map((host) => host.revert()));
    settled.forEach((outcome, at) => {
        const host = revert[at];
        if (outcome.status === 'fulfilled')
            outcomes.set(host.index, 'reverted');
        else {
            outcomes.set(host.index, 'revert failed');
            options.log.warning(`could not roll ${host.url} back: ${outcome.reason.message}`);
        }
    });
}
/** The failure, naming its host when there are several. */
function hostError(host, reason, named, when = '') {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    return named ? new Error(`${host.url}${when ? ` ${when}` : ''}: ${error.message}`) : error;
}

async function revertHost(docker, url, plan, previousImage, hooks, report) {
    const release = plan.releaseOf(previousImage);
    if (!release) {
        throw new Error(`the image it ran before, ${previousImage}, is not what the compose file's image makes for a version`);
    }
    const imageId = await imageIdOn(docker, previousImage, url);
    const rollout = await release.connect(docker);
    hooks.log.info(`Rolling ${url} back to ${previousImage}`);
    await rollout.rollOut(imageId, hooks, report);
}

// What the post step must know of a rollout over several hosts to leave every host on one
// release after a cancelled run: the image each host ran before (known once its rollout took
// stock) and which hosts finished. Trusted no more than any saved state (run/trusted-state.ts):
// host numbers must be deploy-host lines, and an image is only ever rolled out when the compose
// file's image makes it for some version (DeployPlan.releaseOf).
function emptyFleetState() {
    return { previous: {}, finished: [] };
}

/** The result before any host has done anything: every host not reached. */
function emptyResult(fleet) {
    return {
        deployed: false,
        previousImage: '',
        containers: [],
        host: fleet.targets.map((target) => target.host.url).join(', '),
        project: fleet.plan.project,
        service: fleet.plan.service,
        image: fleet.plan.image,
        timeline: [],
        failures: [],
        hosts: fleet.targets.map((target) => ({
            host: target.host.url,
            deployed: false,
            previousImage: '',
            containers: [],
            failures: [],
            timeline: [],
            outcome: 'not reached'
        }))
    };
}
/** A host's report fields that are the result's own when it is the only host. */
const REPORT_FIELDS = [
    'deployed',
    'previousImage',
    'containers',
    'replicas',
    'firstDeploy',
    'rolledBack',
    'failures',
    'timeline',
    'tasks'
];
/**
 * The result's own fields from its hosts': deployed when every host is, the first host's
 * previous image, every host's new containers and failures. With one host, that host's report.
 */
function combineHostReports(result) {
    const [first] = result.hosts;
    if (!first)
        return;
    if (result.hosts.length === 1) {
        for (const key of REPORT_FIELDS)
            Object.assign(result, { [key]: first[key] });
        return;
    }
    result.deployed = result.hosts.every((host) => host.deployed);
    result.previousImage = first.previousImage;
    result.containers = result.hosts.flatMap((host) => (host.deployed ? host.containers : []));
    result.failures = result.hosts.flatMap((host) => host.failures);
    result.firstDeploy = result.hosts.every((host) => host.firstDeploy);
    result.rolledBack = result.hosts.some((host) => host.rolledBack);
    result.replicas = first.replicas;
}

(undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};

var __awaiter$1 = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
/**
 * Internal class for retries
 */
class RetryHelper {
    constructor(maxAttempts, minSeconds, maxSeconds) {
        if (maxAttempts < 1) {
            throw new Error('max attempts should be greater than or equal to 1');
        }
        this.maxAttempts = maxAttempts;
        this.minSeconds = Math.floor(minSeconds);
        this.maxSeconds = Math.floor(maxSeconds);
        if (this.minSeconds > this.maxSeconds) {
            throw new Error('min seconds should be less than or equal to max seconds');
        }
    }
    execute(action, isRetryable) {
        return __awaiter$1(this, void 0, void 0, function* () {
            let attempt = 1;
            while (attempt < this.maxAttempts) {
                // Try
                try {
                    return yield action();
                }
                catch (err) {
                    if (isRetryable && !isRetryable(err)) {
                        throw err;
                    }
                    info(err.message);
                }
                // Sleep
                const seconds = this.getSleepAmount();
                info(`Waiting ${seconds} seconds before trying again`);
                yield this.sleep(seconds);
                attempt++;
            }
            // Last attempt
            return yield action();
        });
    }
    getSleepAmount() {
        return (Math.floor(Math.random() * (this.maxSeconds - this.minSeconds + 1)) +
            this.minSeconds);
    }
    sleep(seconds) {
        return __awaiter$1(this, void 0, void 0, function* () {
            return new Promise(resolve => setTimeout(resolve, seconds * 1000));
        });
    }
}

var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
class HTTPError extends Error {
    constructor(httpStatusCode) {
        super(`Unexpected HTTP response: ${httpStatusCode}`);
        this.httpStatusCode = httpStatusCode;
        Object.setPrototypeOf(this, new.target.prototype);
    }
}
const IS_WINDOWS = process.platform === 'win32';
process.platform === 'darwin';
const userAgent = 'actions/tool-cache';
/**
 * Download a tool from an url and stream it into a file
 *
 * @param url       url of tool to download
 * @param dest      path to download tool
 * @param auth      authorization header
 * @param headers   other headers
 * @returns         path to downloaded tool
 */
function downloadTool(url, dest, auth, headers) {
    return __awaiter(this, void 0, void 0, function* () {
        dest = dest || path.join(_getTempDirectory(), crypto.randomUUID());
        yield mkdirP(path.dirname(dest));
        debug(`Downloading ${url}`);
        debug(`Destination ${dest}`);
        const maxAttempts = 3;
        const minSeconds = _getGlobal('TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS', 10);
        const maxSeconds = _getGlobal('TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS', 20);
        const retryHelper = new RetryHelper(maxAttempts, minSeconds, maxSeconds);
        return yield retryHelper.execute(() => __awaiter(this, void 0, void 0, function* () {
            return yield downloadToolAttempt(url, dest || '', auth, headers);
        }), (err) => {
            if (err instanceof HTTPError && err.httpStatusCode) {
                // Don't retry anything less than 500, except 408 Request Timeout and 429 Too Many Requests
                if (err.httpStatusCode < 500 &&
                    err.httpStatusCode !== 408 &&
                    err.httpStatusCode !== 429) {
                    return false;
                }
            }
            // Otherwise retry
            return true;
        });
    });
}
function downloadToolAttempt(url, dest, auth, headers) {
    return __awaiter(this, void 0, void 0, function* () {
        if (fs.existsSync(dest)) {
            throw new Error(`Destination file path ${dest} already exists`);
        }
        // Get the response headers
        const http = new HttpClient(userAgent, [], {
            allowRetries: false
        });
        const response = yield http.get(url, headers);
        if (response.message.statusCode !== 200) {
            const err = new HTTPError(response.message.statusCode);
            debug(`Failed to download from "${url}". Code(${response.message.statusCode}) Message(${response.message.statusMessage})`);
            throw err;
        }
        // Download the response body
        const pipeline = util.promisify(stream.pipeline);
        const responseMessageFactory = _getGlobal('TEST_DOWNLOAD_TOOL_RESPONSE_MESSAGE_FACTORY', () => response.message);
        const readStream = responseMessageFactory();
        let succeeded = false;
        try {
            yield pipeline(readStream, fs.createWriteStream(dest));
            debug('download complete');
            succeeded = true;
            return dest;
        }
        finally {
            // Error, delete dest before retry
            if (!succeeded) {
                debug('download failed');
                try {
                    yield rmRF(dest);
                }
                catch (err) {
                    debug(`Failed to delete '${dest}'. ${err.message}`);
                }
            }
        }
    });
}
/**
 * Extract a compressed tar archive
 *
 * @param file     path to the tar
 * @param dest     destination directory. Optional.
 * @param flags    flags for the tar command to use for extraction. Defaults to 'xz' (extracting gzipped tars). Optional.
 * @returns        path to the destination directory
 */
function extractTar(file_1, dest_1) {
    return __awaiter(this, arguments, void 0, function* (file, dest, flags = 'xz') {
        if (!file) {
            throw new Error("parameter 'file' is required");
        }
        // Create dest
        dest = yield _createExtractFolder(dest);
        // Determine whether GNU tar
        debug('Checking tar --version');
        let versionOutput = '';
        yield exec('tar --version', [], {
            ignoreReturnCode: true,
            silent: true,
            listeners: {
                stdout: (data) => (versionOutput += data.toString()),
                stderr: (data) => (versionOutput += data.toString())
            }
        });
        debug(versionOutput.trim());
        const isGnuTar = versionOutput.toUpperCase().includes('GNU TAR');
        // Initialize args
        let args;
        if (flags instanceof Array) {
            args = flags;
        }
        else {
            args = [flags];
        }
        if (isDebug() && !flags.includes('v')) {
            args.push('-v');
        }
        let destArg = dest;
        let fileArg = file;
        if (IS_WINDOWS && isGnuTar) {
            args.push('--force-local');
            destArg = dest.replace(/\\/g, '/');
            // Technically only the dest needs to have `/` but for aesthetic consistency
            // convert slashes in the file arg too.
            fileArg = file.replace(/\\/g, '/');
        }
        if (isGnuTar) {
            // Suppress warnings when using GNU tar to extract archives created by BSD tar
            args.push('--warning=no-unknown-keyword');
            args.push('--overwrite');
        }
        args.push('-C', destArg, '-f', fileArg);
        yield exec(`tar`, args);
        return dest;
    });
}
/**
 * Caches a directory and installs it into the tool cacheDir
 *
 * @param sourceDir    the directory to cache into tools
 * @param tool          tool name
 * @param version       version of the tool.  semver format
 * @param arch          architecture of the tool.  Optional.  Defaults to machine architecture
 */
function cacheDir(sourceDir, tool, version, arch) {
    return __awaiter(this, void 0, void 0, function* () {
        version = semverExports.clean(version) || version;
        arch = arch || os.arch();
        debug(`Caching tool ${tool} ${version} ${arch}`);
        debug(`source dir: ${sourceDir}`);
        if (!fs.statSync(sourceDir).isDirectory()) {
            throw new Error('sourceDir is not a directory');
        }
        // Create the tool dir
        const destPath = yield _createToolPath(tool, version, arch);
        // copy each child item. do not move. move can fail on Windows
        // due to anti-virus software having an open handle on a file.
        for (const itemName of fs.readdirSync(sourceDir)) {
            const s = path.join(sourceDir, itemName);
            yield cp(s, destPath, { recursive: true });
        }
        // write .complete
        _completeToolPath(tool, version, arch);
        return destPath;
    });
}
/**
 * Caches a downloaded file (GUID) and installs it
 * into the tool cache with a given targetName
 *
 * @param sourceFile    the file to cache into tools.  Typically a result of downloadTool which is a guid.
 * @param targetFile    the name of the file name in the tools directory
 * @param tool          tool name
 * @param version       version of the tool.  semver format
 * @param arch          architecture of the tool.  Optional.  Defaults to machine architecture
 */
function cacheFile(sourceFile, targetFile, tool, version, arch) {
    return __awaiter(this, void 0, void 0, function* () {
        version = semverExports.clean(version) || version;
        arch = arch || os.arch();
        debug(`Caching tool ${tool} ${version} ${arch}`);
        debug(`source file: ${sourceFile}`);
        if (!fs.statSync(sourceFile).isFile()) {
            throw new Error('sourceFile is not a file');
        }
        // create the tool dir
        const destFolder = yield _createToolPath(tool, version, arch);
        // copy instead of move. move can fail on Windows due to
        // anti-virus software having an open handle on a file.
        const destPath = path.join(destFolder, targetFile);
        debug(`destination file ${destPath}`);
        yield cp(sourceFile, destPath);
        // write .complete
        _completeToolPath(tool, version, arch);
        return destFolder;
    });
}
/**
 * Finds the path to a tool version in the local installed tool cache
 *
 * @param toolName      name of the tool
 * @param versionSpec   version of the tool
 * @param arch          optional arch.  defaults to arch of computer
 */
function find(toolName, versionSpec, arch) {
    if (!toolName) {
        throw new Error('toolName parameter is required');
    }
    if (!versionSpec) {
        throw new Error('versionSpec parameter is required');
    }
    arch = arch || os.arch();
    // attempt to resolve an explicit version
    if (!isExplicitVersion(versionSpec)) {
        const localVersions = findAllVersions(toolName, arch);
        const match = evaluateVersions(localVersions, versionSpec);
        versionSpec = match;
    }
    // check for the explicit version in the cache
    let toolPath = '';
    if (versionSpec) {
        versionSpec = semverExports.clean(versionSpec) || '';
        const cachePath = path.join(_getCacheDirectory(), toolName, versionSpec, arch);
        debug(`checking cache: ${cachePath}`);
        if (fs.existsSync(cachePath) && fs.existsSync(`${cachePath}.complete`)) {
            debug(`Found tool in cache ${toolName} ${versionSpec} ${arch}`);
            toolPath = cachePath;
        }
        else {
            debug('not found');
        }
    }
    return toolPath;
}
/**
 * Finds the paths to all versions of a tool that are installed in the local tool cache
 *
 * @param toolName  name of the tool
 * @param arch      optional arch.  defaults to arch of computer
 */
function findAllVersions(toolName, arch) {
    const versions = [];
    arch = arch || os.arch();
    const toolPath = path.join(_getCacheDirectory(), toolName);
    if (fs.existsSync(toolPath)) {
        const children = fs.readdirSync(toolPath);
        for (const child of children) {
            if (isExplicitVersion(child)) {
                const fullPath = path.join(toolPath, child, arch || '');
                if (fs.existsSync(fullPath) && fs.existsSync(`${fullPath}.complete`)) {
                    versions.push(child);
                }
            }
        }
    }
    return versions;
}
function _createExtractFolder(dest) {
    return __awaiter(this, void 0, void 0, function* () {
        if (!dest) {
            // create a temp dir
            dest = path.join(_getTempDirectory(), crypto.randomUUID());
        }
        yield mkdirP(dest);
        return dest;
    });
}
function _createToolPath(tool, version, arch) {
    return __awaiter(this, void 0, void 0, function* () {
        const folderPath = path.join(_getCacheDirectory(), tool, semverExports.clean(version) || version, arch || '');
        debug(`destination ${folderPath}`);
        const markerPath = `${folderPath}.complete`;
        yield rmRF(folderPath);
        yield rmRF(markerPath);
        yield mkdirP(folderPath);
        return folderPath;
    });
}
function _completeToolPath(tool, version, arch) {
    const folderPath = path.join(_getCacheDirectory(), tool, semverExports.clean(version) || version, arch || '');
    const markerPath = `${folderPath}.complete`;
    fs.writeFileSync(markerPath, '');
    debug('finished caching tool');
}
/**
 * Check if version string is explicit
 *
 * @param versionSpec      version string to check
 */
function isExplicitVersion(versionSpec) {
    const c = semverExports.clean(versionSpec) || '';
    debug(`isExplicit: ${c}`);
    const valid = semverExports.valid(c) != null;
    debug(`explicit? ${valid}`);
    return valid;
}
/**
 * Get the highest satisfiying semantic version in `versions` which satisfies `versionSpec`
 *
 * @param versions        array of versions to evaluate
 * @param versionSpec     semantic version spec to satisfy
 */
function evaluateVersions(versions, versionSpec) {
    let version = '';
    debug(`evaluating ${versions.length} versions`);
    versions = versions.sort((a, b) => {
        if (semverExports.gt(a, b)) {
            return 1;
        }
        return -1;
    });
    for (let i = versions.length - 1; i >= 0; i--) {
        const potential = versions[i];
        const satisfied = semverExports.satisfies(potential, versionSpec);
        if (satisfied) {
            version = potential;
            break;
        }
    }
    if (version) {
        debug(`matched: ${version}`);
    }
    else {
        debug('match not found');
    }
    return version;
}
/**
 * Gets RUNNER_TOOL_CACHE
 */
function _getCacheDirectory() {
    const cacheDirectory = process.env['RUNNER_TOOL_CACHE'] || '';
    ok(cacheDirectory, 'Expected RUNNER_TOOL_CACHE to be defined');
    return cacheDirectory;
}
/**
 * Gets RUNNER_TEMP
 */
function _getTempDirectory() {
    const tempDirectory = process.env['RUNNER_TEMP'] || '';
    ok(tempDirectory, 'Expected RUNNER_TEMP to be defined');
    return tempDirectory;
}
/**
 * Gets a global variable
 */
function _getGlobal(key, defaultValue) {
    /* eslint-disable @typescript-eslint/no-explicit-any */
    const value = global[key];
    /* eslint-enable @typescript-eslint/no-explicit-any */
    return value !== undefined ? value : defaultValue;
}

// The sha256 of a file, read as a stream (downloaded tools are tens of MB).
/** The file's sha256, as lowercase hex. */
function sha256OfFile(file) {
    return new Promise((resolve, reject) => {
        const hash = createHash('sha256');
        createReadStream(file)
            .on('data', (chunk) => hash.update(chunk))
            .on('error', reject)
            .on('end', () => resolve(hash.digest('hex')));
    });
}

// Getting cosign: the `cosign` on PATH when it is cosign v2; else v2.6.5 from the tool cache;
// else its release binary, downloaded and checked against the sha256 pinned here before anything
// runs it (the signer is part of the supply chain, as the scanner is: see scan/trivy/install.ts).
// Only v2 is taken: v3 dropped --tlog-upload and signs into a new bundle format by default, so
// the arguments here would not mean what they say.
const COSIGN_VERSION = '2.6.5';
const COSIGN_RELEASES = 'https://github.com/sigstore/cosign/releases/download';
/**
 * The sha256 of the v2.6.5 release binaries, by asset name: the lines of cosign_checksums.txt
 * published with sigstore/cosign v2.6.5, as copied into public pins of unrelated projects
 * (install scripts, Dockerfiles, Python and shell tool tables, release workflows); each value
 * was found in at least four independent repositories. They were not computed here: this
 * project's machines cannot download release assets. A cosign built from source (the test bed's)
 * has other bytes, and is used from PATH.
 */
const COSIGN_BINARY_SHA256 = {
    'cosign-linux-amd64': 'c3b4f5410e608af03a5eb0aaac84a4313d8da131248e08ff1759ac70c79d1644',
    'cosign-linux-arm64': '426193b4c5da4d4d643e822f48fe0cc8a476ca1782a272704831f5a0cef716d7'
};
const INSTALLER_HINT = 'install it before this step with sigstore/cosign-installer (with cosign-release: v2.6.5), so that it is on PATH';
/** The release asset for an OS and CPU this action pins; throws for others. */
function cosignAsset(platform = process.platform, arch = process.arch) {
    const cpu = { x64: 'amd64', arm64: 'arm64' }[arch];
    const asset = platform === 'linux' && cpu ? `cosign-linux-${cpu}` : undefined;
    if (!asset || !COSIGN_BINARY_SHA256[asset]) {
        throw new Error(`this action pins no cosign binary for ${platform}/${arch}: ${INSTALLER_HINT}`);
    }
    return asset;
}
/** The major version in `cosign version --json` (`{"gitVersion": "v2.6.5", ...}`), or undefined. */
function cosignMajor(versionJson) {
    try {
        const parsed = JSON.parse(versionJson);
        const version = parsed.gitVersion;
        const match = typeof version === 'string' ? /^v?(\d+)\./.exec(version) : null;
        return match ? Number(match[1]) : undefined;
    }
    catch {
        return undefined;
    }
}
async function findCosign(options = {}) {
    const onPath = findProgram('cosign', options.searchPath ?? process.env.PATH);
    if (onPath) {
        const version = await runProgram(onPath, ['version', '--json'], { quiet: true, allowFailure: true });
        const major = cosignMajor(version.stdout);
        if (major === 2)
            return { path: onPath, source: 'PATH' };
        warning(`the cosign on PATH (${onPath}) is ${major === undefined ? 'of a version it does not tell' : `v${major}`}, not v2, whose arguments this action uses: it uses cosign v${COSIGN_VERSION} instead`);
    }
    const cached = find('cosign', COSIGN_VERSION);
    if (cached)
        return { path: path$1.join(cached, 'cosign'), source: 'tool cache' };
    return { path: await downloadCosign(options), source: 'download' };
}
/** Downloads the pinned binary, checks it, and caches it; returns its path in the tool cache. */
async function downloadCosign(options) {
    const asset = cosignAsset();
    const pins = options.pins ?? COSIGN_BINARY_SHA256;
    const expected = pins[asset];
    if (!expected)
        throw new Error(`no sha256 pinned for ${asset}: ${INSTALLER_HINT}`);
    const url = `${(options.releases ?? COSIGN_RELEASES).replace(/\/+$/, '')}/v${COSIGN_VERSION}/${asset}`;
    info(`Downloading cosign ${COSIGN_VERSION} from ${url}`);
    let file;
    try {
        file = await downloadTool(url);
    }
    catch (error) {
        throw new Error(`could not download ${url}: ${error.message}; or ${INSTALLER_HINT}`);
    }
    try {
        const actual = await sha256OfFile(file);
        if (actual !== expected) {
            throw new Error(`the cosign ${COSIGN_VERSION} binary ${asset} does not match the sha256 this action pins for it (sha256 ${actual}, expected ${expected}): refusing to run it`);
        }
        chmodSync(file, 0o755);
        const dir = await cacheFile(file, 'cosign', 'cosign', COSIGN_VERSION);
        return path$1.join(dir, 'cosign');
    }
    finally {
        // The tool cache holds its own copy.
        rmSync(file, { force: true });
    }
}

// Running cosign against a registry: always on `<repository>@sha256:<digest>` (a tag can move
// between signing and verifying; a digest cannot), with the run's private Docker config so that
// cosign authenticates as docker does, plain http only where the action itself talks http
// (loopback registries: lib/image-name.ts registryApiBase), and secrets only in the environment
// of the one cosign process that needs them, never in its arguments.
/** The cosign run of this job: cosign found, the run's Docker config, registry-timeout per run. */
async function cosignRunOf(context) {
    const cosign = await findCosign();
    return {
        cosign: cosign.path,
        dockerConfig: context.docker.configDir,
        tempRoot: context.tempRoot,
        timeoutSeconds: context.inputs.publish.registryTimeout
    };
}
const DIGEST$3 = /^sha256:[0-9a-f]{64}$/;
/** `<name>@sha256:<hex>`; throws for anything but a sha256 digest. */
function digestReference(image, digest) {
    if (!DIGEST$3.test(digest))
        throw new Error(`"${digest}" is not a sha256 image digest (sha256:<64 hex digits>)`);
    return `${image.name}@${digest}`;
}
/** cosign refuses plain http unless told; the action uses it only for loopback registries. */
function registryFlags(image) {
    return registryApiBase(image.registry).startsWith('http://') ? ['--allow-http-registry'] : [];
}
/** Variables that must not reach cosign from the runner: they would change what it signs with. */
const WITHHELD = [
    'COSIGN_PASSWORD',
    'COSIGN_KEY',
    'COSIGN_EXPERIMENTAL',
    'SIGSTORE_ID_TOKEN',
    // cosign would fetch a token itself with these (its GitHub provider); the action hands it one.
    'ACTIONS_ID_TOKEN_REQUEST_URL',
    'ACTIONS_ID_TOKEN_REQUEST_TOKEN'
];
function cosignEnv(run, extra = {}) {
    const env = { ...(run.env ?? programEnv()), DOCKER_CONFIG: run.dockerConfig };
    for (const name of WITHHELD)
        delete env[name];
    return { ...env, ...extra };
}
/** Runs cosign quietly (what it prints is returned, and shown only through errors). */
function runCosign(run, args, extraEnv = {}, options = {}) {
    return runProgram(run.cosign, args, {
        env: cosignEnv(run, extraEnv),
        quiet: true,
        ...options,
        ...(run.timeoutSeconds ? { timeout: { ms: run.timeoutSeconds * 1000, input: 'registry-timeout' } } : {})
    });
}
/** The last lines cosign printed to stderr, for a message (runProgram already neutralizes the log). */
function cosignSaid(result, lines = 3) {
    const all = result.stderr
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean);
    // Its warnings (a TUF root it could not refresh) are not why it failed, when it says why.
    const errors = all.filter((line) => !/^WARNING\b/.test(line));
    const tail = (errors.length > 0 ? errors : all).slice(-lines).join(' / ');
    return tail ? ` (cosign said: ${tail})` : '';
}

// The scan as an attestation: cosign's vulnerability scan predicate
// (https://github.com/sigstore/cosign/blob/main/specs/COSIGN_VULN_ATTESTATION_SPEC.md), which
// `cosign attest --type vuln` wraps in an in-toto statement about the image's digest.
// `scanner.result` holds the action's verdict (what a deploy checks) beside Trivy's reports.
// cosign reads the predicate into a fixed shape: the times must be RFC 3339.
/** What `cosign attest --type vuln` puts in the statement's predicateType. */
const VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';
function vulnPredicate(scan, invocation) {
    return {
        invocation: {
            parameters: { severityThreshold: scan.verdict.severityThreshold },
            uri: invocation.uri,
            event_id: invocation.eventId,
            'builder.id': invocation.builderId
        },
        scanner: {
            uri: `pkg:github/aquasecurity/trivy@v${scan.trivyVersion.replace(/^v/, '')}`,
            version: scan.trivyVersion.replace(/^v/, ''),
            db: { uri: scan.db?.uri ?? '', version: scan.db?.version ?? '' },
            result: {
                containerShip: {
                    gate: scan.verdict.gate,
                    severityThreshold: scan.verdict.severityThreshold,
                    findings: { ...scan.verdict.findings }
                },
                reports: scan.reports
            }
        },
        metadata: {
            scanStartedOn: rfc3339(scan.startedOn),
            scanFinishedOn: rfc3339(scan.finishedOn)
        }
    };
}
/** The run that scans, from the runner's environment. */
function invocationFrom(env = process.env) {
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const runId = env.GITHUB_RUN_ID ?? '';
    const attempt = env.GITHUB_RUN_ATTEMPT ?? '1';
    return {
        uri: env.GITHUB_REPOSITORY && runId ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${runId}` : '',
        eventId: runId ? `${runId}-${attempt}` : '',
        builderId: env.GITHUB_WORKFLOW_REF ? `${server}/${env.GITHUB_WORKFLOW_REF}` : ''
    };
}
/** Go's time.Time reads RFC 3339; toISOString is one (UTC, milliseconds). */
function rfc3339(date) {
    if (Number.isNaN(date.getTime()))
        throw new Error('the scan has no valid start or finish time');
    return date.toISOString();
}

// Reading what `cosign verify-attestation --type vuln` prints: one DSSE envelope (JSON) a line,
// whose payload (base64) is an in-toto statement. cosign has checked the signatures; everything
// else in the text is untrusted input: an attestation signed with the right key may still be about
// another image (a statement copied from one image to another keeps its signature), and any of
// it may be malformed. So every shape is checked, the only thing taken from it is the answer
// "does a statement about this digest carry a passed verdict", and none of it is ever printed.
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Beyond this, a line is not read (a Trivy report of a large image is a few MB). */
const MAX_LINE = 64 * 1024 * 1024;
/**
 * The verdict of the scan attestations about `digest` (sha256:<hex>) in cosign's output. When
 * there are several (a re-run attests again), the one whose scan finished last decides; on a tie
 * or without times, a failed one wins.
 */
function attestedVerdict(stdout, digest) {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
    if (!hex)
        throw new Error('the image digest is not sha256:<64 hex digits>');
    const found = [];
    let statements = 0;
    let otherSubject = 0;
    for (const line of stdout.split('\n')) {
        const statement = statementOf(line);
        if (!statement)
            continue;
        statements++;
        if (!aboutDigest(statement, hex)) {
            otherSubject++;
            continue;
        }
        const verdict = verdictOf(statement);
        if (!verdict)
            continue;
        const finishedOn = finishedOnOf(statement);
        found.push({ verdict, finishedOn, time: finishedOn ? Date.parse(finishedOn) : Number.NaN });
    }
    if (found.length === 0) {
        const reason = statements === 0
            ? 'cosign printed no scan attestation'
            : otherSubject === statements
                ? `every scan attestation it verified is about another image than ${digest}`
                : `no scan attestation about ${digest} carries this action's verdict`;
        return { verdict: 'none', reason };
    }
    const latest = found.reduce((best, next) => {
        const bestTime = Number.isNaN(best.time) ? -Infinity : best.time;
        const nextTime = Number.isNaN(next.time) ? -Infinity : next.time;
        if (nextTime > bestTime)
            return next;
        if (nextTime === bestTime && next.verdict === 'failed')
            return next;
        return best;
    });
    return { verdict: latest.verdict, ...(latest.finishedOn ? { finishedOn: latest.finishedOn } : {}) };
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** The in-toto statement of one envelope line, or undefined for anything else. */
function statementOf(line) {
    const text = line.trim();
    if (!text.startsWith('{') || text.length > MAX_LINE)
        return undefined;
    const envelope = parse(text);
    if (!isObject(envelope) || envelope.payloadType !== IN_TOTO_PAYLOAD)
        return undefined;
    const payload = envelope.payload;
    if (typeof payload !== 'string' || !BASE64.test(payload))
        return undefined;
    const statement = parse(Buffer.from(payload, 'base64').toString('utf8'));
    if (!isObject(statement) || statement.predicateType !== VULN_PREDICATE_TYPE)
        return undefined;
    if (typeof statement._type !== 'string' || !statement._type.startsWith('https://in-toto.io/Statement/'))
        return undefined;
    return statement;
}
function parse(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
/** Whether one of the statement's subjects is the image (its sha256, exactly). */
function aboutDigest(statement, hex) {
    const subjects = statement.subject;
    if (!Array.isArray(subjects))
        return false;
    return subjects.some((subject) => isObject(subject) && isObject(subject.digest) && subject.digest.sha256 === hex);
}
function verdictOf(statement) {
    const predicate = statement.predicate;
    if (!isObject(predicate) || !isObject(predicate.scanner) || !isObject(predicate.scanner.result))
        return undefined;
    const ours = predicate.scanner.result.containerShip;
    if (!isObject(ours))
        return undefined;
    return ours.gate === 'passed' || ours.gate === 'failed' ? ours.gate : undefined;
}
function finishedOnOf(statement) {
    const predicate = statement.predicate;
    const metadata = predicate.metadata;
    if (!isObject(metadata) || typeof metadata.scanFinishedOn !== 'string')
        return undefined;
    const time = Date.parse(metadata.scanFinishedOn);
    // Our own rendering of the time, not the text as it came.
    return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

// The files cosign reads secrets from (the private key, the derived public key, the OIDC token,
// the predicate) go in a private folder under the runner's temp folder, never the workspace:
// 0700, each file 0600, removed when the signing or verifying is done, and saved for the post
// step, which removes it when a cancelled run never got that far.
function privateFolder(tempRoot) {
    const dir = makeWorkDir(tempRoot, 'container-ship-sign-');
    chmodSync(dir, 0o700);
    return {
        dir,
        write(name, text) {
            const file = path$1.join(dir, name);
            writeFileSync(file, text, { mode: 0o600 });
            return file;
        },
        remove() {
            rmSync(dir, { recursive: true, force: true });
        }
    };
}
/** Runs `work` with a private folder that is removed afterwards, however `work` ends. */
async function withPrivateFolder(tempRoot, work) {
    const folder = privateFolder(tempRoot);
    try {
        return await work(folder);
    }
    finally {
        folder.remove();
    }
}
/** PEM text as tools read it: LF line ends and a final newline. */
function pemFile(text) {
    const normalized = text.replace(/\r\n/g, '\n').trim();
    return `${normalized}\n`;
}

// Verifying, before a deploy, that the image is signed as the inputs say and, at
// scan-attestation, that a signed scan of this very digest passed the gate. The public key is
// cosign-public-key, else derived from cosign-key (`cosign public-key`, its password only in
// cosign's environment); keyless, the certificate must name the expected identity and issuer.
/** How the signature is checked: against the public key file, or the keyless identity. */
function trustArgs(inputs, publicKeyFile) {
    const who = inputs.verifyWith === 'key'
        ? ['--key', required(publicKeyFile)]
        : [
            '--certificate-identity-regexp',
            inputs.certificateIdentity,
            '--certificate-oidc-issuer',
            inputs.certificateOidcIssuer
        ];
    return [
        ...who,
        ...(inputs.rekorUrl ? ['--rekor-url', inputs.rekorUrl] : []),
        ...(inputs.tlog ? [] : ['--insecure-ignore-tlog=true'])
    ];
}
function required(file) {
    if (!file)
        throw new Error('no public key to verify with');
    return file;
}
function verifyArgs(inputs, publicKeyFile, image, digest) {
    return [
        'verify',
        ...trustArgs(inputs, publicKeyFile),
        ...registryFlags(image),
        digestReference(image, digest)
    ];
}
function verifyAttestationArgs(inputs, publicKeyFile, image, digest) {
    return [
        'verify-attestation',
        '--type',
        'vuln',
        ...trustArgs(inputs, publicKeyFile),
        ...registryFlags(image),
        digestReference(image, digest)
    ];
}
/** Verifies that `image@digest` is signed as the inputs say; throws saying what to do. */
async function verifySignature(image, digest, inputs, run) {
    const reference = digestReference(image, digest);
    await withTrust(inputs, run, async (publicKeyFile) => {
        const result = await runCosign(run, verifyArgs(inputs, publicKeyFile, image, digest), {}, { allowFailure: true });
        if (result.exitCode !== 0)
            throw new Error(`${notSigned(reference, inputs)}${cosignSaid(result)}`);
    });
    info(`Verified the signature of ${reference} (${describeTrust(inputs)})`);
}
/**
 * Verifies the signed scan attestation of `image@digest` and that its verdict is passed (which
 * also verifies the signature of the attestation: cosign checks it before printing it).
 */
async function verifyScanAttestation(image, digest, inputs, run) {
    const reference = digestReference(image, digest);
    await withTrust(inputs, run, async (publicKeyFile) => {
        const args = verifyAttestationArgs(inputs, publicKeyFile, image, digest);
        const result = await runCosign(run, args, {}, { allowFailure: true });
        if (result.exitCode !== 0) {
            throw new Error(`${reference} has no scan attestation signed ${inputs.verifyWith === 'key' ? 'with this key' : 'by the expected identity'}: attest it (sign on, with the scan step before push), or check ${trustInputs(inputs)}${cosignSaid(result)}`);
        }
        // stdout is untrusted: it decides pass or fail, and is never printed.
        const attested = attestedVerdict(result.stdout, digest);
        if (attested.verdict === 'none') {
            throw new Error(`${reference} cannot be deployed: ${attested.reason}`);
        }
        if (attested.verdict === 'failed') {
            throw new Error(`${reference} cannot be deployed: its signed scan attestation says the scan gate failed${attested.finishedOn ? ` (scan finished ${attested.finishedOn})` : ''}: fix the findings and build a new image`);
        }
    });
    info(`Verified the scan attestation of ${reference}: the scan gate passed`);
}
/** Verifies what the verify input asks for (nothing at none). */
async function verifyImage(image, digest, inputs, run) {
    if (inputs.verify === 'none')
        return;
    await verifySignature(image, digest, inputs, run);
    if (inputs.verify === 'scan-attestation')
        await verifyScanAttestation(image, digest, inputs, run);
}
/** Runs `work` with the public key file (key mode) in a private folder removed afterwards. */
async function withTrust(inputs, run, work) {
    if (inputs.verifyWith === 'keyless')
        return work(undefined);
    await withPrivateFolder(run.tempRoot, async (folder) => work(await publicKeyFile(inputs, run, folder)));
}
/** cosign-public-key as a file, else the public half of cosign-key. */
async function publicKeyFile(inputs, run, folder) {
    if (inputs.cosignPublicKey)
        return folder.write('cosign.pub', pemFile(inputs.cosignPublicKey));
    if (!inputs.cosignKey)
        throw new Error('cosign-public-key: is required to verify (or cosign-key)');
    const keyFile = folder.write('cosign.key', pemFile(inputs.cosignKey));
    const result = await runCosign(run, ['public-key', '--key', keyFile], { COSIGN_PASSWORD: inputs.cosignPassword }, {
        allowFailure: true
    });
    const pem = /-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+-----END PUBLIC KEY-----/.exec(result.stdout)?.[0];
    if (result.exitCode !== 0 || !pem) {
        throw new Error(`cosign could not read the public key of cosign-key: check cosign-password${cosignSaid(result)}`);
    }
    return folder.write('cosign.pub', pemFile(pem));
}
function notSigned(reference, inputs) {
    if (inputs.verifyWith === 'key') {
        return `the image ${reference} is not signed with this key: sign it with sign: key, or check cosign-public-key (or cosign-key)`;
    }
    return `the image ${reference} has no keyless signature by an identity matching ${inputs.certificateIdentity} from ${inputs.certificateOidcIssuer}: sign it with sign: keyless, or check certificate-identity and certificate-oidc-issuer`;
}
function trustInputs(inputs) {
    return inputs.verifyWith === 'key'
        ? 'cosign-public-key (or cosign-key)'
        : 'certificate-identity and certificate-oidc-issuer';
}
function describeTrust(inputs) {
    const who = inputs.verifyWith === 'key' ? 'with the public key' : `keyless, identity ${inputs.certificateIdentity}`;
    return `${who}, ${inputs.tlog ? 'in the transparency log' : 'transparency log not checked (cosign-tlog: false)'}`;
}

// The image the deploy rolls out, pinned to a digest: the one pushed in this run, a release the
// version input chose, the one before (rollback), or the one the registry holds for the version;
// verified (verify input) before any host pulls it, and checked on each host after the pull.
/**
 * The plan pinned to the image's digest: the one pushed in this run, or deploying alone, the one
 * the registry holds for the version now (a tag moved later changes nothing). Every host then
 * pulls `repo:version@sha256:...`, which the engine checks against the digest. Not pinned (with a
 * warning) when the compose file's image is not the action's image.
 */
async function pinnedFleet(fleet, context, pushed, choice = { kind: 'event' }) {
    const image = context.inputs.image;
    if (choice.kind === 'rollback') {
        const plan = await rollbackPlan(fleet.plan, image, fleet.targets.map((target) => ({
            host: target.host.url,
            labels: () => runningLabels(target.docker, fleet.plan.project, fleet.plan.service, (project, service) => new Containers(target.docker).list(project, service))
        })), registryLookup(context.registries));
        info(`Rolling back to ${plan.image}: the release before the current one, as the hosts record it`);
        return replanned(fleet, plan);
    }
    const wanted = parseImageReference(fleet.plan.image);
    if (`${wanted.image.registry}/${wanted.image.repository}` !== `${image.registry}/${image.repository}`) {
        if (choice.kind !== 'event')
            throw new Error(`version: the service's image ${fleet.plan.image} is not ${image.name}, the image whose release was chosen`);
        warning(`compose-file: the service's image ${fleet.plan.image} is not ${image.name}: it is deployed by its tag, not by the digest pushed`);
        return fleet;
    }
    const digest = pushed?.digest || chosenDigest(choice) || (await digestInRegistry(context, wanted.image, wanted.tag));
    const plan = fleet.plan.pinned(digest);
    if (!plan.image.endsWith(`@${digest}`)) {
        if (choice.kind !== 'event')
            throw new Error(`version: the service's image does not end with \${APP_VERSION} (${plan.image}), so the chosen release cannot be deployed by its digest ${digest}`);
        warning(`compose-file: the service's image does not end with \${APP_VERSION} (${plan.image}): it is deployed by its tag, not by the digest ${digest}`);
        return fleet;
    }
    info(`Deploying ${plan.image}: the digest ${pushed?.digest ? 'pushed by this run' : chosenDigest(choice) ? 'chosen (the version input)' : `the registry holds for ${wanted.tag}`}`);
    return replanned(fleet, plan);
}
/** The fleet with another plan, bound to every host. */
async function replanned(fleet, plan) {
    const targets = await Promise.all(fleet.targets.map(async (target) => ({ ...target, plan, rollout: await plan.connect(target.docker) })));
    return { plan, targets };
}
/**
 * The signature (and with scan-attestation, the attested scan verdict) of the digest about to be
 * deployed, as the verify input asks; refused when the image is not deployed by a digest.
 */
async function verifyPinned(plan, context) {
    const { signing, image } = context.inputs;
    if (signing.verify === 'none')
        return;
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(plan.image)?.[1];
    if (!digest) {
        throw new Error(`verify: ${signing.verify} needs the image deployed by its digest, and ${plan.image} is not: make the service's image end with :\${APP_VERSION}`);
    }
    await verifyImage(image, digest, signing, await cosignRunOf(context));
}
/** The digest the registry holds for image:tag, read through the registry client. */
async function digestInRegistry(context, image, tag) {
    const client = await context.registries(image.registry);
    const manifest = await withRetry(`read ${image.name}:${tag}`, REGISTRY_RETRY, () => client.getManifest(image.repository, tag));
    return manifest.digest;
}
/** The image pulled by digest is the one the host holds under it: its RepoDigests say so. */
async function checkPulledDigest(target, image) {
    const digest = image.slice(image.lastIndexOf('@') + 1);
    const inspected = await target.docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', image], {
        quiet: true
    });
    const repoDigests = JSON.parse(inspected.stdout.trim() || '[]');
    if (!Array.isArray(repoDigests) ||
        !repoDigests.some((entry) => typeof entry === 'string' && entry.endsWith(`@${digest}`))) {
        throw new Error(`the image ${image} on ${target.host.url} is not known by ${digest} (its RepoDigests: ${inspected.stdout.trim()})`);
    }
}

// How a deploy reads in the step summary (its rows and section) and in the log (the failed
// containers' own words, which stay out of the summary).
/** A failure's reason in the summary is cut to this many characters (it can quote docker). */
const REASON_LIMIT = 500;
/** The environment's deployments page on GitHub, and the environment's own address. */
function githubDeploymentRow(deployment) {
    const name = link(text(deployment.environment), environmentPage(deployment.environment));
    return `${name} (deployment ${deployment.id})${deployment.url ? `: ${link(text(deployment.url), deployment.url)}` : ''}`;
}
/**
 * The last health checks and log lines of each container that failed, a log group each. They are
 * the container's own words, so they stay out of the summary, which only points here.
 */
function printContainerLogs(failures) {
    for (const failure of failures) {
        startGroup(logGroupTitle(failure));
        try {
            if (failure.healthLog.length > 0) {
                info('Last health checks:');
                for (const probe of failure.healthLog)
                    printUntrusted(probe);
            }
            info(`Last ${LOG_TAIL_LINES} log lines:`);
            if (failure.logTail)
                printUntrusted(failure.logTail);
            else
                info('(nothing)');
        }
        finally {
            endGroup();
        }
    }
}
function logGroupTitle(failure) {
    return `Logs of ${failure.name} (${short(failure.id)})`;
}
/** Which release a version or rollback input chose, for the summary (the Version row is the event's). */
function choiceRow(choice, version) {
    if (!choice || choice.kind === 'event' || !version)
        return undefined;
    return [
        'Chosen release',
        choice.kind === 'rollback'
            ? `${code(version)}, the release before the current one (rollback)`
            : `${code(version)} (the version input)`
    ];
}
function deployRow(result) {
    const several = result.hosts.length > 1;
    const where = `${code(result.image)} to ${several ? `${result.hosts.length} hosts` : code(result.host)} (${text(result.project)}, service ${text(result.service)})`;
    if (several)
        return `${where}: ${outcomeCounts(result.hosts)}`;
    if (result.deployed) {
        const count = `${result.containers.length} container(s)`;
        return `${where}: ${count}${result.previousImage ? `, replacing ${code(result.previousImage)}` : ', first deploy'}`;
    }
    if (result.rolledBack)
        return `${where}: **rolled back**, ${result.previousImage ? `${code(result.previousImage)} still serving` : 'nothing was running before'}`;
    return `${where}: not deployed`;
}
/** What a host's rollout came to, in words. */
function outcomeText(host) {
    switch (host.outcome) {
        case 'deployed':
            return `deployed, ${host.containers.length} container(s)`;
        case 'failed':
            return host.rolledBack ? '**failed**, its new containers removed' : '**failed**';
        case 'reverted':
            return 'rolled back to the release before';
        case 'revert failed':
            return '**could not be rolled back**: still on the new release';
        case 'not reached':
            return 'not changed';
    }
}
/** `2 deployed, 1 failed, ...` over the hosts. */
function outcomeCounts(hosts) {
    const counts = new Map();
    for (const host of hosts) {
        const word = host.outcome === 'failed' ? 'failed' : host.outcome === 'reverted' ? 'rolled back' : host.outcome;
        counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    return [...counts].map(([word, count]) => `${count} ${word}`).join(', ');
}
/** An orchestrator's tasks (Swarm), a row each: node, state, health, error. */
function taskTable(result) {
    if (!result.tasks || result.tasks.length === 0)
        return [];
    const cell = (value) => text(clip$1(value, REASON_LIMIT)).replace(/\|/g, '\\|') || ' ';
    return [
        '| Task | Node | State | Health | Error |',
        '| --- | --- | --- | --- | --- |',
        ...result.tasks.map((row) => `| ${[row.task, row.node, row.state, row.health, row.error].map(cell).join(' | ')} |`),
        ''
    ];
}
/** The rollout's timeline (a row per host when there are several), and each failed container. */
function deploySection(result) {
    const lines = ['### Deploy', ''];
    if (result.hosts.length > 1) {
        lines.push('| Host | Result | Phases (seconds) | Total |', '| --- | --- | --- | ---: |');
        for (const host of result.hosts) {
            const total = host.timeline.reduce((sum, entry) => sum + entry.seconds, 0);
            const phases = host.timeline.map((entry) => `${entry.phase} ${entry.seconds.toFixed(1)}`).join(' · ');
            lines.push(`| ${code(host.host)} | ${outcomeText(host)} | ${phases} | ${total.toFixed(1)} |`);
        }
        lines.push('');
    }
    else if (result.timeline.length > 0) {
        const total = result.timeline.reduce((sum, entry) => sum + entry.seconds, 0);
        lines.push('| Phase | Seconds |', '| --- | ---: |');
        for (const entry of result.timeline)
            lines.push(`| ${entry.phase} | ${entry.seconds.toFixed(1)} |`);
        lines.push(`| **total** | **${total.toFixed(1)}** |`, '');
    }
    lines.push(...taskTable(result));
    lines.push(...prunedLines(result.hosts));
    for (const failure of result.failures) {
        lines.push(`- ${code(clip$1(failure.name))} (${code(short(failure.id))}): ${text(clip$1(failure.reason, REASON_LIMIT))}. Its last health checks and log lines are in the job log, in the group ${code(clip$1(logGroupTitle(failure)))}.`);
    }
    if (result.failures.length > 0)
        lines.push('');
    return lines.join('\n');
}
/** What keep-releases removed, a line per host that had something to remove. */
function prunedLines(hosts) {
    const lines = hosts.flatMap((host) => host.pruned && host.pruned.removed.length > 0
        ? [
            `- keep-releases removed ${host.pruned.removed.length} old image(s)${hosts.length > 1 ? ` on ${code(host.host)}` : ''}: ${host.pruned.removed.map((image) => code(clip$1(image.release))).join(', ')}; ${sizeText(host.pruned.bytes)} freed${host.pruned.warnings.length > 0 ? ` (${host.pruned.warnings.length} not removed: see the log)` : ''}`
        ]
        : []);
    return lines.length > 0 ? [...lines, ''] : [];
}

// The deploy step: what every rollout shares, whatever its strategy (strategy.ts: Compose
// blue-green or Swarm). Every host was reached and the strategy's files checked before the build
// (target.ts); here the image is pinned to its digest and verified (pinned-release.ts), pulled on
// every host side by side, the deploy locks taken (in one order, so two runs never wait for each
// other), and the rollout handed to the strategy host by host, batch by batch (fleet/rollout.ts),
// with each host's timeline, the log and the post step's state; then the locks are released, and
// the step reports: its outputs and the result over every host (result.ts), as the summary and
// the log show it (summary.ts).
/** Pulls and image checks on this many hosts at once. */
const HOSTS_AT_ONCE = 16;
/** A reason not to deploy although deploy is in steps, or undefined. */
function deploySkipReason(inputs, release) {
    if (!inputs.steps.includes('deploy'))
        return 'deploy is not in steps';
    if (inputs.deploy.dockerHosts.length === 0)
        return 'deploy-host is empty';
    if (inputs.steps.includes('push') && !release.pushing.push) {
        return `nothing was pushed (${release.pushing.reason})`;
    }
    return undefined;
}
/** Who holds the deploy lock: the workflow run's address, else the repository and run ID. */
function lockHolder(github, env = process.env) {
    const runId = env.GITHUB_RUN_ID;
    if (github.repositoryUrl)
        return `${github.repositoryUrl}${runId ? `/actions/runs/${runId}` : ''}`;
    const repository = github.repository ?? 'a workflow run';
    return runId ? `${repository}, run ${runId}` : repository;
}
/** Seconds between the marks of a rollout's phases. */
class Timeline {
    entries;
    last = Date.now();
    constructor(entries) {
        this.entries = entries;
    }
    mark(phase) {
        const now = Date.now();
        this.entries.push({ phase, seconds: (now - this.last) / 1000 });
        this.last = now;
    }
}
/**
 * An image built but not pushed is deployed from the local engine (the host then): refused when
 * it is not there (built into an OCI layout) or when the verify input asks for a signature.
 */
function refuseUnpushed(inputs, built) {
    if (built?.layout) {
        throw new Error(`the image was built into an OCI layout (builder ${built.builder.kind === 'buildx' ? built.builder.name : 'classic'}), which the engine does not hold: add push to steps to deploy it from the registry, or build with the docker driver`);
    }
    if (inputs.signing.verify !== 'none') {
        throw new Error(`verify: ${inputs.signing.verify} checks the image in the registry, and this run does not push it: add push to steps, or set verify: none`);
    }
}
const deployStep = {
    name: 'deploy',
    title: 'Deploy',
    secretInputs: DEPLOY_SECRET_INPUTS,
    states: (deploy) => deployStates(deploy?.dockerHosts.length ?? 1),
    readInputs: readDeployInputs,
    admit: (deploy, { steps, eventName }) => refuseUntrustedDeploy({ steps, deploy }, eventName),
    skip: (deploy, { steps, release }) => {
        const reason = deploySkipReason({ steps, deploy }, release);
        return reason ? `The deploy step was skipped: ${reason}.` : undefined;
    },
    prepare: prepareDeployTarget,
    finish: finishDeploy,
    leftForPost: deployLeftForPost,
    run: async ({ context, inputs: deploy, prepared, earlier }) => {
        if (!prepared)
            throw new Error('the deploy target was not prepared');
        let fleet = prepared;
        const result = emptyResult(fleet);
        const timelines = result.hosts.map((host) => new Timeline(host.timeline));
        const shown = deploy.environment ? await showOnGitHub(context, deploy) : undefined;
        if (shown)
            result.githubDeployment = { id: shown.id, environment: shown.environment, url: deploy.environmentUrl };
        try {
            if (!pullsImage(context.inputs))
                refuseUnpushed(context.inputs, earlier.build);
            else {
                fleet = await pinnedFleet(prepared, context, earlier.push, deploy.choice);
                result.image = fleet.plan.image;
                result.version = reportedVersion(deploy.choice, fleet.plan);
                // Before the pull: an image that fails is refused with nothing changed on any host.
                await verifyPinned(fleet.plan, context);
                await onEveryHost(fleet, async (target) => {
                    // An orchestrator's nodes pull the image themselves (Swarm).
                    if (target.rollout.nodesPull)
                        return;
                    await pullImage(target, context.inputs, timelines[target.index]);
                    if (fleet !== prepared)
                        await checkPulledDigest(target, fleet.plan.image);
                });
            }
            const imageIds = await onEveryHost(fleet, (target) => target.rollout.nodesPull
                ? Promise.resolve('')
                : imageIdOn(target.docker, fleet.plan.image, target.host.url));
            await withLocks(fleet, { context, deploy }, timelines, async () => {
                await rollOutFleet(fleet, deploy, { imageIds, timelines, result });
                await pruneFleet(fleet, deploy, imageIds, result);
            });
            combineHostReports(result);
            await shown?.finish('success', `Deployed ${result.image}`);
            await tellPullRequest(context, deploy, earlier.scan, result, 'success');
            return result;
        }
        catch (error) {
            combineHostReports(result);
            // Never the error's text: it may quote a program, and GitHub shows the description to every reader.
            await shown?.finish('failure', result.rolledBack ? 'Failed; rolled back' : 'Failed');
            await tellPullRequest(context, deploy, earlier.scan, result, 'failure');
            // Last in the step, after the lock is released: GitHub does not nest log groups, so the
            // step's own group ends where the first of these begins.
            printContainerLogs(result.failures);
            throw new StepError(error.message, result);
        }
    },
    report: (result, { inputs: deploy, run, release }) => {
        const outputs = {
            deployed: String(result?.deployed ?? false),
            'previous-image': result?.previousImage ?? '',
            containers: result?.deployed ? result.containers.join('\n') : '',
            // A chosen release replaces the event's version (the release's output of the same name).
            ...(deploy && deploy.choice.kind !== 'event'
                ? { version: result?.version ?? (deploy.choice.kind === 'version' ? deploy.choice.version : '') }
                : {})
        };
        if (!result) {
            const skipped = run?.steps.includes('deploy') && deploy && release
                ? deploySkipReason({ steps: run.steps, deploy }, release)
                : undefined;
            return { outputs, rows: skipped ? [['Deploy', `skipped (${skipped})`]] : [] };
        }
        const chosen = choiceRow(deploy?.choice, result.version);
        const rows = [...(chosen ? [chosen] : []), ['Deploy', deployRow(result)]];
        if (result.githubDeployment)
            rows.push(['GitHub deployment', githubDeploymentRow(result.githubDeployment)]);
        return { outputs, rows, sections: [deploySection(result)] };
    }
};
/**
 * The deploy reported to GitHub (environment), the deployment created and marked in_progress, or
 * undefined. Its client is loaded only then (a chunk of its own: Octokit stays out of the main one).
 */
async function showOnGitHub(context, deploy) {
    const { showOnGitHub: show } = await import('./chunks/github-deployment-uAssz8Ts.js');
    return show({
        token: deploy.githubToken,
        environment: deploy.environment,
        environmentUrl: deploy.environmentUrl,
        repository: context.github.repository,
        // The commit reviewed: a pull request's head, not the merge commit GitHub made for the run.
        sha: context.github.tagSha,
        logUrl: runUrlFrom(),
        log: core,
        save: (value) => saveForPost(DeployState.GitHubDeployment, value)
    }).catch((error) => {
        warning(`environment: no GitHub deployment is shown: ${error.message}`);
        return undefined;
    });
}
/**
 * On a pull request run that deployed to an environment, the scan's sticky comment gets the
 * deployment's line (where, how it ended). Loaded only then, as the deployment's client is.
 */
async function tellPullRequest(context, deploy, scan, result, outcome) {
    const comment = scan?.pullRequestComment;
    if (!comment || !result.githubDeployment)
        return;
    const { deploymentCommentLine, linkFromPullRequestComment } = await import('./chunks/github-deployment-uAssz8Ts.js');
    await linkFromPullRequestComment({
        comment,
        line: deploymentCommentLine(result.githubDeployment, outcome, result.rolledBack === true),
        token: deploy.githubToken,
        context: context.github,
        log: core
    });
}
/** `work` on every host, some side by side; the results by deploy-host line. */
function onEveryHost(fleet, work) {
    return mapLimit(fleet.targets, HOSTS_AT_ONCE, work);
}
/**
 * Whether the image comes from the registry. A build that was not pushed is only on the local
 * engine, which is the deploy host then (unix://).
 */
function pullsImage(inputs) {
    return !(inputs.steps.includes('build') && !inputs.steps.includes('push'));
}
/**
 * The image from the registry, with the runner's credentials sent along with the pull (the
 * docker CLI's X-Registry-Auth): nothing is stored on the host.
 */
async function pullImage(target, inputs, timeline) {
    const image = target.plan.image;
    await withRetry(`docker pull ${image} on ${target.host.url}`, REGISTRY_RETRY, () => target.docker.run(['pull', '--quiet', image], {
        quiet: true,
        timeout: registryTimeout(inputs.publish.registryTimeout)
    }));
    timeline.mark('image pulled');
}
/**
 * Runs `rollOut` holding the deploy lock of the project on every host. The locks are taken one
 * host at a time in the order of the hosts' addresses, so two runs naming the same hosts in any
 * order never hold one lock each while waiting for the other's.
 */
async function withLocks(fleet, { context, deploy }, timelines, rollOut) {
    const { project, image } = fleet.plan;
    const { lockTimeout } = deploy;
    const several = fleet.targets.length > 1;
    const held = [];
    const judgeStale = staleLockJudge({
        breakStaleLock: deploy.breakStaleLock,
        lockTimeoutSeconds: lockTimeout,
        token: deploy.githubToken,
        repository: context.github.repository
    });
    const ordered = [...fleet.targets].sort((a, b) => a.host.url < b.host.url ? -1 : a.host.url > b.host.url ? 1 : 0);
    try {
        for (const target of ordered) {
            const lock = await acquireLock(target.docker, project, image, lockHolder(context.github), {
                timeoutMs: lockTimeout * 1000,
                record: lockRecordFrom(),
                ...(judgeStale
                    ? {
                        judgeStale,
                        onBroken: (held, reason) => warning(brokenLockMessage(project, several ? ` on ${target.host.url}` : '', held, reason))
                    }
                    : {}),
                onWait: (holder) => info(`Another deploy of ${project} holds the lock${several ? ` on ${target.host.url}` : ''} (${holder}); waiting up to ${lockTimeout} s`)
            }).catch((error) => {
                throw several ? new Error(`${target.host.url}: ${error.message}`) : error;
            });
            held.push({ target, lock });
            saveForPost(hostState(DeployState.Lock, target.index), lock.name);
            timelines[target.index]?.mark('lock taken');
        }
        await rollOut();
    }
    finally {
        // Left in the state when the host cannot be reached: the post step tries again.
        await Promise.all(held.map(async ({ target, lock }) => {
            if (await releaseLock(target.docker, lock))
                saveForPost(hostState(DeployState.Lock, target.index), '');
        }));
    }
}
/**
 * The rollout over every host, batch by batch; each host's report in `result.hosts`. With
 * several hosts, which hosts finished and what each ran before is saved for the post step until
 * the rollout is over (a cancelled run leaves every host on one release).
 */
async function rollOutFleet(fleet, deploy, run) {
    const { imageIds, timelines, result } = run;
    const several = fleet.targets.length > 1;
    const state = emptyFleetState();
    const saveFleet = () => {
        if (several)
            saveForPost(DeployState.Finished, JSON.stringify(state));
    };
    const hosts = fleet.targets.map((target) => {
        const report = result.hosts[target.index];
        const timeline = timelines[target.index];
        const hooks = rolloutHooks(target, timeline, () => {
            // The rollout took stock of what ran: the post step may need to go back to it.
            if (report.previousImage && state.previous[target.index] !== report.previousImage) {
                state.previous[target.index] = report.previousImage;
                saveFleet();
            }
        });
        return {
            index: target.index,
            url: target.host.url,
            rollOut: () => target.rollout.rollOut(imageIds[target.index], hooks, report),
            checkServing: () => checkServing(target, report.containers),
            revert: () => revertFinished(target, fleet.plan, report, hooks)
        };
    });
    try {
        const { outcomes, error } = await rollOutInBatches(hosts, {
            batches: rolloutBatches(hosts.length, deploy.rolloutBatch),
            batchWaitSeconds: deploy.batchWait,
            onFailure: deploy.onFailure,
            log: core,
            finished: (index) => {
                state.finished.push(index);
                saveFleet();
            },
            batchStarts: (number, indexes) => {
                if (several)
                    info(`Batch ${number}${number === 1 ? ' (canary)' : ''}: ${indexes.map((index) => fleet.targets[index]?.host.url).join(', ')}`);
            }
        });
        setOutcomes(result, outcomes);
        if (error)
            throw error;
    }
    finally {
        if (several)
            saveForPost(DeployState.Finished, '');
    }
}
/**
 * keep-releases after every host deployed (Compose hosts: a Swarm's nodes hold their own images),
 * still under the deploy locks so no other deploy of the project runs meanwhile.
 */
async function pruneFleet(fleet, deploy, imageIds, result) {
    const targets = fleet.targets.filter((target) => !target.rollout.nodesPull && result.hosts[target.index]?.outcome === 'deployed');
    const hosts = targets.map((target) => ({
        docker: target.docker,
        url: target.host.url,
        runningId: imageIds[target.index],
        previousImage: result.hosts[target.index]?.previousImage ?? ''
    }));
    const reports = await pruneAfterDeploy(hosts, {
        image: fleet.plan.image,
        keepReleases: deploy.keepReleases,
        log: core,
        each: (work) => mapLimit(hosts, HOSTS_AT_ONCE, work)
    });
    targets.forEach((target, i) => {
        const host = result.hosts[target.index];
        const report = reports[i];
        if (host && report)
            host.pruned = report;
    });
}
function setOutcomes(result, outcomes) {
    for (const [index, outcome] of outcomes) {
        const host = result.hosts[index];
        if (host)
            host.outcome = outcome;
    }
}
/** A finished host back on the release it ran before; its report says so. */
async function revertFinished(target, plan, report, hooks) {
    if (!report.previousImage) {
        throw new Error('nothing ran there before this release (a first deploy): it stays on the new release');
    }
    const reverted = { deployed: false, previousImage: '', containers: [], failures: [] };
    await revertHost(target.docker, target.host.url, plan, report.previousImage, hooks, reverted);
    report.deployed = false;
    report.containers = reverted.containers;
    hooks.mark('rolled back');
}
/** Throws when one of the host's new containers is no longer running and healthy. */
async function checkServing(target, containers) {
    const states = await new Containers(target.docker).inspect(containers);
    const unwell = states.filter((container) => !canServe(container));
    if (states.length < containers.length || unwell.length > 0) {
        throw new Error(`its new container(s) ${unwell.map((container) => container.name).join(', ') || containers.join(', ')} stopped serving`);
    }
}
/** What the step hands the strategy on one host: its timeline, the log, the post step's state. */
function rolloutHooks(target, timeline, saved) {
    const tunnel = target.access.tunnel;
    return {
        mark: (phase) => timeline.mark(phase),
        log: core,
        saveState: (state) => {
            saveForPost(hostState(DeployState.Rollout, target.index), state);
            saved();
        },
        connectionAlive: tunnel ? () => tunnelAlive(tunnel) : undefined
    };
}

const REQUEST_TIMEOUT_MS = 30_000;
/**
 * The slowest upload rate a blob upload is given time for. The limit covers sending the whole
 * body, so a fixed one would fail every large layer on a slow link; 1 MiB/s is well under what
 * CI runners reach, and a registry that stalls is still caught (at size/rate past the limit).
 */
const MIN_UPLOAD_BYTES_PER_SECOND = 1024 * 1024;
/** The limit on one blob upload: the request limit plus the time the bytes take at the slowest rate. */
function uploadTimeoutMs(requestTimeoutMs, size) {
    return requestTimeoutMs + Math.ceil((size / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
}
class RegistryError extends Error {
    status;
    constructor(message, status) {
        super(message);
        this.status = status;
        this.name = 'RegistryError';
    }
}
/** Throws a RegistryError naming the registry, what was tried and the start of the answer. */
async function expectOk(response, registry, what) {
    if (response.ok)
        return;
    const text = (await response.text().catch(() => '')).slice(0, 300);
    throw new RegistryError(`could not ${what} on ${registry}: ${response.status} ${response.statusText} ${text}`.trim(), response.status);
}
/**
 * fetch with a time limit on each request (the answer's headers within `timeoutMs`); a request
 * past it fails with a RegistryError naming the host, the request and the limit.
 */
function fetchWithTimeout(fetchImpl, timeoutMs) {
    return async (input, init) => {
        try {
            return await fetchImpl(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
        }
        catch (error) {
            if (error.name !== 'TimeoutError')
                throw error;
            const url = new URL(input instanceof Request ? input.url : String(input));
            throw new RegistryError(`${url.host} did not answer ${init?.method ?? 'GET'} ${url.pathname} within ${timeoutMs / 1000} s: timed out`);
        }
    };
}

// What to do when a registry refuses the run's credentials or a push: the cause alone ("denied",
// 401) sends people searching, and the fix differs by registry (a job permission on ghcr.io, a
// token scope on Docker Hub).
/** A refusal of the credentials or of access: a 401/403 answer, or the words registries use for one. */
function isRefusal(error) {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403))
        return true;
    const message = error instanceof Error ? error.message : String(error);
    return /\b(?:401|403)\b|unauthorized|denied|forbidden|authentication required|no basic auth credentials/i.test(message);
}
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** The fix for a refusal by `registry`, one sentence or two, naming the input or permission. */
function refusalFix(registry, repository) {
    const host = registry.toLowerCase();
    if (host === 'ghcr.io') {
        return 'For ghcr.io with the workflow token (username: ${{ github.actor }}, password: ${{ secrets.GITHUB_TOKEN }}), give the job `permissions: packages: write`; a package first pushed by another repository must also grant this one write access (the package settings, Manage Actions access).';
    }
    if (DOCKER_HUB.has(host)) {
        return 'For Docker Hub, set password to an access token with the Read & Write scope (Account settings, Personal access tokens) and username to the account it belongs to; an organization repository needs that account in a team with write access.';
    }
    return `Check that username and password may push to ${repository ? `${registry}/${repository}` : registry}.`;
}
/** `message` with the fix appended when `error` is a refusal by `registry`; else `message` as it is. */
function withRefusalFix(message, error, registry, repository) {
    return isRefusal(error) ? `${message}\n${refusalFix(registry, repository)}` : message;
}

const DEFAULT_PUSH_CONCURRENCY = 4;
/**
 * Pushes the graph readLayoutGraph read (one root in index.json) into `repository` and returns
 * the root's digest and what was sent. A blob whose bytes do not hash to its digest fails the
 * push before it is uploaded.
 */
async function pushLayout(client, repository, layout, options = {}) {
    const retry = options.retry ?? REGISTRY_RETRY;
    const [root, ...others] = layout.roots;
    if (!root || others.length > 0)
        throw new LayoutError(`${layout.dir}/index.json names ${layout.roots.length} manifests: a push takes exactly one`);
    const mountFrom = (options.mountFrom ?? []).filter((from) => from !== repository);
    const outcomes = await mapLimit(layout.blobs, options.concurrency ?? DEFAULT_PUSH_CONCURRENCY, (blob) => pushBlob(client, repository, layout.dir, blob, mountFrom, retry));
    const uploaded = layout.blobs.filter((_, index) => outcomes[index] === 'uploaded');
    // Children before parents (a registry refuses an index naming a manifest it lacks): level by
    // level, each level's manifests at once (the platforms' and the attestations', then the index).
    let manifest;
    for (const level of manifestLevels(layout.manifests)) {
        await mapLimit(level, options.concurrency ?? DEFAULT_PUSH_CONCURRENCY, async (child) => {
            const sent = asManifest(child);
            await withRetry(`put the manifest ${repository}@${child.digest}`, retry, () => client.putManifest(repository, child.digest, sent));
            if (child.digest === root.digest)
                manifest = sent;
        });
    }
    if (!manifest)
        throw new LayoutError(`${root.digest}, named by index.json, was not among the manifests read`);
    return {
        digest: manifest.digest,
        manifest,
        blobsUploaded: uploaded.length,
        blobsSkipped: outcomes.filter((outcome) => outcome === 'skipped').length,
        blobsMounted: outcomes.filter((outcome) => outcome === 'mounted').length,
        bytesUploaded: uploaded.reduce((sum, blob) => sum + blob.size, 0),
        manifestsPut: layout.manifests.length
    };
}
/**
 * The manifests in levels: the first names no other manifest, each later one only manifests of
 * the levels before it. `manifests` comes children first (readLayoutGraph), so one pass does.
 */
function manifestLevels(manifests) {
    const levelOf = new Map();
    const levels = [];
    for (const manifest of manifests) {
        const children = namedManifests(manifest.body).filter((digest) => levelOf.has(digest));
        const level = children.length === 0 ? 0 : 1 + Math.max(...children.map((digest) => levelOf.get(digest) ?? 0));
        levelOf.set(manifest.digest, level);
        (levels[level] ??= []).push(manifest);
    }
    return levels.filter(Boolean);
}
/** The digests an index's `manifests` names (none for an image manifest). */
function namedManifests(body) {
    const parsed = JSON.parse(body.toString('utf8'));
    return Array.isArray(parsed.manifests)
        ? parsed.manifests
            .map((entry) => entry.digest)
            .filter((digest) => typeof digest === 'string')
        : [];
}
/**
 * Points each tag at the pushed index (one manifest PUT each, all at once); returns the tags
 * in the order given.
 */
async function tagLayout(client, repository, manifest, tags, retry = REGISTRY_RETRY) {
    await mapLimit(tags, DEFAULT_PUSH_CONCURRENCY, (tag) => withRetry(`tag ${repository}:${tag}`, retry, () => client.putManifest(repository, tag, manifest)));
    return tags;
}
async function pushBlob(client, repository, layoutDir, blob, mountFrom, retry) {
    const { digest, size } = blob;
    if (await withRetry(`check for ${digest} in ${repository}`, retry, () => client.hasBlob(repository, digest)))
        return 'skipped';
    // A refused mount opens an upload session: used for the upload, or ended before the next try.
    let session;
    for (const from of mountFrom) {
        if (session)
            await cancelQuietly(client, repository, session);
        const mount = await withRetry(`mount ${digest} from ${from} into ${repository}`, retry, () => client.mountBlob(repository, digest, from));
        if (mount.mounted)
            return 'mounted';
        session = mount.location;
    }
    // Checked as it is sent (openCheckedBlob), outside the retries: bytes that are not what they
    // are named fail the push and are never retried; their upload never completes.
    await withRetry(`upload ${digest} to ${repository}`, retry, () => {
        // A session serves one attempt: a retry starts a fresh one.
        const opened = session;
        session = undefined;
        return client.uploadBlob(repository, digest, size, () => openCheckedBlob(layoutDir, blob), opened);
    });
    return 'uploaded';
}
/** An upload session left open only costs the registry until it expires it: a failed DELETE is no failure. */
async function cancelQuietly(client, repository, location) {
    await client.cancelUpload(repository, location).catch(() => undefined);
}
function asManifest(manifest) {
    return { body: manifest.body, mediaType: manifest.mediaType, digest: manifest.digest };
}

// Keyless signing's identity: the job's OIDC token from GitHub Actions for the audience
// `sigstore`, which Fulcio exchanges for a short-lived certificate naming the workflow. The
// runner hands a job the means to ask for one only with `permissions: id-token: write`.
class MissingIdTokenPermissionError extends Error {
    constructor() {
        super('keyless signing needs an OIDC token, and this job may not ask for one (ACTIONS_ID_TOKEN_REQUEST_URL is not set): add `permissions: id-token: write` to the job (or sign with sign: key and cosign-key)');
        this.name = 'MissingIdTokenPermissionError';
    }
}
/** The job's token for Sigstore, masked before anything could print it. */
async function sigstoreIdentityToken(env = process.env) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
        throw new MissingIdTokenPermissionError();
    let token;
    try {
        // Asks ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore with the request token as bearer.
        token = await getIDToken('sigstore');
    }
    catch (error) {
        throw new Error(`could not get the job's OIDC token for Sigstore: ${error.message}; nothing was signed`);
    }
    // getIDToken masks it too; masking here keeps that true whatever @actions/core does.
    setSecret(token);
    if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token))
        throw new Error('the OIDC token GitHub Actions returned is not a JWT; nothing was signed');
    return token;
}

// Signing an image and attesting its scan with cosign, by digest. With a key, the private key is
// written into the private folder and its password reaches cosign only as COSIGN_PASSWORD; keyless,
// the job's OIDC token goes into that folder and cosign reads it from there (--identity-token
// takes a path), so no secret is ever in an argument list.
/** The arguments that say who signs and where the signature is recorded. */
function signerArgs(inputs, signer) {
    const who = signer.kind === 'key'
        ? ['--key', signer.keyFile]
        : [
            '--identity-token',
            signer.tokenFile,
            ...(inputs.fulcioUrl ? ['--fulcio-url', inputs.fulcioUrl] : [])
        ];
    return [
        '--yes',
        ...who,
        ...(inputs.rekorUrl ? ['--rekor-url', inputs.rekorUrl] : []),
        ...(inputs.tlog ? [] : ['--tlog-upload=false'])
    ];
}
function signArgs(inputs, signer, image, digest) {
    return ['sign', ...signerArgs(inputs, signer), ...registryFlags(image), digestReference(image, digest)];
}
function attestArgs(inputs, signer, predicateFile, image, digest) {
    return [
        'attest',
        ...signerArgs(inputs, signer),
        '--type',
        'vuln',
        '--predicate',
        predicateFile,
        ...registryFlags(image),
        digestReference(image, digest)
    ];
}
/** Signs `image@digest` as the inputs say (sign must not be off). */
async function signImage(image, digest, inputs, run) {
    const reference = digestReference(image, digest);
    await withSigner(inputs, run, async (signer, env) => {
        const result = await runCosign(run, signArgs(inputs, signer, image, digest), env, { allowFailure: true });
        if (result.exitCode !== 0)
            throw new Error(signFailure('sign', reference, inputs, result));
    });
    info(`Signed ${reference} (${describeSigning(inputs)})`);
}
/** Attests the scan of `image@digest`: its verdict and Trivy's reports, signed like the image. */
async function attestScan(image, digest, scan, invocation, inputs, run) {
    const reference = digestReference(image, digest);
    const predicate = JSON.stringify(vulnPredicate(scan, invocation));
    await withSigner(inputs, run, async (signer, env, folder) => {
        const predicateFile = folder.write('scan-predicate.json', predicate);
        const args = attestArgs(inputs, signer, predicateFile, image, digest);
        const result = await runCosign(run, args, env, { allowFailure: true });
        if (result.exitCode !== 0)
            throw new Error(signFailure('attest', reference, inputs, result));
    });
    info(`Attested the scan of ${reference}: ${scan.verdict.gate} (${describeSigning(inputs)})`);
}
/**
 * Lays out what signs in a private folder (removed afterwards) and runs `work` with it and the
 * environment cosign needs for it.
 */
async function withSigner(inputs, run, work) {
    if (inputs.sign === 'off')
        throw new Error('signing is off (sign: false)');
    // Before the folder: a job without id-token permission fails with nothing written. The token
    // comes through the action's own environment (where the runner puts the request URL).
    const token = inputs.sign === 'keyless' ? await sigstoreIdentityToken() : undefined;
    await withPrivateFolder(run.tempRoot, async (folder) => {
        if (token !== undefined) {
            await work({ kind: 'keyless', tokenFile: folder.write('identity-token', token) }, {}, folder);
        }
        else {
            const keyFile = folder.write('cosign.key', pemFile(inputs.cosignKey));
            // Always set, even empty: cosign would otherwise ask on a terminal there is none of.
            await work({ kind: 'key', keyFile }, { COSIGN_PASSWORD: inputs.cosignPassword }, folder);
        }
    });
}
function describeSigning(inputs) {
    const how = inputs.sign === 'key' ? 'with cosign-key' : `keyless, through ${inputs.fulcioUrl || 'the public Fulcio'}`;
    const log = inputs.tlog
        ? `recorded in ${inputs.rekorUrl || 'the public Rekor'}`
        : 'not recorded in a transparency log';
    return `${how}, ${log}`;
}
/** Why cosign did not sign, and what to do. */
function signFailure(verb, reference, inputs, result) {
    const what = verb === 'sign' ? 'signed' : 'attested';
    const said = cosignSaid(result);
    // What cosign gave as its error, not its progress lines ("Retrieving signed certificate...").
    const lines = `${result.stdout}\n${result.stderr}`.split('\n');
    const errors = lines.filter((line) => /^(?:Error\b|error during command execution)/.test(line.trim()));
    const output = (errors.length > 0 ? errors : lines).join('\n');
    if (inputs.sign === 'keyless' && /fulcio|signing cert/i.test(output)) {
        return `keyless signing of ${reference} failed: Fulcio (${inputs.fulcioUrl || 'the public Sigstore instance'}) gave no signing certificate; nothing was ${what}${said}`;
    }
    if (inputs.sign === 'key' && /decrypt|password|passphrase/i.test(output)) {
        return `cosign could not open cosign-key: check cosign-password; nothing was ${what}${said}`;
    }
    if (inputs.tlog && /rekor|tlog|transparency/i.test(output)) {
        return `cosign could not record the ${verb === 'sign' ? 'signature' : 'attestation'} of ${reference} in the transparency log (${inputs.rekorUrl || 'the public Rekor'}): nothing was ${what}; for a private registry without Rekor set cosign-tlog: false${said}`;
    }
    return `cosign ${verb} ${reference} failed (exit code ${result.exitCode}): nothing was ${what}${said}`;
}

// Signing what was pushed, when the sign input asks: the digest (never a tag) in every repository
// it went to, and the scan's verdict with Trivy's reports as a cosign vuln attestation, so the
// verdict travels with the image and the deploy can check it (sign/verify.ts).
/** Signs `digest` in each repository of `pushed`, and attests the scan when it ran. */
async function signPushed(context, pushed, digest, scanned) {
    const inputs = context.inputs.signing;
    const run = await cosignRunOf(context);
    const result = { signed: [], attested: false };
    for (const image of repositoriesOf(pushed)) {
        await signImage(image, digest, inputs, run);
        if (scanned)
            await attestScan(image, digest, scanRecord(scanned), invocationFrom(), inputs, run);
        result.signed.push(`${image.name}@${digest}`);
    }
    result.attested = scanned !== undefined;
    return result;
}
/** Each repository once, in the order pushed. */
function repositoriesOf(references) {
    const seen = new Map();
    for (const reference of references) {
        const { image } = parseImageReference(reference);
        seen.set(image.name, seen.get(image.name) ?? image);
    }
    return [...seen.values()];
}
/** The scan as the attestation records it: verdict, every platform's Trivy report, when. */
function scanRecord(scanned) {
    const files = scanned.platforms.length > 0
        ? scanned.reportFiles
        : { image: scanned.reportFile };
    return {
        verdict: {
            gate: scanned.result,
            severityThreshold: scanned.severityThreshold,
            findings: scanned.findings
        },
        reports: Object.fromEntries(Object.entries(files).map(([platform, file]) => [
            platform,
            JSON.parse(readFileSync(file, 'utf8'))
        ])),
        trivyVersion: scanned.trivyVersion,
        startedOn: scanned.startedOn,
        finishedOn: scanned.finishedOn
    };
}

// Push. An image built into an OCI layout goes up as those exact bytes, through the action's
// registry client: every blob once (skipped when the registry has it, mounted from a repository
// pushed just before), the manifests, the index, then each tag pointed at the index. An image
// loaded into the engine goes up once per repository with `docker push`; its other tags are then
// pointed at the same manifest through the Registry API (one manifest PUT each, as `crane tag`
// does) instead of a `docker push` per tag that re-checks every layer. The manifest read back
// from the registry is hashed, so the digest output is the registry's own.
/** `docker push` ends with `<tag>: digest: sha256:<hex> size: <n>`: the registry's answer. */
function digestFromPushOutput(output) {
    return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}
/** References grouped by repository (whatever alias names it), in first-seen order. */
function groupByRepository(references) {
    const groups = new Map();
    for (const reference of references) {
        const { image, tag } = parseImageReference(reference);
        const key = `${image.registry}/${image.repository}`;
        const group = groups.get(key) ?? { image, references: [] };
        group.references.push({ reference, tag });
        groups.set(key, group);
    }
    return [...groups.values()];
}
async function push(run, built, retry = REGISTRY_RETRY) {
    return built.layout ? pushBuiltLayout(run, built, built.layout, retry) : pushFromEngine(run, built, retry);
}
/** The layout's bytes to every repository of the release, and each tag pointed at its index. */
async function pushBuiltLayout(run, built, layout, retry) {
    const result = {
        digest: '',
        pushed: [],
        taggedByApi: 0,
        blobs: { uploaded: 0, skipped: 0, mounted: 0, bytesUploaded: 0 }
    };
    const graph = readLayoutGraph(layout.dir);
    // Repositories already pushed, per registry: their blobs can be mounted rather than uploaded.
    const pushedTo = new Map();
    let current = '';
    try {
        for (const group of groupByRepository(built.references)) {
            current = group.references[0]?.reference ?? group.image.name;
            const client = await run.registries(group.image.registry);
            const mountFrom = pushedTo.get(group.image.registry) ?? [];
            const uploaded = await pushLayout(client, group.image.repository, graph, { mountFrom, retry });
            if (uploaded.digest !== layout.digest) {
                throw new Error(`${group.image.name} stored the image as ${uploaded.digest}, not the ${layout.digest} that was built and scanned`);
            }
            const blobs = result.blobs;
            blobs.uploaded += uploaded.blobsUploaded;
            blobs.skipped += uploaded.blobsSkipped;
            blobs.mounted += uploaded.blobsMounted;
            blobs.bytesUploaded += uploaded.bytesUploaded;
            pushedTo.set(group.image.registry, [...mountFrom, group.image.repository]);
            result.digest = layout.digest;
            const tags = group.references.map(({ tag }) => tag);
            await tagLayout(client, group.image.repository, uploaded.manifest, tags, retry);
            result.pushed.push(...group.references.map(({ reference }) => reference));
            result.taggedByApi += tags.length;
        }
    }
    catch (error) {
        result.failed = current;
        inReleaseOrder(result.pushed, built.references);
        throw new StepError(`${failureMessage(error, current, run)}\nPushed before the failure: ${result.pushed.join(', ') || 'nothing'}`, result);
    }
    inReleaseOrder(result.pushed, built.references);
    const { uploaded, skipped, mounted, bytesUploaded } = result.blobs;
    info(`Pushed ${layout.digest} under ${result.pushed.length} references: ${uploaded} blobs uploaded (${bytesUploaded} bytes), ${skipped} already there, ${mounted} mounted`);
    return result;
}
/** Why the push failed, with what to do when the registry refused it (registry/refusal-hint.ts). */
function failureMessage(error, reference, run) {
    let image = run.inputs.image;
    try {
        if (reference)
            image = parseImageReference(reference).image;
    }
    catch {
        // Not a name:tag (the step had not started a reference): the image input's registry.
    }
    return withRefusalFix(error.message, error, image.registry, image.repository);
}
async function pushFromEngine(run, built, retry) {
    const result = { digest: '', pushed: [], taggedByApi: 0 };
    let current = '';
    const limit = registryTimeout(run.inputs.publish.registryTimeout);
    try {
        for (const group of groupByRepository(built.references)) {
            const [first, ...rest] = group.references;
            if (!first)
                continue;
            current = first.reference;
            const output = await withRetry(`docker push ${first.reference}`, retry, () => run.docker.run(['push', first.reference], { timeout: limit }));
            const pushedDigest = digestFromPushOutput(output.stdout);
            if (!pushedDigest)
                throw new Error(`docker push ${first.reference} succeeded but printed no digest`);
            result.pushed.push(first.reference);
            const client = await run.registries(group.image.registry);
            const manifest = await readBack(client, group, first.tag, pushedDigest, retry);
            if (!result.digest)
                result.digest = manifest?.digest ?? pushedDigest;
            else if ((manifest?.digest ?? pushedDigest) !== result.digest)
                warning(`${first.reference} was stored as ${manifest?.digest ?? pushedDigest}, not ${result.digest}`);
            // The other tags at once: each is one manifest PUT, and none depends on another.
            const tagged = manifest
                ? await Promise.all(rest.map(({ tag }) => tagByApi(client, group.image, tag, manifest, retry)))
                : rest.map(() => false);
            rest.forEach(({ reference }, index) => {
                if (!tagged[index])
                    return;
                result.pushed.push(reference);
                result.taggedByApi++;
            });
            for (const [index, { reference }] of rest.entries()) {
                if (tagged[index])
                    continue;
                current = reference;
                await withRetry(`docker push ${reference}`, retry, () => run.docker.run(['push', reference], { timeout: limit }));
                result.pushed.push(reference);
            }
        }
    }
    catch (error) {
        result.failed = current;
        inReleaseOrder(result.pushed, built.references);
        // Measured on Engine 20.10: stopping docker push does not end the engine's own request.
        const stalled = error instanceof ProgramTimeoutError
            ? '\nThe engine keeps waiting on the registry for the upload it started until the registry ends it; a push of the same layers waits behind it.'
            : '';
        throw new StepError(`${failureMessage(error, current, run)}${stalled}\nPushed before the failure: ${result.pushed.join(', ') || 'nothing'}`, result);
    }
    inReleaseOrder(result.pushed, built.references);
    info(`Pushed ${result.pushed.length} references, ${result.taggedByApi} of them by a manifest PUT; digest ${result.digest}`);
    return result;
}
/** Sorts the pushed references in place into the order the release lists them. */
function inReleaseOrder(pushed, references) {
    pushed.sort((a, b) => references.indexOf(a) - references.indexOf(b));
}
/**
 * The manifest just pushed, read back and hashed. Its digest must be the one `docker push`
 * printed; undefined (with a warning) when the Registry API cannot be used with the credentials
 * found, so the remaining tags fall back to `docker push`.
 */
async function readBack(client, group, tag, pushedDigest, retry) {
    let manifest;
    try {
        manifest = await withRetry(`read back ${group.image.name}:${tag}`, retry, () => client.getManifest(group.image.repository, tag));
    }
    catch (error) {
        warning(`Could not read ${group.image.name}:${tag} back through the Registry API (${error.message}): the digest is the one docker push printed, and the other tags are pushed with docker push`);
        return undefined;
    }
    if (manifest.digest !== pushedDigest) {
        throw new Error(`${group.image.name}:${tag} holds ${manifest.digest} in the registry, not the ${pushedDigest} docker push reported: another push raced this one`);
    }
    return manifest;
}
async function tagByApi(client, image, tag, manifest, retry) {
    try {
        await withRetry(`tag ${image.name}:${tag}`, retry, () => client.putManifest(image.repository, tag, manifest));
        return true;
    }
    catch (error) {
        // Credentials that may pull but not write manifests through the API, say: docker push can.
        warning(`Could not tag ${image.name}:${tag} through the Registry API (${error.message}): pushing the rest with docker push`);
        return false;
    }
}
const pushStep = {
    name: 'push',
    title: 'Push',
    requires: [{ step: 'build', because: 'works on the image the build step makes' }],
    skip: (_inputs, { release }) => release.pushing.push ? undefined : `Nothing was pushed: ${release.pushing.reason}.`,
    run: async ({ context, earlier }) => {
        if (!earlier.build)
            throw new Error('push needs the image the build step makes');
        const result = await push(context, earlier.build);
        if (context.inputs.signing.sign === 'off')
            return result;
        try {
            result.signing = await signPushed(context, result.pushed, result.digest, earlier.scan);
        }
        catch (error) {
            throw new StepError(`${error.message}\nThe image was pushed (${result.digest}) but not signed: a deploy that verifies refuses it.`, result);
        }
        return result;
    },
    report: (result, run) => {
        const rows = [];
        const notes = [];
        const reason = run.release?.pushing.reason;
        if (result) {
            rows.push(['Pushed', `${result.pushed.length} of ${run.release?.references.length ?? '?'} references`]);
            if (result.digest)
                rows.push(['Digest', code(result.digest)]);
            if (result.signing) {
                rows.push([
                    'Signed',
                    `${result.signing.signed.map(code).join(' ')}${result.signing.attested ? ', with the scan verdict attested' : ''}`
                ]);
            }
            if (result.blobs) {
                const { uploaded, skipped, mounted, bytesUploaded } = result.blobs;
                rows.push([
                    'Blobs',
                    `${uploaded} uploaded (${bytesUploaded} bytes), ${skipped} already in the registry, ${mounted} mounted`
                ]);
            }
            if (result.failed) {
                notes.push(`Push failed at ${code(result.failed)}; in the registry: ${result.pushed.map(code).join(' ') || 'nothing'}.`);
            }
        }
        else if (reason && !run.release?.pushing.push)
            rows.push(['Pushed', `no (${reason})`]);
        return {
            outputs: {
                digest: result?.digest ?? '',
                'pushed-tags': (result?.pushed ?? []).join('\n')
            },
            rows,
            notes
        };
    }
};

/** GitHub's limit per step and level. */
const ANNOTATIONS_PER_LEVEL = 10;
/** Findings named in one annotation's message; the rest are counted. */
const NAMED_PER_ANNOTATION = 5;
function placeFinding(finding, layers) {
    if (!layers.reliable)
        return { line: 1, unplaced: `the image history and its layers disagree (${layers.reason})` };
    const source = finding.layerDiffId ? layers.byDiffId.get(finding.layerDiffId) : undefined;
    if (!source)
        return { line: 1, unplaced: 'Trivy named no layer of the image for it' };
    return { line: source.line, instruction: source.instruction };
}
function annotationsFor({ findings, layers, file, threshold }) {
    const byLine = new Map();
    for (const finding of findings) {
        const placement = placeFinding(finding, layers);
        const group = byLine.get(placement.line) ?? { placement, findings: [] };
        group.findings.push(finding);
        byLine.set(placement.line, group);
    }
    const annotations = [...byLine.entries()].map(([line, group]) => {
        const sorted = [...group.findings].sort(worstFirst);
        const level = sorted.some((f) => atOrAbove(f.severity, threshold))
            ? 'error'
            : 'warning';
        return {
            annotation: {
                level,
                file,
                line,
                title: `${countText(sorted)} introduced here${group.placement.instruction ? ` (${group.placement.instruction})` : ''}`,
                message: messageFor(sorted, group.placement)
            },
            worst: sorted[0],
            count: sorted.length
        };
    });
    annotations.sort((a, b) => worstFirst(a.worst, b.worst) || b.count - a.count || a.annotation.line - b.annotation.line);
    return [...capped(annotations, 'error', file), ...capped(annotations, 'warning', file)];
}
/** At most ANNOTATIONS_PER_LEVEL of a level: the worst lines, and one more counting the rest. */
function capped(annotations, level, file) {
    const ofLevel = annotations.filter((entry) => entry.annotation.level === level);
    if (ofLevel.length <= ANNOTATIONS_PER_LEVEL)
        return ofLevel.map((entry) => entry.annotation);
    const shown = ofLevel.slice(0, ANNOTATIONS_PER_LEVEL - 1);
    const rest = ofLevel.slice(ANNOTATIONS_PER_LEVEL - 1);
    const findings = rest.reduce((sum, entry) => sum + entry.count, 0);
    const lines = rest.map((entry) => entry.annotation.line).sort((a, b) => a - b);
    return [
        ...shown.map((entry) => entry.annotation),
        {
            level,
            file,
            line: lines[0],
            title: `${rest.length} more lines with findings`,
            message: `GitHub shows ${ANNOTATIONS_PER_LEVEL} ${level} annotations per step: ${findings} more findings on lines ${lines.join(', ')} are listed in the step summary.`
        }
    ];
}
function messageFor(findings, placement) {
    const named = findings.slice(0, NAMED_PER_ANNOTATION).map(describeFinding);
    const more = findings.length - named.length;
    const lines = [...named, ...(more > 0 ? [`and ${more} more (see the step summary)`] : [])];
    if (placement.unplaced)
        lines.unshift(`Placed on line 1: ${placement.unplaced}.`);
    return lines.join('\n');
}
/** `CVE-2019-14697 (CRITICAL) musl 1.1.20-r4, fixed in 1.1.20-r5`, and ` (linux/arm64 only)` where so */
function describeFinding(finding) {
    const what = [finding.pkgName, finding.pkgVersion].filter(Boolean).join(' ');
    const fix = finding.kind === 'vulnerability'
        ? finding.fixedVersion
            ? `, fixed in ${finding.fixedVersion}`
            : ', no fix yet'
        : '';
    const where = finding.kind === 'secret' || finding.kind === 'misconfiguration' ? ` in ${finding.target}` : '';
    return `${finding.id} (${finding.severity})${what ? ` ${what}` : ''}${where}${fix}${platformNote(finding)}`;
}
/** `2 CRITICAL, 4 MEDIUM findings` */
function countText(findings) {
    return `${countsText(countBySeverity(findings))} ${findings.length === 1 ? 'finding' : 'findings'}`;
}
/** Higher severity first, then fixable first (something can be done), then by ID. */
function worstFirst(a, b) {
    return (SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
        Number(Boolean(b.fixedVersion)) - Number(Boolean(a.fixedVersion)) ||
        a.id.localeCompare(b.id));
}

// Which Dockerfile line made each layer of the built image, so a finding Trivy reports on a layer
// (its `Layer.DiffID`) can be shown on the instruction that introduced it. The image's history
// lists one entry per build step, base image first; entries with `empty_layer` made no layer,
// and the others line up one to one with the image's DiffIDs. Walking both from the end, each
// layer-making history entry is matched to the stage's instruction that made it (by kind, and by
// its command or destination); what is left belongs to the stage's base: an earlier stage, whose
// instructions are matched the same way, or an image, whose layers all go to the FROM line.
/**
 * Splits a Dockerfile into stages and instructions, as BuildKit's parser reads it: the `escape`
 * parser directive, `#` comment lines (also inside continuations), continuation lines, and
 * heredocs (`RUN <<EOF` up to the line `EOF`).
 */
function parseDockerfile(text) {
    const lines = text.split(/\r?\n/);
    const escape = escapeCharacter(lines);
    const stages = [];
    for (let index = 0; index < lines.length; index++) {
        const first = lines[index].trim();
        if (first === '' || first.startsWith('#'))
            continue;
        const start = index;
        let joined = first;
        let continues = joined.endsWith(escape);
        while (continues && index + 1 < lines.length) {
            if (joined.endsWith(escape))
                joined = joined.slice(0, -1);
            index++;
            const next = lines[index].trim();
            // A comment line inside a continuation is dropped and the continuation goes on.
            if (next.startsWith('#'))
                continue;
            joined += ` ${next}`;
            continues = next.endsWith(escape);
        }
        for (const terminator of heredocTerminators(joined)) {
            while (index + 1 < lines.length && lines[index + 1].replace(/^\t+/, '') !== terminator)
                index++;
            index++;
        }
        const match = /^(\S+)\s*([\s\S]*)$/.exec(joined);
        if (!match)
            continue;
        const instruction = {
            line: start + 1,
            keyword: match[1].toUpperCase(),
            args: squash(match[2])
        };
        if (instruction.keyword === 'FROM') {
            const words = instruction.args.split(' ').filter((word) => !word.startsWith('--'));
            const name = words[1]?.toLowerCase() === 'as' ? words[2] : undefined;
            stages.push({ from: instruction, base: words[0] ?? '', name, instructions: [] });
        }
        else {
            stages[stages.length - 1]?.instructions.push(instruction);
        }
    }
    return { stages };
}
/** The stage that was built: the named target, else the last one. */
function builtStage(dockerfile, target) {
    if (target)
        return dockerfile.stages.find((stage) => stage.name?.toLowerCase() === target.toLowerCase());
    return dockerfile.stages[dockerfile.stages.length - 1];
}
/** Maps each layer of the image to the Dockerfile line that made it. */
function mapLayers(dockerfile, image, target) {
    const byDiffId = new Map();
    const made = image.history.filter((entry) => !entry.emptyLayer);
    if (made.length !== image.diffIds.length) {
        return {
            reliable: false,
            reason: `the image history has ${made.length} layer-making steps for ${image.diffIds.length} layers`,
            byDiffId
        };
    }
    const built = builtStage(dockerfile, target);
    if (!built)
        return { reliable: false, reason: `the Dockerfile has no stage ${target ?? ''}`.trim(), byDiffId };
    let stage = built;
    let candidates = layerMaking(stage);
    for (let layer = made.length - 1; layer >= 0; layer--) {
        const step = describeStep(made[layer].createdBy);
        let found = findFromEnd(candidates, step);
        // Not among this stage's instructions: the layer is its base's, another stage's or an image's.
        for (let earlier = stageNamed(dockerfile, stage); found === undefined && earlier;) {
            stage = earlier;
            candidates = layerMaking(stage);
            found = findFromEnd(candidates, step);
            earlier = stageNamed(dockerfile, stage);
        }
        if (found === undefined) {
            // The base image's layers, this one and all before it: they go to the FROM line.
            const from = `FROM ${stage.from.args}`;
            for (let rest = layer; rest >= 0; rest--) {
                byDiffId.set(image.diffIds[rest], {
                    line: stage.from.line,
                    instruction: shorten(from),
                    base: true
                });
            }
            break;
        }
        const instruction = candidates[found];
        byDiffId.set(image.diffIds[layer], {
            line: instruction.line,
            instruction: shorten(`${instruction.keyword} ${instruction.args}`),
            base: false
        });
        candidates = candidates.slice(0, found);
    }
    return { reliable: true, byDiffId };
}
/**
 * What a history entry's `created_by` says was done. BuildKit writes the instruction and
 * ` # buildkit` (`RUN /bin/sh -c make # buildkit`, `COPY app /app # buildkit`); the classic
 * builder writes `/bin/sh -c #(nop) COPY file:<sha> in /dst` for metadata and copies, and the
 * bare shell command (after `|N ARG=value` for build args) for a RUN.
 */
function describeStep(createdBy) {
    const text = squash(createdBy.replace(/\s*# buildkit$/, ''));
    const nop = /^\/bin\/sh -c #\(nop\)\s*(\S+)\s*(.*)$/.exec(text);
    if (nop) {
        const keyword = nop[1].toUpperCase();
        const rest = nop[2];
        if (keyword === 'COPY' || keyword === 'ADD')
            return { kind: 'COPY', text: / in (\S+)\s*$/.exec(rest)?.[1] ?? '' };
        if (keyword === 'WORKDIR')
            return { kind: 'WORKDIR', text: rest };
        return { kind: 'OTHER', text: rest };
    }
    const buildkit = /^(RUN|COPY|ADD|WORKDIR)\s+(.*)$/.exec(text);
    if (buildkit) {
        const keyword = buildkit[1];
        const rest = buildkit[2];
        if (keyword === 'RUN')
            return { kind: 'RUN', text: withoutBuildArgs(rest) };
        if (keyword === 'WORKDIR')
            return { kind: 'WORKDIR', text: rest };
        return { kind: 'COPY', text: lastWord(rest) };
    }
    if (/^[A-Z]+\s/.test(text) && !text.startsWith('/'))
        return { kind: 'OTHER', text };
    return { kind: 'RUN', text: withoutBuildArgs(text) };
}
/** The instructions of a stage that can make a layer, in order. */
function layerMaking(stage) {
    return stage.instructions.filter((instruction) => ['RUN', 'COPY', 'ADD', 'WORKDIR'].includes(instruction.keyword));
}
/** The index of the last candidate that made this step, or undefined. */
function findFromEnd(candidates, step) {
    for (let index = candidates.length - 1; index >= 0; index--) {
        if (makes(candidates[index], step))
            return index;
    }
    return undefined;
}
function makes(instruction, step) {
    const args = withoutFlags(instruction.args);
    switch (instruction.keyword) {
        case 'RUN': {
            if (step.kind !== 'RUN')
                return false;
            const command = runCommand(args);
            return command !== '' && step.text.endsWith(command);
        }
        case 'COPY':
        case 'ADD':
            return step.kind === 'COPY' && sameDestination(copyDestination(args), step.text);
        case 'WORKDIR':
            return step.kind === 'WORKDIR' && step.text === args;
        default:
            return false;
    }
}
/** The earlier stage a stage builds on, when its FROM names one. */
function stageNamed(dockerfile, stage) {
    const index = dockerfile.stages.indexOf(stage);
    const base = stage.base.toLowerCase();
    return dockerfile.stages
        .slice(0, index)
        .reverse()
        .find((earlier, position) => earlier.name?.toLowerCase() === base || String(index - 1 - position) === base);
}
/** A RUN's command as the history shows it: exec form joined by spaces, shell form as written. */
function runCommand(args) {
    if (args.startsWith('[')) {
        try {
            const parts = JSON.parse(args);
            if (Array.isArray(parts))
                return squash(parts.map(String).join(' '));
        }
        catch {
            // Not JSON after all: the shell form.
        }
    }
    return args.replace(/<<-?(["']?)(\w+)\1/g, '').trim();
}
function copyDestination(args) {
    if (args.startsWith('[')) {
        try {
            const parts = JSON.parse(args);
            if (Array.isArray(parts))
                return String(parts[parts.length - 1] ?? '');
        }
        catch {
            // Not JSON: the plain form.
        }
    }
    return lastWord(args);
}
/** Destinations compare without a trailing slash (`/app/` and `/app`). */
function sameDestination(a, b) {
    const trim = (path) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
    return a !== '' && trim(a) === trim(b);
}
function withoutFlags(args) {
    return args.replace(/^(?:--\S+\s*)+/, '');
}
/** `|2 A=1 B=2 /bin/sh -c cmd` -> `/bin/sh -c cmd`: the build args the classic builder and BuildKit prefix. */
function withoutBuildArgs(command) {
    const match = /^\|(\d+)\s+(.*)$/.exec(command);
    if (!match)
        return command;
    const words = match[2].split(' ');
    return words.slice(Number(match[1])).join(' ');
}
function lastWord(text) {
    const words = text.trim().split(' ');
    return words[words.length - 1] ?? '';
}
function squash(text) {
    return text.replace(/\s+/g, ' ').trim();
}
function shorten(text) {
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
/** The escape character of the `# escape=` parser directive, `\` by default. */
function escapeCharacter(lines) {
    for (const line of lines) {
        const directive = /^#\s*(\w+)\s*=\s*(\S+)\s*$/.exec(line.trim());
        if (!directive)
            break;
        if (directive[1].toLowerCase() === 'escape')
            return directive[2];
    }
    return '\\';
}
/** The terminators of the heredocs an instruction opens, in order. */
function heredocTerminators(instruction) {
    if (!/^(RUN|COPY|ADD)\s/i.test(instruction))
        return [];
    return [...instruction.matchAll(/<<-?(["']?)(\w+)\1/g)].map((match) => match[2]);
}

// Path globs as Trivy matches ignore-file paths: github.com/bmatcuk/doublestar/v4 v4.10.0's Match
// and ValidatePattern, ported.
//
// `*` matches within one path segment, `**` as a whole segment matches zero or more segments
// (`a/**` matches `a` too), `?` one character other than `/`, `[abc]`, `[a-z]`, `[!x]` or `[^x]`
// one character, `{a,b}` either alternative, `\` escapes. The whole path must match. Code points
// are compared, as Go compares runes.
const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN_CLASS = 0x5b;
const CLOSE_CLASS = 0x5d;
const OPEN_ALT = 0x7b;
const CLOSE_ALT = 0x7d;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const BANG = 0x21;
const CARET = 0x5e;
const DASH = 0x2d;
const MAX_RUNE = 0x10ffff;
const RUNE_ERROR = 0xfffd;
class BadPattern extends Error {
}
function codePoints(text) {
    return Array.from(text, (char) => char.codePointAt(0));
}
/** doublestar.Match(pattern, path); a malformed pattern matches nothing. */
function matchGlob(pattern, path) {
    try {
        return globMatch(codePoints(pattern), codePoints(path), -1, -1, -1, -1, 0, 0);
    }
    catch (error) {
        if (error instanceof BadPattern)
            return false;
        throw error;
    }
}
/** doublestar.ValidatePattern: classes and alternatives closed, no trailing backslash. */
function validGlob(pattern) {
    return validPattern(codePoints(pattern));
}
function globMatch(pattern, name, doublestarPatternBacktrackStart, doublestarNameBacktrackStart, starPatternBacktrackStart, starNameBacktrackStart, patIdxStart, nameIdxStart) {
    let doublestarPatternBacktrack = doublestarPatternBacktrackStart;
    let doublestarNameBacktrack = doublestarNameBacktrackStart;
    let starPatternBacktrack = starPatternBacktrackStart;
    let starNameBacktrack = starNameBacktrackStart;
    let patIdx = patIdxStart;
    let nameIdx = nameIdxStart;
    const patLen = pattern.length;
    const nameLen = name.length;
    let startOfSegment = true;
    const rune = (list, index) => index < list.length ? list[index] : RUNE_ERROR;
    match: while (nameIdx < nameLen) {
        if (patIdx < patLen) {
            switch (pattern[patIdx]) {
                case STAR: {
                    patIdx++;
                    if (patIdx < patLen && pattern[patIdx] === STAR) {
                        // `**` only spans segments when it is a whole segment; else it is `*`, as in bash
                        patIdx++;
                        if (startOfSegment) {
                            if (patIdx >= patLen)
                                return true;
                            if (pattern[patIdx] === SLASH) {
                                patIdx++;
                                doublestarPatternBacktrack = patIdx;
                                doublestarNameBacktrack = nameIdx;
                                starPatternBacktrack = -1;
                                starNameBacktrack = -1;
                                continue match;
                            }
                        }
                    }
                    startOfSegment = false;
                    starPatternBacktrack = patIdx;
                    starNameBacktrack = nameIdx;
                    continue match;
                }
                case QUESTION: {
                    startOfSegment = false;
                    if (rune(name, nameIdx) === SLASH)
                        break;
                    patIdx++;
                    nameIdx++;
                    continue match;
                }
                case OPEN_CLASS: {
                    startOfSegment = false;
                    patIdx++;
                    if (patIdx >= patLen)
                        throw new BadPattern();
                    const nameRune = rune(name, nameIdx);
                    let matched = false;
                    const negate = pattern[patIdx] === BANG || pattern[patIdx] === CARET;
                    if (negate)
                        patIdx++;
                    if (patIdx >= patLen || pattern[patIdx] === CLOSE_CLASS)
                        throw new BadPattern();
                    let last = MAX_RUNE;
                    while (patIdx < patLen && pattern[patIdx] !== CLOSE_CLASS) {
                        let patRune = rune(pattern, patIdx);
                        patIdx++;
                        if (last < MAX_RUNE && patRune === DASH && patIdx < patLen && pattern[patIdx] !== CLOSE_CLASS) {
                            if (pattern[patIdx] === BACKSLASH)
                                patIdx++;
                            patRune = rune(pattern, patIdx);
                            if (patIdx < patLen)
                                patIdx++;
                            if (last <= nameRune && nameRune <= patRune) {
                                matched = true;
                                break;
                            }
                            last = MAX_RUNE;
                            continue;
                        }
                        if (patRune === BACKSLASH) {
                            patRune = rune(pattern, patIdx);
                            if (patIdx < patLen)
                                patIdx++;
                        }
                        if (patRune === nameRune) {
                            matched = true;
                            break;
                        }
                        last = patRune;
                    }
                    if (matched === negate) {
                        if (patIdx >= patLen)
                            throw new BadPattern();
                        break;
                    }
                    const closing = indexUnescaped(pattern, patIdx, CLOSE_CLASS);
                    if (closing === -1)
                        throw new BadPattern();
                    patIdx = closing + 1;
                    nameIdx++;
                    continue match;
                }
                case OPEN_ALT: {
                    startOfSegment = false;
                    const beforeIdx = patIdx;
                    patIdx++;
                    const closingIdx = indexMatchedClosingAlt(pattern, patIdx);
                    if (closingIdx === -1)
                        throw new BadPattern();
                    for (;;) {
                        const commaIdx = indexNextAlt(pattern, patIdx, closingIdx);
                        if (commaIdx === -1)
                            break;
                        const alternative = [
                            ...pattern.slice(0, beforeIdx),
                            ...pattern.slice(patIdx, commaIdx),
                            ...pattern.slice(closingIdx + 1)
                        ];
                        if (globMatch(alternative, name, doublestarPatternBacktrack, doublestarNameBacktrack, starPatternBacktrack, starNameBacktrack, beforeIdx, nameIdx)) {
                            return true;
                        }
                        patIdx = commaIdx + 1;
                    }
                    return globMatch([
                        ...pattern.slice(0, beforeIdx),
                        ...pattern.slice(patIdx, closingIdx),
                        ...pattern.slice(closingIdx + 1)
                    ], name, doublestarPatternBacktrack, doublestarNameBacktrack, starPatternBacktrack, starNameBacktrack, beforeIdx, nameIdx);
                }
                default: {
                    if (pattern[patIdx] === BACKSLASH) {
                        // the next character is matched literally
                        patIdx++;
                        if (patIdx >= patLen)
                            throw new BadPattern();
                    }
                    const patRune = rune(pattern, patIdx);
                    const nameRune = rune(name, nameIdx);
                    if (patRune !== nameRune) {
                        // back on the backslash before backtracking or validating
                        if (patIdx > 0 && pattern[patIdx - 1] === BACKSLASH)
                            patIdx--;
                        break;
                    }
                    patIdx++;
                    nameIdx++;
                    startOfSegment = patRune === SLASH;
                    continue match;
                }
            }
        }
        if (starPatternBacktrack >= 0) {
            // `*` takes one more character, but never a `/`
            if (rune(name, starNameBacktrack) !== SLASH) {
                starNameBacktrack++;
                patIdx = starPatternBacktrack;
                nameIdx = starNameBacktrack;
                startOfSegment = false;
                continue;
            }
        }
        if (doublestarPatternBacktrack >= 0) {
            // `**` takes one more segment
            nameIdx = doublestarNameBacktrack;
            while (nameIdx < nameLen) {
                const nameRune = rune(name, nameIdx);
                nameIdx++;
                if (nameRune === SLASH) {
                    doublestarNameBacktrack = nameIdx;
                    patIdx = doublestarPatternBacktrack;
                    startOfSegment = true;
                    continue match;
                }
            }
        }
        if (patIdx < patLen && !validPattern(pattern.slice(patIdx)))
            throw new BadPattern();
        return false;
    }
    return isZeroLengthPattern(pattern.slice(patIdx));
}
/** Whether what is left of the pattern matches the empty rest of the name. */
function isZeroLengthPattern(pattern) {
    const text = String.fromCodePoint(...pattern);
    if (['', '*', '**', '/**', '**/', '/**/'].includes(text))
        return true;
    if (pattern[0] === OPEN_ALT) {
        const closingIdx = indexMatchedClosingAlt(pattern, 1);
        if (closingIdx === -1)
            throw new BadPattern();
        let patIdx = 1;
        for (;;) {
            const commaIdx = indexNextAlt(pattern, patIdx, closingIdx);
            if (commaIdx === -1)
                break;
            if (isZeroLengthPattern([...pattern.slice(patIdx, commaIdx), ...pattern.slice(closingIdx + 1)]))
                return true;
            patIdx = commaIdx + 1;
        }
        return isZeroLengthPattern([...pattern.slice(patIdx, closingIdx), ...pattern.slice(closingIdx + 1)]);
    }
    if (!validPattern(pattern))
        throw new BadPattern();
    return false;
}
function indexUnescaped(pattern, from, char) {
    for (let index = from; index < pattern.length; index++) {
        if (pattern[index] === BACKSLASH)
            index++;
        else if (pattern[index] === char)
            return index;
    }
    return -1;
}
/** The `}` closing the `{` just before `from`, skipping nested ones. */
function indexMatchedClosingAlt(pattern, from) {
    let depth = 1;
    for (let index = from; index < pattern.length; index++) {
        if (pattern[index] === BACKSLASH)
            index++;
        else if (pattern[index] === OPEN_ALT)
            depth++;
        else if (pattern[index] === CLOSE_ALT && --depth === 0)
            return index;
    }
    return -1;
}
/** The next top-level `,` between from and end. */
function indexNextAlt(pattern, from, end) {
    let depth = 1;
    for (let index = from; index < end; index++) {
        if (pattern[index] === BACKSLASH)
            index++;
        else if (pattern[index] === OPEN_ALT)
            depth++;
        else if (pattern[index] === CLOSE_ALT)
            depth--;
        else if (pattern[index] === COMMA && depth === 1)
            return index;
    }
    return -1;
}
function validPattern(pattern) {
    let altDepth = 0;
    const length = pattern.length;
    scan: for (let index = 0; index < length; index++) {
        switch (pattern[index]) {
            case BACKSLASH:
                index++;
                if (index >= length)
                    return false;
                continue;
            case OPEN_CLASS:
                index++;
                if (index >= length)
                    return false;
                if (pattern[index] === CARET || pattern[index] === BANG)
                    index++;
                if (index >= length || pattern[index] === CLOSE_CLASS)
                    return false;
                for (; index < length; index++) {
                    if (pattern[index] === BACKSLASH)
                        index++;
                    else if (pattern[index] === CLOSE_CLASS)
                        continue scan;
                }
                return false;
            case OPEN_ALT:
                altDepth++;
                continue;
            case CLOSE_ALT:
                if (altDepth === 0)
                    return false;
                altDepth--;
                continue;
        }
    }
    return altDepth === 0;
}

// Package URLs as Trivy reads them in ignore files: github.com/package-url/packageurl-go v0.1.6's
// FromString, ported, and Trivy's pkg/purl Match.
/**
 * Trivy's purl match: type, namespace and name equal; the version and subpath too when the
 * constraint has them; every qualifier of the constraint present with the same value.
 */
function purlMatches(constraint, target) {
    if (constraint.type !== target.type || constraint.namespace !== target.namespace)
        return false;
    if (constraint.name !== target.name)
        return false;
    if (constraint.version !== '' && constraint.version !== target.version)
        return false;
    if (constraint.subpath !== '' && constraint.subpath !== target.subpath)
        return false;
    return Object.entries(constraint.qualifiers).every(([key, value]) => target.qualifiers[key] === value);
}
const LOWER_NAMESPACE = ['alpm', 'apk', 'bitbucket', 'composer', 'deb', 'github', 'golang', 'rpm', 'qpkg'];
const LOWER_NAME = [
    'alpm',
    'apk',
    'bitbucket',
    'bitnami',
    'chrome-extension',
    'composer',
    'deb',
    'github',
    'golang'
];
/** Parses `pkg:type/namespace/name@version?qualifiers#subpath`; throws saying what is wrong. */
function parsePurl(text) {
    if (text.slice(0, 4).toLowerCase() !== 'pkg:')
        throw new Error('purl scheme is not "pkg"');
    let rest = text.slice(4).replace(/^\/+/, '');
    let subpath = '';
    const hash = rest.indexOf('#');
    if (hash !== -1) {
        subpath = rest.slice(hash + 1);
        rest = rest.slice(0, hash);
    }
    let query = '';
    const question = rest.indexOf('?');
    if (question !== -1) {
        query = rest.slice(question + 1);
        rest = rest.slice(0, question);
    }
    const slash = rest.indexOf('/');
    if (slash === -1)
        throw new Error('purl is missing type or name');
    const type = rest.slice(0, slash).toLowerCase();
    rest = rest.slice(slash + 1);
    const pairs = [];
    for (const part of query.split('&')) {
        if (part === '')
            continue;
        if (part.includes(';'))
            throw new Error('invalid semicolon separator in query');
        const equals = part.indexOf('=');
        const key = (equals === -1 ? part : part.slice(0, equals)).toLowerCase();
        if (!/^[A-Za-z.\-_][A-Za-z0-9.\-_]*$/.test(key))
            throw new Error(`invalid qualifier key: '${key}'`);
        const value = percentDecode(equals === -1 ? '' : part.slice(equals + 1), 'qualifier value');
        if (value !== '')
            pairs.push([key, value]);
    }
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const qualifiers = {};
    for (const [key, value] of pairs) {
        if (key in qualifiers)
            throw new Error(`duplicate qualifier key: "${key}"`);
        qualifiers[key] = value;
    }
    if (type !== 'npm' && rest.startsWith('@'))
        throw new Error('purl is missing name');
    let version = '';
    const at = rest.lastIndexOf('@');
    if (at > 0) {
        version = percentDecode(rest.slice(at + 1), 'version');
        rest = rest.slice(0, at);
    }
    const lastSlash = rest.lastIndexOf('/');
    let name = percentDecode(rest.slice(lastSlash + 1), 'name');
    let namespace = (lastSlash === -1 ? '' : rest.slice(0, lastSlash))
        .split('/')
        .filter((segment) => segment !== '')
        .map((segment) => percentDecode(segment, 'namespace'))
        .join('/');
    if (name === '')
        throw new Error('purl is missing name');
    if (!/^[A-Za-z.\-+][A-Za-z0-9.\-+]*$/.test(type))
        throw new Error(`invalid type "${type}"`);
    namespace = namespace.replace(/^\/+|\/+$/g, '');
    subpath.split('/').forEach((segment, index) => {
        if ((segment === '.' || segment === '..') && index !== 0)
            throw new Error(`invalid Package URL subpath: "${subpath}"`);
    });
    subpath = subpath.replace(/^\/+|\/+$/g, '');
    if (LOWER_NAMESPACE.includes(type))
        namespace = namespace.toLowerCase();
    if (LOWER_NAME.includes(type))
        name = name.toLowerCase();
    if (type === 'pypi')
        name = name.replaceAll('_', '-').toLowerCase();
    if (type === 'mlflow' && (qualifiers.repository_url ?? '').includes('databricks'))
        name = name.toLowerCase();
    if (type === 'huggingface')
        version = version.toLowerCase();
    checkTypeRules(type, namespace, name, version, qualifiers);
    return { type, namespace, name, version, qualifiers, subpath };
}
function checkTypeRules(type, namespace, name, version, qualifiers) {
    const problem = (() => {
        switch (type) {
            case 'chrome-extension':
                if (namespace !== '')
                    return 'a chrome-extension purl must not have a namespace';
                if (!/^[a-z]{32}$/.test(name))
                    return 'a chrome-extension name must be 32 lowercase ASCII letters';
                if (version !== '' && !/^\d+(\.\d+){0,3}$/.test(version))
                    return 'a chrome-extension version must be 1 to 4 dot-separated integers';
                return undefined;
            case 'cpan':
                if (namespace === '')
                    return 'a cpan purl must have a namespace';
                if (namespace.toUpperCase() !== namespace)
                    return 'a cpan purl namespace must use uppercase characters';
                if (name.includes('::'))
                    return "a cpan distribution name must not contain '::'";
                return undefined;
            case 'julia':
                if (namespace !== '')
                    return 'a julia purl must not have a namespace';
                if (!('uuid' in qualifiers))
                    return 'a julia purl must have a uuid qualifier';
                return undefined;
            case 'otp':
                return namespace !== '' ? 'an otp purl must not have a namespace' : undefined;
            case 'swift':
            case 'vscode-extension':
                return namespace === '' ? 'namespace is required' : undefined;
            default:
                return undefined;
        }
    })();
    if (problem)
        throw new Error(problem);
}
/** Go's url.PathUnescape: %XX sequences decoded, `+` kept. */
function percentDecode(text, part) {
    if (!text.includes('%'))
        return text;
    const bytes = [];
    for (let index = 0; index < text.length; index++) {
        if (text[index] === '%') {
            const hex = text.slice(index + 1, index + 3);
            if (!/^[0-9A-Fa-f]{2}$/.test(hex))
                throw new Error(`error unescaping ${part}: invalid URL escape "%${hex}"`);
            bytes.push(parseInt(hex, 16));
            index += 2;
        }
        else {
            const char = String.fromCodePoint(text.codePointAt(index));
            bytes.push(...Buffer$1.from(char, 'utf8'));
            index += char.length - 1;
        }
    }
    return Buffer$1.from(bytes).toString('utf8');
}

// The flat list of findings that the gate, annotations, summary, SARIF and PR comment work from:
// one Finding per thing Trivy found, whatever the scanner (vulnerabilities, secrets,
// misconfigurations, licenses), made from the typed report that report.ts reads. A secret's
// matched line (`Match`) is never copied into a finding.
const FINDING_KINDS = ['vulnerability', 'secret', 'misconfiguration', 'license'];
/**
 * Every finding of the report, in report order: vulnerabilities, secrets, misconfigurations and
 * licenses of each result. Misconfigurations that passed (PASS) or were excepted (EXCEPTION) are
 * checks, not findings, and are left out.
 */
function findingsOf(report) {
    const findings = [];
    for (const result of report.Results) {
        const base = { target: result.Target, resultClass: result.Class ?? '' };
        for (const vuln of result.Vulnerabilities) {
            findings.push({
                ...blank('vulnerability', vuln.VulnerabilityID, vuln.Severity, base),
                pkgName: vuln.PkgName ?? '',
                pkgPath: vuln.PkgPath ?? '',
                pkgVersion: vuln.InstalledVersion ?? '',
                purl: vuln.PkgIdentifier?.PURL ?? '',
                fixedVersion: vuln.FixedVersion ?? '',
                status: vuln.Status || 'unknown',
                title: vuln.Title ?? '',
                url: vuln.PrimaryURL ?? '',
                layerDiffId: vuln.Layer?.DiffID ?? ''
            });
        }
        for (const secret of result.Secrets) {
            // Match is the secret's line: it stays out of the finding.
            findings.push({
                ...blank('secret', secret.RuleID, secret.Severity, base),
                title: secret.Title ?? '',
                category: secret.Category ?? '',
                layerDiffId: secret.Layer?.DiffID ?? '',
                ...lineRange(secret.StartLine, secret.EndLine)
            });
        }
        for (const misconf of result.Misconfigurations) {
            if (misconf.Status === 'PASS' || misconf.Status === 'EXCEPTION')
                continue;
            findings.push({
                ...blank('misconfiguration', misconf.ID, misconf.Severity, base),
                otherIds: checkAliases(misconf),
                status: misconf.Status ?? '',
                title: misconf.Title ?? '',
                message: misconf.Message ?? '',
                url: misconf.PrimaryURL ?? '',
                layerDiffId: misconf.Layer?.DiffID ?? '',
                ...lineRange(misconf.CauseMetadata?.StartLine, misconf.CauseMetadata?.EndLine)
            });
        }
        for (const license of result.Licenses) {
            findings.push({
                ...blank('license', license.Name, license.Severity, base),
                pkgName: license.PkgName ?? '',
                pkgPath: license.FilePath ?? '',
                title: license.Name,
                category: license.Category ?? '',
                url: license.Link ?? ''
            });
        }
    }
    return findings;
}
/**
 * The IDs besides its ID that Trivy matches ignore rules against for a misconfiguration: its
 * AVDID and the check's aliases. The JSON leaves the aliases out; every built-in check of
 * trivy-checks has `AVD-<ID>` among them (`AVD-DS-0002`, the form Trivy's docs use), and most
 * have the old ID their Rego package is named after (`DS002` in `builtin.dockerfile.DS002`).
 */
function checkAliases(misconf) {
    const aliases = [misconf.AVDID ?? ''];
    if (!misconf.ID.startsWith('AVD-'))
        aliases.push(`AVD-${misconf.ID}`);
    const namespace = misconf.Namespace ?? '';
    const short = namespace.split('.').pop() ?? '';
    if (namespace.startsWith('builtin.') && /^[A-Z]+\d+$/.test(short))
        aliases.push(short);
    return [...new Set(aliases)].filter((alias) => alias !== '' && alias !== misconf.ID);
}
function blank(kind, id, severity, base) {
    return {
        kind,
        id,
        otherIds: [],
        severity: parseSeverity(severity ?? '') ?? 'UNKNOWN',
        ...base,
        pkgName: '',
        pkgPath: '',
        pkgVersion: '',
        purl: '',
        fixedVersion: '',
        status: '',
        title: '',
        message: '',
        category: '',
        url: '',
        layerDiffId: ''
    };
}
function lineRange(start, end) {
    if (start === undefined || start < 1)
        return {};
    return { lines: { start, end: end !== undefined && end >= start ? end : start } };
}

// Trivy's ignore files, read and applied as Trivy v0.74.0 does (aquasecurity/trivy
// pkg/result/ignore.go and filter.go), so the action can ask Trivy for everything and ignore
// findings itself:
// - `.trivyignore`: one ID per line, `#` comments, an optional `exp:YYYY-MM-DD` after the ID. Each
//   ID applies to vulnerabilities, misconfigurations, secrets and licenses alike.
// - `.trivyignore.yaml` (any name ending `.yaml` or `.yml`): lists `vulnerabilities`,
//   `misconfigurations`, `secrets`, `licenses` of `{id, paths, purls, expired_at, statement}`.
//
// A rule ignores a finding of its kind when the IDs are equal (case-sensitive), the rule has not
// expired, one of its `paths` globs matches (doublestar v4 syntax, ported below), and, for
// vulnerabilities with a Package URL, one of its `purls` matches.
//
// Where this reads more strictly than Trivy, it is so that a mistake cannot silently change the
// gate: a bad `exp:` date is an error (Trivy drops that line with a warning, so the ID is no
// longer ignored), and so are unknown keys (Trivy ignores them: `expires_at:` would make an entry
// permanent, `path:` would widen it to every file) and entries without an `id`.
/**
 * Reads an ignore file as Trivy chooses its format: YAML when the name ends in `.yaml` or `.yml`
 * (exactly, as Go's filepath.Ext), else the plain `.trivyignore` format. Errors name the file and
 * the line.
 */
function parseIgnoreFile(file, text) {
    const extension = /\.[^./]*$/.exec(file)?.[0];
    return extension === '.yaml' || extension === '.yml'
        ? parseYamlIgnore(text, file)
        : parsePlainIgnore(text, file);
}
/** The plain `.trivyignore` format. */
function parsePlainIgnore(text, file = '.trivyignore') {
    const rules = [];
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        const fields = line.split(/\s+/);
        const id = fields[0];
        let expiresAt;
        // Trivy looks for the first field starting with exp:, the ID included, when there are two or more.
        const expiry = fields.length > 1 ? fields.find((item) => item.startsWith('exp:')) : undefined;
        if (expiry !== undefined) {
            expiresAt = parseIsoDate(expiry.slice('exp:'.length));
            if (!expiresAt) {
                throw new Error(`${file} line ${index + 1}: "${expiry}" is not an expiry date exp:YYYY-MM-DD`);
            }
        }
        rules.push({
            kinds: [...FINDING_KINDS],
            id,
            paths: [],
            purls: [],
            expiresAt,
            statement: '',
            file,
            line: index + 1
        });
    });
    return rules;
}
const YAML_LISTS = {
    vulnerabilities: 'vulnerability',
    misconfigurations: 'misconfiguration',
    secrets: 'secret',
    licenses: 'license'
};
const ENTRY_KEYS = ['id', 'paths', 'purls', 'expired_at', 'statement'];
/** The `.trivyignore.yaml` format. */
function parseYamlIgnore(text, file = '.trivyignore.yaml') {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const lineOf = (node, fallback = 1) => (node?.range ? lines.linePos(node.range[0]).line : fallback);
    function fail(line, problem) {
        throw new Error(`${file} line ${line}: ${problem}`);
    }
    const firstError = doc.errors[0];
    if (firstError)
        fail(lines.linePos(firstError.pos[0]).line, `not valid YAML: ${firstError.message}`);
    const resolve = (node) => (isAlias(node) ? node.resolve(doc) : node);
    /** A list of text (paths, purls), each item with its line. */
    function texts(value, name, at) {
        if (isNull(value))
            return [];
        if (!isSeq(value))
            return fail(at, `${name} must be a list`);
        return value.items.map((item) => {
            const node = resolve(item);
            if (!isScalar(node))
                return fail(lineOf(node, at), `each of ${name} must be text`);
            return [scalarText(node), lineOf(node, at)];
        });
    }
    const root = resolve(doc.contents);
    if (root === null || root === undefined || (isScalar(root) && root.value === null))
        return [];
    if (!isMap(root))
        return fail(lineOf(root), 'the file must be a mapping of vulnerabilities, misconfigurations, secrets and licenses');
    const rules = [];
    for (const pair of root.items) {
        const keyNode = resolve(pair.key);
        const key = isScalar(keyNode) ? String(keyNode.value) : '';
        const kind = YAML_LISTS[key];
        if (!kind)
            fail(lineOf(keyNode), `unknown key "${key}" (expected ${Object.keys(YAML_LISTS).join(', ')})`);
        const list = resolve(pair.value);
        if (isNull(list))
            continue;
        if (!isSeq(list))
            return fail(lineOf(list, lineOf(keyNode)), `${key} must be a list of entries`);
        for (const item of list.items) {
            const entry = resolve(item);
            const line = lineOf(entry, lineOf(list));
            if (!isMap(entry))
                return fail(line, `each entry of ${key} must be a mapping with an id`);
            const rule = { kinds: [kind], id: '', paths: [], purls: [], statement: '', file, line };
            for (const field of entry.items) {
                const nameNode = resolve(field.key);
                const name = isScalar(nameNode) ? String(nameNode.value) : '';
                const value = resolve(field.value);
                const at = lineOf(value, lineOf(nameNode, line));
                if (name === 'id' || name === 'statement') {
                    if (!isScalar(value) && !isNull(value))
                        fail(at, `${name} must be text`);
                    rule[name] = scalarText(value);
                }
                else if (name === 'paths' || name === 'purls') {
                    for (const [text, itemLine] of texts(value, name, at)) {
                        if (name === 'paths') {
                            if (!validGlob(text))
                                fail(itemLine, `invalid path pattern "${text}"`);
                            rule.paths.push(text);
                        }
                        else {
                            try {
                                rule.purls.push(parsePurl(text));
                            }
                            catch (error) {
                                fail(itemLine, `invalid purl "${text}": ${error.message}`);
                            }
                        }
                    }
                }
                else if (name === 'expired_at') {
                    const expiry = yamlExpiry(value);
                    if (expiry === 'invalid') {
                        const shown = isScalar(value) ? `"${scalarText(value)}"` : 'this value';
                        const quotedDate = isScalar(value) && value.type !== 'PLAIN' && /^\d{4}-\d{1,2}-\d{1,2}$/.test(scalarText(value));
                        fail(at, quotedDate
                            ? `expired_at ${shown} is quoted: Trivy reads a quoted value as an RFC 3339 time (2006-01-02T15:04:05Z); write the date without quotes`
                            : `expired_at ${shown} is not a date (YYYY-MM-DD) or an RFC 3339 time`);
                    }
                    if (expiry instanceof Date)
                        rule.expiresAt = expiry;
                }
                else {
                    fail(lineOf(nameNode, line), `unknown key "${name}" in an entry of ${key} (expected ${ENTRY_KEYS.join(', ')})`);
                }
            }
            if (rule.id === '')
                fail(line, `an entry of ${key} has no id`);
            rules.push(rule);
        }
    }
    return rules;
}
function isNull(node) {
    return node === null || node === undefined || (isScalar(node) && node.value === null);
}
/** A scalar as text, as yaml.v3 decodes any scalar into a Go string. */
function scalarText(node) {
    if (!node || node.value === null)
        return '';
    if (typeof node.value === 'string')
        return node.value;
    return node.source ?? String(node.value);
}
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';
const STRING_TAG = 'tag:yaml.org,2002:str';
/**
 * `expired_at` as yaml.v3 decodes it into Go's time.Time: empty or null is no expiry; a plain
 * (unquoted) value is a YAML timestamp (`2024-06-01`, `2024-6-1`, `2024-06-01 10:00:00`,
 * `2024-06-01T10:00:00+02:00`; UTC unless it says otherwise); a quoted value must be an RFC 3339
 * time, so a quoted date alone is an error in Trivy too.
 */
function yamlExpiry(node) {
    if (isNull(node))
        return undefined;
    if (!isScalar(node))
        return 'invalid';
    const text = scalarText(node);
    const asString = node.tag === STRING_TAG || (node.tag !== TIMESTAMP_TAG && node.type !== 'PLAIN');
    return (asString ? undefined : parseYamlTimestamp(text)) ?? parseRfc3339(text) ?? 'invalid';
}
function daysIn(year, month) {
    return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}
function isLeap(year) {
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
/** A UTC instant from calendar fields, checking their ranges as Go's time.Parse does. */
function utc(fields) {
    const [year, month, day] = [Number(fields.year), Number(fields.month), Number(fields.day)];
    const [hour, minute, second] = [
        Number(fields.hour ?? 0),
        Number(fields.minute ?? 0),
        Number(fields.second ?? 0)
    ];
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month))
        return undefined;
    if (hour > 23 || minute > 59 || second > 59)
        return undefined;
    let offsetMinutes = 0;
    if (fields.zone && fields.zone !== 'Z') {
        const [hours, minutes] = fields.zone.slice(1).split(':').map(Number);
        if (hours > 23 || minutes > 59)
            return undefined;
        offsetMinutes = (fields.zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
    }
    const millis = Math.floor(Number(`0.${fields.fraction ?? '0'}`) * 1000);
    const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis));
    date.setUTCFullYear(year, month - 1, day);
    return new Date(date.getTime() - offsetMinutes * 60_000);
}
/** Go's time.Parse("2006-01-02", text): the plain format's exp: date, midnight UTC. */
function parseIsoDate(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    return match ? utc({ year: match[1], month: match[2], day: match[3] }) : undefined;
}
/** yaml.v3's timestamp formats (resolve.go allowedTimestampFormats). */
function parseYamlTimestamp(text) {
    const date = String.raw `(?<year>\d{4})-(?<month>\d{1,2})-(?<day>\d{1,2})`;
    const time = String.raw `(?<hour>\d{1,2}):(?<minute>\d{1,2}):(?<second>\d{1,2})(?:[.,](?<fraction>\d+))?`;
    for (const format of [
        `^${date}[Tt]${time}(?<zone>Z|[+-]\\d{2}:\\d{2})$`,
        `^${date} ${time}$`,
        `^${date}$`
    ]) {
        const groups = new RegExp(format).exec(text)?.groups;
        if (groups)
            return utc(groups);
    }
    return undefined;
}
/** Go's time.Time.UnmarshalText: strict RFC 3339. */
function parseRfc3339(text) {
    const groups = /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.(?<fraction>\d+))?(?<zone>Z|[+-]\d{2}:\d{2})$/.exec(text)?.groups;
    return groups ? utc(groups) : undefined;
}
/** True when the rule no longer ignores anything at `now` (Trivy: ExpiredAt.Before(now)). */
function isExpired(rule, now) {
    return rule.expiresAt !== undefined && rule.expiresAt.getTime() < now.getTime();
}
/** The rules split once for a gate: those that still ignore at `now`, and the expired ones. */
function rulesAt(rules, now) {
    return {
        live: rules.filter((rule) => !isExpired(rule, now)),
        expired: rules.filter((rule) => isExpired(rule, now))
    };
}
/** The first of these rules that matches the finding (expiry not looked at), or undefined. */
function firstMatch(finding, rules) {
    if (rules.length === 0)
        return undefined;
    const ids = finding.kind === 'misconfiguration' ? [finding.id, ...finding.otherIds] : [finding.id];
    // Most findings are named by no rule: the paths and the Package URL are looked at only when one is.
    const ofKind = rules.filter((rule) => rule.kinds.includes(finding.kind) && ids.includes(rule.id));
    if (ofKind.length === 0)
        return undefined;
    const paths = finding.kind === 'vulnerability'
        ? [finding.target, finding.pkgPath]
        : finding.kind === 'license'
            ? [finding.pkgPath]
            : [finding.target];
    const purl = finding.kind === 'vulnerability' ? findingPurl(finding.purl) : undefined;
    for (const id of ids) {
        for (const path of paths) {
            const rule = ofKind.find((candidate) => candidate.id === id &&
                (candidate.paths.length === 0 || candidate.paths.some((pattern) => matchGlob(pattern, path))) &&
                (purl === undefined ||
                    candidate.purls.length === 0 ||
                    (purl !== 'invalid' && candidate.purls.some((constraint) => purlMatches(constraint, purl)))));
            if (rule)
                return rule;
        }
    }
    return undefined;
}
/** The finding's own Package URL; 'invalid' (matching no purls rule) when it does not parse. */
function findingPurl(text) {
    if (text === '')
        return undefined;
    try {
        return parsePurl(text);
    }
    catch {
        return 'invalid';
    }
}

// The scan gate: whether the image may go on to push and deploy, decided from every finding Trivy
// reported (Trivy is asked for everything), independently of what is reported. `severities`
// only chooses what the summary, SARIF and comment show (reportedFindings); it never changes the
// verdict. docs/gate.md states these rules for users.
/**
 * Applies ignore-unfixed, then the ignore file (Trivy's order: a vulnerability both unfixed and
 * in the ignore file is reported as unfixed), then judges what remains: every kind of finding
 * (vulnerabilities, secrets, misconfigurations, licenses) counts by its severity.
 */
function decideGate(findings, options, now) {
    const remaining = [];
    const ignored = [];
    const expiredIgnores = [];
    const rules = rulesAt(options.ignoreRules, now);
    for (const finding of findings) {
        if (options.ignoreUnfixed && finding.kind === 'vulnerability' && finding.status !== 'fixed') {
            ignored.push({
                finding,
                reason: 'unfixed',
                message: `${label(finding)}: status ${finding.status}, not fixed (ignore-unfixed)`
            });
            continue;
        }
        const rule = firstMatch(finding, rules.live);
        if (rule) {
            ignored.push({ finding, reason: 'ignore-file', rule, message: ignoredMessage(finding, rule) });
            continue;
        }
        const expired = firstMatch(finding, rules.expired);
        if (expired) {
            expiredIgnores.push({
                finding,
                rule: expired,
                message: `${label(finding)}: the ignore rule at ${where(expired)} expired on ${instant(expired.expiresAt)}, so it counts again`
            });
        }
        remaining.push(finding);
    }
    const counts = countBySeverity(remaining);
    const failures = [];
    const highestFirst = [...SEVERITIES].reverse();
    const threshold = options.severityThreshold;
    if (threshold !== 'none') {
        for (const severity of highestFirst) {
            const count = counts[severity];
            // A severity with a budget of its own is judged by that budget (`high=5` allows five).
            if (count === 0 || !atOrAbove(severity, threshold) || options.maxFindings[severity] !== undefined)
                continue;
            failures.push({
                rule: 'severity-threshold',
                severity,
                count,
                threshold,
                message: `${count} ${severity} ${plural(count)} at or above the threshold ${threshold}`
            });
        }
    }
    for (const severity of highestFirst) {
        const budget = options.maxFindings[severity];
        const count = counts[severity];
        if (budget === undefined || count <= budget)
            continue;
        failures.push({
            rule: 'max-findings',
            severity,
            count,
            budget,
            message: `${severity}: ${count} ${plural(count)} over the budget of ${budget}`
        });
    }
    return { passed: failures.length === 0, failures, counts, remaining, ignored, expiredIgnores };
}
/**
 * The run's error when the gate fails: the reasons, then what passes it. The way out named last
 * is the inputs, so that loosening the gate is a choice made in the workflow, in review.
 */
function gateFailedMessage(reasons) {
    return (`The scan gate failed: ${reasons.join('; ')}. Nothing is pushed or deployed. ` +
        'To pass it: update the packages the step summary lists to their fixed versions, or accept a ' +
        'finding in the ignore file (ignore-file) with its reason and an expiry; the gate itself is ' +
        'severity-threshold and max-findings.');
}
/** What is reported (the `severities` input): the findings of those severities, in order. */
function reportedFindings(findings, severities) {
    return findings.filter((finding) => severities.includes(finding.severity));
}
function plural(count) {
    return count === 1 ? 'finding' : 'findings';
}
function label(finding) {
    const where = finding.pkgName || finding.pkgPath || finding.target;
    return where ? `${finding.id} (${where})` : finding.id;
}
function where(rule) {
    return `${rule.file} line ${rule.line}`;
}
/** A date alone when it is midnight UTC (as `exp:` dates are), else the full instant. */
function instant(date) {
    const iso = date.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}
function ignoredMessage(finding, rule) {
    const until = rule.expiresAt ? ` until ${instant(rule.expiresAt)}` : '';
    const statement = rule.statement ? `: ${rule.statement}` : '';
    return `${label(finding)}: ignored by ${where(rule)}${until}${statement}`;
}

/**
 * What makes two findings "the same" across releases. The installed version is left out on
 * purpose: a package bumped that still carries the same CVE is unchanged, not fixed and new again.
 * The target is left out for OS packages (Trivy names it after the image reference, which differs
 * between releases) and kept for files (secrets, misconfigurations), where it is the file's path.
 */
function findingIdentity(finding) {
    switch (finding.kind) {
        case 'vulnerability':
        case 'license':
            return JSON.stringify([finding.kind, finding.id, finding.pkgName, finding.pkgPath]);
        case 'secret':
        case 'misconfiguration':
            return JSON.stringify([finding.kind, finding.id, finding.target]);
    }
}
/** Compares on one platform's findings; for multi-platform images call it once per platform. */
function compareFindings(candidate, production) {
    const inProduction = new Set(production.map(findingIdentity));
    const inCandidate = new Set(candidate.map(findingIdentity));
    return {
        added: candidate.filter((finding) => !inProduction.has(findingIdentity(finding))),
        fixed: production.filter((finding) => !inCandidate.has(findingIdentity(finding))),
        unchanged: candidate.filter((finding) => inProduction.has(findingIdentity(finding)))
    };
}
/** `3 new (1 HIGH), 5 fixed, 2 unchanged`: the line the summary and PR comment lead with. */
function comparisonHeadline(comparison) {
    const severities = countsText(countBySeverity(comparison.added));
    const added = comparison.added.length;
    const lead = severities === '' ? `${added} new` : `${added} new (${severities})`;
    return `${lead}, ${comparison.fixed.length} fixed, ${comparison.unchanged.length} unchanged`;
}
/** The severities counted per group, for outputs such as new-findings / fixed-findings. */
function comparisonCounts(comparison) {
    return {
        added: countBySeverity(comparison.added),
        fixed: countBySeverity(comparison.fixed),
        unchanged: countBySeverity(comparison.unchanged)
    };
}

// Where a JSON text goes wrong, for messages that must not quote it: JSON.parse's own message
// quotes the text, which may hold secrets (a scanner's report does). This finds the first offset
// where the text stops being JSON and whether that is its end (a text cut short, not a malformed
// one), and the line and column of an offset. Generic: it knows nothing of what the JSON holds.
/** The line and column (both from 1) of `offset` in `text`. */
function lineAndColumn(text, offset) {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 };
}
/**
 * Where the JSON text first goes wrong, and whether that is its end; undefined when it is valid.
 * Iterative (a stack of the open objects and arrays), so text nested thousands of levels deep
 * cannot overflow the call stack.
 */
function jsonSyntaxError(text) {
    let at = 0;
    class Stop extends Error {
    }
    const stop = () => {
        throw new Stop();
    };
    const space = () => {
        while (at < text.length && ' \t\n\r'.includes(text[at]))
            at++;
    };
    const expect = (char) => {
        if (text[at] !== char)
            stop();
        at++;
    };
    const literal = (word) => {
        for (const char of word)
            expect(char);
    };
    const string = () => {
        expect('"');
        for (;;) {
            const char = text[at];
            if (char === undefined || char < ' ')
                stop();
            at++;
            if (char === '"')
                return;
            if (char === '\\') {
                const escaped = text[at];
                if (escaped === 'u') {
                    at++;
                    for (let digit = 0; digit < 4; digit++) {
                        if (!/[0-9a-fA-F]/.test(text[at] ?? ''))
                            stop();
                        at++;
                    }
                }
                else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped))
                    at++;
                else
                    stop();
            }
        }
    };
    const isDigit = () => {
        const char = text[at];
        return char !== undefined && char >= '0' && char <= '9';
    };
    const digits = () => {
        // At least one: a number cut after its `-`, `.` or exponent stops here at the end of the text.
        if (!isDigit())
            stop();
        while (isDigit())
            at++;
    };
    const number = () => {
        if (text[at] === '-')
            at++;
        if (text[at] === '0')
            at++;
        else
            digits();
        if (text[at] === '.') {
            at++;
            digits();
        }
        if (text[at] === 'e' || text[at] === 'E') {
            at++;
            if (text[at] === '+' || text[at] === '-')
                at++;
            digits();
        }
    };
    const key = () => {
        string();
        space();
        expect(':');
        space();
    };
    /** The closing characters of the objects and arrays open at `at`, innermost last. */
    const open = [];
    try {
        space();
        for (;;) {
            const char = text[at];
            if (char === '{' || char === '[') {
                const close = char === '{' ? '}' : ']';
                at++;
                space();
                if (text[at] === close)
                    at++;
                else {
                    open.push(close);
                    if (close === '}')
                        key();
                    continue;
                }
            }
            else if (char === '"')
                string();
            else if (char === 't')
                literal('true');
            else if (char === 'f')
                literal('false');
            else if (char === 'n')
                literal('null');
            else
                number();
            // A value is complete: close what it completes, up to the next item or the end.
            for (;;) {
                space();
                const close = open[open.length - 1];
                if (close === undefined) {
                    if (at < text.length)
                        stop();
                    return undefined;
                }
                if (text[at] === close) {
                    at++;
                    open.pop();
                    continue;
                }
                expect(',');
                space();
                if (close === '}')
                    key();
                break;
            }
        }
    }
    catch (error) {
        if (!(error instanceof Stop))
            throw error;
        return { offset: at, truncated: at >= text.length };
    }
}

// Trivy's JSON report (`trivy image --format json`, SchemaVersion 2, as Trivy v0.74.0 writes it:
// aquasecurity/trivy pkg/types/report.go and friends), read once into a typed model; the flat
// list of findings that the gate, annotations, summary, SARIF and PR comment work from is made
// from it in findings.ts.
//
// Only the fields the action uses are kept. Everything else is dropped on purpose, among it
// each secret's `Code` lines, which hold the lines around the secret unmasked.
/** The only report schema this module reads. */
const TRIVY_SCHEMA_VERSION = 2;
/**
 * Reads the text of a Trivy JSON report. Throws an Error that says what is wrong (empty,
 * truncated, not JSON, another schema, a field of the wrong type, a missing ID) and where, without
 * quoting the report, which may hold secrets.
 */
function parseTrivyReport(text) {
    if (text.trim() === '')
        throw new Error('Trivy report is empty');
    let json;
    try {
        json = JSON.parse(text);
    }
    catch {
        throw new Error(jsonProblem(text));
    }
    const root = object(json, '');
    const version = root.SchemaVersion;
    if (version === undefined)
        throw new Error('Trivy report has no SchemaVersion: it is not a Trivy JSON report');
    if (version !== TRIVY_SCHEMA_VERSION) {
        const shown = typeof version === 'number' ? String(version) : describe(version);
        throw new Error(`Trivy report has SchemaVersion ${shown}; only SchemaVersion ${TRIVY_SCHEMA_VERSION} (Trivy v0.74.0) can be read`);
    }
    return {
        SchemaVersion: version,
        TrivyVersion: optionalString(optionalObject(root, 'Trivy', ''), 'Version', 'Trivy'),
        ArtifactName: optionalString(root, 'ArtifactName', ''),
        ArtifactType: optionalString(root, 'ArtifactType', ''),
        Metadata: metadata(optionalObject(root, 'Metadata', ''), 'Metadata'),
        Results: list(root, 'Results', '', result)
    };
}
/** The image's layers and build history, as the Dockerfile mapping reads them. */
function imageLayersOf(report) {
    return {
        diffIds: report.Metadata.DiffIDs ?? [],
        history: (report.Metadata.ImageConfig?.history ?? []).map((entry) => ({
            createdBy: entry.created_by ?? '',
            emptyLayer: entry.empty_layer ?? false
        }))
    };
}
function metadata(raw, at) {
    const meta = {};
    if (present(raw.OS)) {
        const os = optionalObject(raw, 'OS', at);
        meta.OS = withoutUndefined({
            Family: optionalString(os, 'Family', `${at}.OS`),
            Name: optionalString(os, 'Name', `${at}.OS`),
            EOSL: optionalBoolean(os, 'EOSL', `${at}.OS`)
        });
    }
    meta.ImageID = optionalString(raw, 'ImageID', at);
    if (present(raw.DiffIDs))
        meta.DiffIDs = strings(raw, 'DiffIDs', at);
    if (present(raw.RepoDigests))
        meta.RepoDigests = strings(raw, 'RepoDigests', at);
    if (present(raw.ImageConfig)) {
        const config = optionalObject(raw, 'ImageConfig', at);
        meta.ImageConfig = {};
        if (present(config.history)) {
            meta.ImageConfig.history = list(config, 'history', `${at}.ImageConfig`, (entry, path) => ({
                created_by: optionalString(entry, 'created_by', path),
                empty_layer: optionalBoolean(entry, 'empty_layer', path)
            }));
        }
    }
    return withoutUndefined(meta);
}
function result(raw, at) {
    return withoutUndefined({
        Target: requiredString(raw, 'Target', at, true),
        Class: optionalString(raw, 'Class', at),
        Type: optionalString(raw, 'Type', at),
        Vulnerabilities: list(raw, 'Vulnerabilities', at, vulnerability),
        Secrets: list(raw, 'Secrets', at, secret),
        Misconfigurations: list(raw, 'Misconfigurations', at, misconfiguration),
        Licenses: list(raw, 'Licenses', at, license)
    });
}
function vulnerability(raw, at) {
    const identifier = optionalObject(raw, 'PkgIdentifier', at);
    return withoutUndefined({
        VulnerabilityID: requiredString(raw, 'VulnerabilityID', at),
        PkgName: optionalString(raw, 'PkgName', at),
        PkgPath: optionalString(raw, 'PkgPath', at),
        PkgIdentifier: present(raw.PkgIdentifier)
            ? withoutUndefined({ PURL: optionalString(identifier, 'PURL', `${at}.PkgIdentifier`) })
            : undefined,
        InstalledVersion: optionalString(raw, 'InstalledVersion', at),
        FixedVersion: optionalString(raw, 'FixedVersion', at),
        Status: optionalString(raw, 'Status', at),
        Severity: optionalString(raw, 'Severity', at),
        Title: optionalString(raw, 'Title', at),
        PrimaryURL: optionalString(raw, 'PrimaryURL', at),
        Layer: layer(raw, at)
    });
}
function secret(raw, at) {
    return withoutUndefined({
        RuleID: requiredString(raw, 'RuleID', at),
        Category: optionalString(raw, 'Category', at),
        Severity: optionalString(raw, 'Severity', at),
        Title: optionalString(raw, 'Title', at),
        StartLine: optionalLine(raw, 'StartLine', at),
        EndLine: optionalLine(raw, 'EndLine', at),
        Match: optionalString(raw, 'Match', at),
        Layer: layer(raw, at)
    });
}
function misconfiguration(raw, at) {
    const avdId = optionalString(raw, 'AVDID', at);
    const id = optionalString(raw, 'ID', at) || avdId;
    if (!id)
        throw new Error(`Trivy report: ${at}.ID is missing`);
    const cause = optionalObject(raw, 'CauseMetadata', at);
    return withoutUndefined({
        ID: id,
        AVDID: avdId,
        Namespace: optionalString(raw, 'Namespace', at),
        Title: optionalString(raw, 'Title', at),
        Message: optionalString(raw, 'Message', at),
        Severity: optionalString(raw, 'Severity', at),
        Status: optionalString(raw, 'Status', at),
        PrimaryURL: optionalString(raw, 'PrimaryURL', at),
        CauseMetadata: present(raw.CauseMetadata)
            ? withoutUndefined({
                StartLine: optionalLine(cause, 'StartLine', `${at}.CauseMetadata`),
                EndLine: optionalLine(cause, 'EndLine', `${at}.CauseMetadata`)
            })
            : undefined,
        Layer: layer(raw, at)
    });
}
function license(raw, at) {
    return withoutUndefined({
        Name: requiredString(raw, 'Name', at),
        Severity: optionalString(raw, 'Severity', at),
        Category: optionalString(raw, 'Category', at),
        PkgName: optionalString(raw, 'PkgName', at),
        FilePath: optionalString(raw, 'FilePath', at),
        Link: optionalString(raw, 'Link', at)
    });
}
function layer(raw, at) {
    if (!present(raw.Layer))
        return undefined;
    const value = optionalObject(raw, 'Layer', at);
    return withoutUndefined({
        Digest: optionalString(value, 'Digest', `${at}.Layer`),
        DiffID: optionalString(value, 'DiffID', `${at}.Layer`)
    });
}
/** Go's encoding/json writes a nil list without omitempty as null: null counts as absent. */
function present(value) {
    return value !== undefined && value !== null;
}
function field(at, key) {
    return at === '' ? key : `${at}.${key}`;
}
function wrongType(at, expected, value) {
    return new Error(`Trivy report: ${at || 'the top level'} must be ${expected}, not ${describe(value)}`);
}
/** What a value is, never what it says: report values may be secrets. */
function describe(value) {
    if (value === null)
        return 'null';
    if (Array.isArray(value))
        return 'a list';
    if (typeof value === 'object')
        return 'an object';
    if (typeof value === 'string')
        return 'a string';
    if (typeof value === 'number')
        return 'a number';
    if (typeof value === 'boolean')
        return 'a boolean';
    return typeof value;
}
function object(value, at) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw wrongType(at, 'an object', value);
    }
    return value;
}
function optionalObject(raw, key, at) {
    const value = raw[key];
    return present(value) ? object(value, field(at, key)) : {};
}
function requiredString(raw, key, at, emptyAllowed = false) {
    const value = raw[key];
    if (!present(value))
        throw new Error(`Trivy report: ${field(at, key)} is missing`);
    if (typeof value !== 'string')
        throw wrongType(field(at, key), 'a string', value);
    if (!emptyAllowed && value === '')
        throw new Error(`Trivy report: ${field(at, key)} is empty`);
    return value;
}
function optionalString(raw, key, at, fallback) {
    const value = raw[key];
    if (!present(value))
        return fallback;
    if (typeof value !== 'string')
        throw wrongType(field(at, key), 'a string', value);
    return value;
}
function optionalBoolean(raw, key, at) {
    const value = raw[key];
    if (!present(value))
        return undefined;
    if (typeof value !== 'boolean')
        throw wrongType(field(at, key), 'true or false', value);
    return value;
}
function optionalLine(raw, key, at) {
    const value = raw[key];
    if (!present(value))
        return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw wrongType(field(at, key), 'a line number', value);
    }
    return value;
}
function strings(raw, key, at) {
    const value = raw[key];
    if (!Array.isArray(value))
        throw wrongType(field(at, key), 'a list', value);
    return value.map((item, index) => {
        if (typeof item !== 'string')
            throw wrongType(`${field(at, key)}[${index}]`, 'a string', item);
        return item;
    });
}
function list(raw, key, at, read) {
    const value = raw[key];
    if (!present(value))
        return [];
    if (!Array.isArray(value))
        throw wrongType(field(at, key), 'a list', value);
    return value.map((item, index) => {
        const path = `${field(at, key)}[${index}]`;
        return read(object(item, path), path);
    });
}
/** Drops keys whose value is undefined, so the model has only what the report had. */
function withoutUndefined(value) {
    for (const key of Object.keys(value)) {
        if (value[key] === undefined)
            delete value[key];
    }
    return value;
}
/**
 * Says why JSON.parse failed without repeating its message, which quotes the text. A report whose
 * JSON is well-formed up to its end but stops before it is complete is truncated (a write cut
 * short, a full disk); anything else is not JSON.
 */
function jsonProblem(text) {
    const problem = jsonSyntaxError(text);
    if (!problem)
        return 'Trivy report is not valid JSON';
    const { line, column } = lineAndColumn(text, problem.offset);
    const where = `line ${line}, column ${column}`;
    return problem.truncated
        ? `Trivy report is truncated: the JSON stops at ${where}, before it is complete`
        : `Trivy report is not valid JSON: unexpected character at ${where}`;
}

// Running Trivy once on the built image: everything it finds, as JSON, to a file. Trivy filters
// before it writes (FACTS: scan -> filter -> report -> exit code), so the action asks for
// everything and applies severities, ignores and the gate itself: what is reported and what
// fails the run stay independent.
//
// Trivy reads only what the action gives it. On its own it would also read, and let filter its
// findings: `trivy.yaml` (--config) and `trivy-secret.yaml` (--secret-config) and `.trivyignore`
// (--ignorefile) in its working folder, WASM modules in ~/.trivy/modules (--module-dir, which
// can rewrite results), layer analyses kept in its cache folder (--cache-backend fs), and a
// TRIVY_<FLAG> variable for every flag (TRIVY_SEVERITY, TRIVY_SKIP_FILES, TRIVY_SERVER, ...).
// Each of those is replaced by an empty one of the action's, in a private folder it also runs
// in, every severity and package type is asked for by name, and the TRIVY_* variables are
// dropped but for the few that say where the DB is and how to fetch it (TRIVY_PASSING_THROUGH).
/**
 * The TRIVY_* variables of the runner that reach Trivy: where its DB is kept and the credentials
 * and time for fetching it. None changes what Trivy reports on an image.
 */
const TRIVY_PASSING_THROUGH = [
    'TRIVY_CACHE_DIR',
    'TRIVY_USERNAME',
    'TRIVY_PASSWORD',
    'TRIVY_REGISTRY_TOKEN',
    'TRIVY_TIMEOUT'
];
/** Every package type Trivy v0.x knows; the default, named so no variable or file narrows it. */
const PACKAGE_TYPES = ['os', 'library'];
/** Lays out the empty config files and module folder in `workDir` (a private folder). */
function privateTrivyFiles(workDir) {
    const files = {
        workDir,
        config: path$1.join(workDir, 'trivy.yaml'),
        secretConfig: path$1.join(workDir, 'trivy-secret.yaml'),
        ignoreFile: path$1.join(workDir, 'trivyignore'),
        moduleDir: path$1.join(workDir, 'modules')
    };
    // Trivy refuses an empty secret config (a YAML decode error, EOF): `{}` sets nothing either.
    for (const file of [files.config, files.secretConfig])
        writeFileSync(file, '{}\n');
    writeFileSync(files.ignoreFile, '');
    mkdirSync(files.moduleDir);
    return files;
}
/**
 * The arguments. The user's skip-db-update skips both DB updates; a vulnerability DB restored
 * from today's cache entry skips only its own update (`skip`).
 */
function trivyArgs(inputs, run, skip = { vulnerabilityDb: inputs.skipDbUpdate }) {
    const args = [
        'image',
        '--config',
        run.files.config,
        '--secret-config',
        run.files.secretConfig,
        '--ignorefile',
        run.files.ignoreFile,
        '--module-dir',
        run.files.moduleDir,
        '--cache-dir',
        run.cacheDir,
        // Layer analyses are not kept between scans: a stored one is not read back as this image's.
        '--cache-backend',
        'memory',
        '--format',
        'json',
        '--output',
        run.reportFile,
        '--scanners',
        inputs.scanners.join(','),
        '--severity',
        SEVERITIES.join(','),
        '--pkg-types',
        PACKAGE_TYPES.join(','),
        // Exit 0 whatever is found: the gate decides, and an exit code 1 then only means a failure.
        '--exit-code',
        '0',
        '--skip-version-check',
        '--disable-telemetry',
        '--quiet'
    ];
    if (skip.vulnerabilityDb)
        args.push('--skip-db-update');
    if (inputs.skipDbUpdate)
        args.push('--skip-java-db-update');
    if (inputs.dbRepositories.length > 0)
        args.push('--db-repository', inputs.dbRepositories.join(','));
    // The image built from the engine or its layout, never a registry: the image scanned is the
    // image built. Only the production image compared with comes from a registry, by digest.
    if ('engine' in run.image)
        args.push('--image-src', 'docker', run.image.engine);
    else if ('layout' in run.image)
        args.push('--input', run.image.layout);
    else
        args.push(...(run.image.insecure ? ['--insecure'] : []), '--image-src', 'remote', run.image.remote);
    return args;
}
/**
 * Trivy's environment: `base` (the programs' environment) without the TRIVY_* variables that are
 * not passing through; `dropped` names those left out, for the log.
 */
function trivyEnv(base) {
    const env = {};
    const dropped = [];
    for (const [key, value] of Object.entries(base)) {
        // Trivy's own lookup of its variables is by exact upper-case name.
        if (key.toUpperCase().startsWith('TRIVY_') && !TRIVY_PASSING_THROUGH.includes(key))
            dropped.push(key);
        else
            env[key] = value;
    }
    return { env, dropped: dropped.sort() };
}
/** The version a Trivy binary says it is (`Version: 0.74.0`), or undefined. */
function parseTrivyVersion$1(versionOutput) {
    return /^Version:\s*v?(\S+)/m.exec(versionOutput)?.[1];
}

// The key the production scan's report is cached under: the image digest alone is not enough, a
// new Trivy, a newer DB or other rules (severities, ignore file, scanners) must scan again.
const DIGEST$2 = /^sha256:[0-9a-f]{64}$/;
/** A file-name-safe key; throws on a digest that is not `sha256:` and 64 hex digits. */
function productionCacheKey(identity) {
    if (!DIGEST$2.test(identity.digest))
        throw new Error(`not an image digest: ${JSON.stringify(identity.digest)}`);
    const hash = createHash('sha256')
        .update(JSON.stringify([identity.digest, identity.trivyVersion, identity.dbUpdatedAt, identity.rules]))
        .digest('hex');
    return `production-${identity.digest.slice('sha256:'.length, 'sha256:'.length + 12)}-${hash.slice(0, 32)}`;
}

// The production image's findings, for the comparison: the image resolved to its digest (so what
// is scanned cannot move under the scan, and the cache is keyed by it), then Trivy's report taken
// from the cache or Trivy run on the registry's image with the same binary, DB and scanners as the
// candidate. Severities, ignore-unfixed and the ignore file are applied to both sides alike by the
// caller, so the cached report is Trivy's unfiltered one.
//
// The cache is a folder under the runner's tool cache (RUNNER_TOOL_CACHE, which a self-hosted
// runner keeps between runs; a hosted runner starts each job with an empty one), else its temp
// folder; where the runner has the Actions cache service (and db-cache is on), each report is also
// an entry there, under its key, so a hosted runner's next job finds it. A report that does not
// parse is scanned again. A cache that fails never fails the scan.
/** Where production reports are cached: under the runner's tool cache, else its temp folder. */
function productionCacheRoot(env, tempRoot) {
    return env.RUNNER_TOOL_CACHE
        ? path$1.join(env.RUNNER_TOOL_CACHE, 'container-ship', 'production-scans')
        : path$1.join(tempRoot, 'container-ship-production-scans');
}
/** Resolves, then takes from the cache or scans. Throws when the image cannot be read or scanned. */
async function scanProduction(target, setup) {
    const digest = target.digest ?? (await resolveDigest(target, setup.registries));
    const reference = `${target.image.name}@${digest}`;
    const key = productionCacheKey({
        digest,
        trivyVersion: setup.trivyVersion,
        dbUpdatedAt: dbUpdatedAt(setup.cacheDir),
        // Trivy picks the runner's platform from an index, and scans with the scanners asked for.
        rules: JSON.stringify({ scanners: setup.inputs.scanners, arch: process.arch })
    });
    const cacheFile = path$1.join(setup.cacheRoot, `${key}.json`);
    const entry = `container-ship-${key}`;
    let cached = readCached(cacheFile);
    if (!cached && setup.actionsCache && (await restoreEntry(cacheFile, entry)))
        cached = readCached(cacheFile);
    if (cached)
        return { reference, digest, findings: findingsOf(cached), cached: true };
    const reportFile = path$1.join(setup.workDir, 'trivy-production.json');
    const args = trivyArgs(setup.inputs, {
        image: { remote: reference, insecure: isLoopbackRegistry(target.image.registry) },
        reportFile,
        cacheDir: setup.cacheDir,
        files: setup.files
    }, 
    // The candidate's scan has just fetched (or checked) the DB: the same DB judges both.
    { vulnerabilityDb: true });
    await runProgram(setup.trivy, args, {
        env: { ...setup.env, DOCKER_CONFIG: setup.dockerConfig },
        cwd: setup.files.workDir
    });
    if (!existsSync(reportFile))
        throw new Error(`Trivy exited without writing its report to ${reportFile}`);
    const text = readFileSync(reportFile, 'utf8');
    const report = parseTrivyReport(text);
    writeCached(cacheFile, text);
    if (setup.actionsCache)
        await saveEntry(cacheFile, entry);
    return { reference, digest, findings: findingsOf(report), cached: false };
}
/** The report from the Actions cache into `file`; false on a miss or a failure. */
async function restoreEntry(file, entry) {
    try {
        const cache = await import('./chunks/cache-Dtp5DTgJ.js');
        if (!cache.isFeatureAvailable())
            return false;
        mkdirSync(path$1.dirname(file), { recursive: true, mode: 0o700 });
        return (await cache.restoreCache([file], entry)) === entry;
    }
    catch (error) {
        info(`The production report was not restored from the Actions cache: ${error.message}`);
        return false;
    }
}
async function saveEntry(file, entry) {
    try {
        const cache = await import('./chunks/cache-Dtp5DTgJ.js');
        if (cache.isFeatureAvailable())
            await cache.saveCache([file], entry);
    }
    catch (error) {
        // Another job saved the same report first, or the service refused: the next run scans again.
        info(`The production report was not saved to the Actions cache: ${error.message}`);
    }
}
/** The digest a tag points at now (an index's, for an image of several platforms). */
async function resolveDigest(target, registries) {
    const client = await registries(target.image.registry);
    const manifest = await client.getManifest(target.image.repository, target.tag ?? 'latest');
    return manifest.digest;
}
/** The DB's UpdatedAt from its metadata, '' when there is none to read. */
function dbUpdatedAt(cacheDir) {
    try {
        const metadata = JSON.parse(readFileSync(path$1.join(cacheDir, 'db', 'metadata.json'), 'utf8'));
        return typeof metadata.UpdatedAt === 'string' ? metadata.UpdatedAt : '';
    }
    catch {
        return '';
    }
}
function readCached(file) {
    if (!existsSync(file))
        return undefined;
    try {
        return parseTrivyReport(readFileSync(file, 'utf8'));
    }
    catch {
        return undefined;
    }
}
/** Written whole or not at all: a run reading at the same time sees the old file or the new. */
function writeCached(file, text) {
    mkdirSync(path$1.dirname(file), { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, text, { mode: 0o600 });
    renameSync(partial, file);
}

// The compare-to and gate-on inputs: which image counts as production (the one the deploy host
// runs, one the user names, or none), and whether the gate counts every finding or only new ones.
const GATE_ON = ['all', 'new'];
const DIGEST$1 = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** `deployed`, `none`, or an image reference: `name:tag`, `name@sha256:…` or `name:tag@sha256:…`. */
function parseCompareTo(raw) {
    const text = raw.trim();
    const word = text.toLowerCase();
    if (word === 'deployed' || word === 'none')
        return { kind: word };
    if (text === '')
        throw new Error('is empty: give deployed, none or an image reference');
    const at = text.indexOf('@');
    const digest = at === -1 ? undefined : text.slice(at + 1);
    if (digest !== undefined && !DIGEST$1.test(digest))
        throw new Error(`"${text}" has a digest that is not sha256: and 64 lowercase hex digits`);
    const named = at === -1 ? text : text.slice(0, at);
    const colon = named.lastIndexOf(':');
    const tag = colon > named.lastIndexOf('/') ? named.slice(colon + 1) : undefined;
    if (tag !== undefined && !TAG.test(tag))
        throw new Error(`"${text}" has an invalid tag "${tag}"`);
    if (tag === undefined && digest === undefined)
        throw new Error(`"${text}" names no tag or digest: give deployed, none, name:tag or name@sha256:…`);
    const image = parseImageName(tag === undefined ? named : named.slice(0, colon));
    return {
        kind: 'image',
        image,
        ...(tag === undefined ? {} : { tag }),
        ...(digest === undefined ? {} : { digest }),
        text
    };
}
function parseGateOn(raw) {
    return parseChoice(raw, GATE_ON);
}

// compare-to: deployed: the image the service runs on the first deploy host, as a registry
// reference by digest, found the way the rollout finds the release it replaces (the Compose
// service's running containers by their labels; the Swarm service's spec). The host is the one
// the deploy step reached before the build, so a run that does not deploy compares with nothing.
/** The running release's image, by digest; or why there is none to compare with. */
async function deployedImage(deployed) {
    const running = deployed.orchestrator === 'swarm' ? await swarmImage(deployed) : await composeImage(deployed);
    if ('reason' in running)
        return { found: false, ...running };
    try {
        const target = parseCompareTo(running.reference);
        if (target.kind !== 'image' || !target.digest)
            throw new Error('it names no digest');
        return { found: true, target };
    }
    catch (error) {
        return {
            found: false,
            reason: `${deployed.service} on ${deployed.url} runs ${running.reference}, which is not a registry image by digest (${error.message})`
        };
    }
}
async function composeImage(deployed) {
    const containers = new Containers(deployed.docker);
    const [first] = await containers.inspect(await containers.list(deployed.project, deployed.service));
    if (!first)
        return { reason: `no container of ${deployed.service} runs on ${deployed.url}`, firstDeploy: true };
    // The digest the engine pulled the image by: the repository the container names, else any.
    const inspected = await deployed.docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', first.imageId], { quiet: true });
    const digests = JSON.parse(inspected.stdout.trim() || '[]');
    const known = Array.isArray(digests) ? digests.filter((d) => typeof d === 'string') : [];
    const repository = first.image.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[\w][\w.-]*$/, '');
    const reference = known.find((d) => d.startsWith(`${repository}@`)) ?? known[0];
    if (!reference)
        return {
            reason: `the image ${first.image} that ${deployed.service} runs on ${deployed.url} was not pulled from a registry (it has no repository digest)`
        };
    return { reference };
}
async function swarmImage(deployed) {
    const service = await new SwarmService(deployed.docker, swarmServiceName(deployed.project, deployed.service)).inspect();
    if (!service)
        return { reason: `the swarm on ${deployed.url} has no service ${deployed.service}`, firstDeploy: true };
    return { reference: service.image };
}

// Compare with production: which production image (compare-to), its findings (production-scan.ts)
// judged by the same rules as the candidate's, and the split into new, fixed and unchanged. A
// comparison that cannot be made is a warning, never a failure: the gate then counts every
// finding (gate-scope.ts), so a missing production image never makes it weaker.
/**
 * The comparison of `candidate` (the findings that count, after ignores) with production's, whose
 * findings `counted` filters by the same rules; undefined when there is nothing to compare with.
 */
async function compareWithProduction(inputs, candidate, counted, setup, 
/** The first deploy host, when the deploy step reached it for this run. */
deployed) {
    let target = inputs.compareTo;
    if (target.kind === 'none')
        return undefined;
    if (target.kind === 'deployed') {
        // No deploy host, nothing deployed to compare with: the default stays quiet.
        if (!inputs.deployHostSet)
            return undefined;
        if (!deployed) {
            info('compare-to: deployed: this run does not deploy, so the deploy host is not reached and the findings are not compared (name the production image in compare-to to compare in such runs)');
            return undefined;
        }
        let found;
        try {
            found = await deployedImage(deployed);
        }
        catch (error) {
            found = { found: false, reason: error.message };
        }
        if (!found.found) {
            // A first deploy has nothing to compare with, as a run without a deploy host.
            const say = found.firstDeploy ? info : warning;
            say(`compare-to: deployed: the findings are not compared: ${found.reason}`);
            return undefined;
        }
        target = found.target;
    }
    let production;
    try {
        production = await scanProduction(target, setup());
    }
    catch (error) {
        warning(`compare-to: the production image ${target.text} could not be scanned, so the findings are not compared: ${error.message}`);
        return undefined;
    }
    info(`Production image ${production.reference}: ${production.findings.length} findings${production.cached ? ' (its report from the cache)' : ''}`);
    const comparison = compareFindings(candidate, counted(production.findings));
    return {
        reference: production.reference,
        cached: production.cached,
        comparison,
        headline: comparisonHeadline(comparison),
        counts: comparisonCounts(comparison)
    };
}

function resolveGateScope(gateOn, comparisonAvailable) {
    if (gateOn === 'all')
        return { scope: 'all' };
    if (comparisonAvailable)
        return { scope: 'new' };
    return {
        scope: 'all',
        warning: 'gate-on: new, but there is no production image to compare with: the gate counts all findings'
    };
}

// How the comparison with production is shown: the first row of the scan's part of the step
// summary, a section before the findings, and the lead of the pull request comment. The
// difference comes first: it is what the release changes.
/** New findings listed in the section; the counts above cover them all. */
const NEW_ROWS = 20;
/** The production image as a code span: its name comes from an input or a deploy host. */
function production(report) {
    return code(clip$1(flat(report.reference)));
}
function gateNote(report) {
    return report.gateOn === 'new' ? 'the gate counts only the new findings (gate-on: new)' : '';
}
/** The summary table's row. */
function comparisonRow(report) {
    const note = gateNote(report);
    return [
        'Compared with production',
        `**${report.headline}** (${production(report)}${note ? `; ${note}` : ''})`
    ];
}
/** The summary's section: the headline, the counts of each group by severity, the new findings. */
function comparisonSection(report, dockerfile) {
    const order = [...SEVERITIES].reverse();
    const line = (name, counts) => `| ${name} | ${order.map((severity) => String(counts[severity])).join(' | ')} |`;
    const note = gateNote(report);
    return [
        '### Compared with production',
        '',
        `**${report.headline}** against ${production(report)}${note ? `: ${note}` : ''}.`,
        '',
        `| | ${order.join(' | ')} |`,
        `| --- | ${order.map(() => '---:').join(' | ')} |`,
        line('New', report.counts.added),
        line('Fixed', report.counts.fixed),
        line('Unchanged', report.counts.unchanged),
        '',
        ...(report.added.length > 0
            ? [
                '#### New findings',
                '',
                ...FINDINGS_TABLE_HEADER,
                ...report.added.slice(0, NEW_ROWS).map((row) => findingRow(row, dockerfile)),
                ...(report.added.length > NEW_ROWS
                    ? ['', `and ${report.added.length - NEW_ROWS} more (the findings below list them all)`]
                    : []),
                ''
            ]
            : [])
    ].join('\n');
}
/** The pull request comment's first line after its title. */
function comparisonLead(report) {
    const note = gateNote(report);
    return `**${report.headline}** compared with production ${production(report)}${note ? `; ${note}` : ''}.`;
}

// Files the action writes where an input says (sarif-file) never follow a link. A workspace holds
// what the checkout and earlier steps put there, a pull request's files included: a
// `reports -> /home/runner/.ssh` link, or a `scan.sarif` linked to a file elsewhere, would
// otherwise have the action write outside the folders it was given. A path is accepted only
// inside the workspace (GITHUB_WORKSPACE, else the working folder) or the runner's temp folder
// (RUNNER_TEMP), with no symbolic link below that folder. getInputs checks what it can before
// anything runs; writing checks again, as a link can appear in between.
/** The workspace (GITHUB_WORKSPACE, else `cwd`) and, when set, the runner's temp folder. */
function writeRoots(cwd = process.cwd(), env = process.env) {
    const roots = [{ name: 'the workspace', dir: path$1.resolve(env.GITHUB_WORKSPACE || cwd) }];
    if (env.RUNNER_TEMP)
        roots.push({ name: "the runner's temp folder", dir: path$1.resolve(env.RUNNER_TEMP) });
    return roots;
}
/**
 * Why `file` (absolute) may not be written, or undefined: it is outside every root, or a folder
 * or the file below its root is a symbolic link (or not a folder). Missing parts are fine.
 */
function writeRefusal(file, roots) {
    if (file.includes('\0'))
        return 'the path holds a NUL character';
    const place = placeOf(file, roots);
    if (typeof place === 'string')
        return place;
    let current = place.root;
    for (const part of place.parts) {
        current = path$1.join(current, part);
        const stats = lstatOrUndefined(current);
        if (!stats)
            return undefined;
        const problem = refusalOf(current, stats, current === file);
        if (problem)
            return problem;
    }
    return undefined;
}
/**
 * Writes `text` to `file` (absolute), refusing what writeRefusal refuses at the time of writing:
 * missing folders are made one at a time, each checked, and the file is opened without following
 * a link (O_NOFOLLOW), so a link made after the check is refused too. Only a regular file with
 * no other hard link is truncated and written. Throws with the reason.
 */
function writeFileNoFollow(file, text, roots) {
    const place = placeOf(file, roots);
    if (typeof place === 'string')
        throw new Error(place);
    let current = place.root;
    for (const part of place.parts.slice(0, -1)) {
        current = path$1.join(current, part);
        makeFolder(current);
    }
    let fd;
    try {
        // No O_TRUNC here: the file is checked first. O_NONBLOCK: a FIFO planted there fails at once
        // instead of holding the step.
        fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
    }
    catch (error) {
        const code = error.code;
        if (code === 'ELOOP')
            throw new Error(refusalOf(file, lstatSync(file), true) ?? `${file} is a link`);
        if (code === 'ENXIO')
            throw new Error(`${file} is not a regular file`);
        throw error;
    }
    try {
        const problem = refusalOf(file, fstatSync(fd), true);
        if (problem)
            throw new Error(problem);
        ftruncateSync(fd, 0);
        writeSync(fd, text);
    }
    finally {
        closeSync(fd);
    }
}
/** The root `file` is inside (the deepest, when they nest) and the names below it. */
function placeOf(file, roots) {
    let best;
    for (const { dir } of roots) {
        // The root's own path is the runner's, trusted as it is, also through its real path (/tmp
        // may be a link on some machines).
        for (const root of new Set([dir, realpathOrSelf(dir)])) {
            const relative = path$1.relative(root, file);
            if (relative === '' || relative.startsWith('..') || path$1.isAbsolute(relative))
                continue;
            const parts = relative.split(path$1.sep);
            if (!best || parts.length < best.parts.length)
                best = { root, parts };
        }
    }
    if (best)
        return best;
    return `${file} is outside ${roots.map(({ name, dir }) => `${name} (${dir})`).join(' and ')}`;
}
function refusalOf(where, stats, isFile) {
    if (stats.isSymbolicLink()) {
        return `${where} is a symbolic link (to ${readlinkOrUnknown(where)}): files are never written through a link`;
    }
    if (!isFile && !stats.isDirectory())
        return `${where} is not a folder`;
    if (isFile && stats.isDirectory())
        return `${where} is a folder`;
    if (isFile && !stats.isFile())
        return `${where} is not a regular file`;
    if (isFile && stats.nlink > 1)
        return `${where} has other hard links: writing it would change them too`;
    return undefined;
}
function makeFolder(dir) {
    try {
        mkdirSync(dir);
    }
    catch (error) {
        if (error.code !== 'EEXIST')
            throw error;
    }
    const problem = refusalOf(dir, lstatSync(dir), false);
    if (problem)
        throw new Error(problem);
}
function lstatOrUndefined(target) {
    try {
        return lstatSync(target);
    }
    catch (error) {
        const code = error.code;
        if (code === 'ENOENT')
            return undefined;
        throw new Error(`${target} cannot be looked at (${code ?? error.message})`);
    }
}
function realpathOrSelf(dir) {
    try {
        return realpathSync(dir);
    }
    catch {
        return dir;
    }
}
function readlinkOrUnknown(link) {
    try {
        return readlinkSync(link);
    }
    catch {
        return 'somewhere';
    }
}

// Pure policy for fetching the Trivy DB from several sources: which answers
// are worth another try, how long to wait (Retry-After honoured up to a cap so a run cannot
// hang), how a failed download is classified, and the failure message that names each source
// and its answer. trivy/db-download.ts runs the downloads.
const DEFAULT_BACKOFF = { tries: 3, baseMs: 1000, capMs: 30_000 };
/**
 * Wait before try number `nextTry` (2 = the first retry): the backoff, or longer when the registry
 * asks for more (ghcr.io's "retry-after: 1.2ms" must not turn the tries into a burst), never above
 * the cap.
 */
function retryDelayMs(nextTry, retryAfterMs, policy = DEFAULT_BACKOFF) {
    const backoff = policy.baseMs * 2 ** Math.max(0, nextTry - 2);
    return Math.min(Math.max(retryAfterMs ?? 0, backoff), policy.capMs);
}
/** One line per source, in the order tried, e.g. `mirror.example/trivy-db:2: 429 Too Many Requests after 3 tries`. */
function describeSourceFailures(failures) {
    const lines = failures.map((f) => `${f.source}: ${f.answer}${f.tries > 1 ? ` after ${f.tries} tries` : ''}`);
    return `The Trivy DB could not be downloaded from any source:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
/**
 * Classifies a failed `trivy image --download-db-only` from what Trivy printed. Trivy reports the
 * registry's answer only in its error text (go-containerregistry's `GET <url>: TOOMANYREQUESTS:
 * ...` or `unexpected status code 503 Service Unavailable: ...`), never its headers. That text is
 * untrusted: it can only choose between trying the same source again and going on to the next
 * one, and pick a wait that retryDelayMs caps; the answer shown is a fixed phrase or a status code.
 */
function classifyDbFailure(exitCode, output) {
    const retryAfterMs = retryAfterInText(output);
    if (/\bTOOMANYREQUESTS\b|\b429 Too Many Requests\b|status code:? 429\b/.test(output))
        return { then: 'retry', answer: statusAnswer(429), retryAfterMs };
    const server = /status code:? (5\d\d)\b/.exec(output);
    if (server)
        return { then: 'retry', answer: statusAnswer(Number(server[1])), retryAfterMs };
    const known = [
        [/\bMANIFEST_UNKNOWN\b|\bNAME_UNKNOWN\b|status code:? 404\b/, statusAnswer(404)],
        [/\bUNAUTHORIZED\b|status code:? 401\b/, statusAnswer(401)],
        [/\bDENIED\b|status code:? 403\b/, statusAnswer(403)],
        [/connection refused/, 'connection refused'],
        [/no such host/, 'unknown host'],
        [/x509:|certificate/, 'TLS certificate not accepted'],
        [/i\/o timeout|deadline exceeded|TLS handshake timeout/, 'timed out'],
        [/connection reset/, 'connection reset']
    ];
    const found = known.find(([pattern]) => pattern.test(output));
    if (found)
        return { then: 'next', answer: found[1] };
    return {
        then: 'next',
        answer: exitCode === null ? 'Trivy was killed by a signal' : `Trivy failed (exit code ${exitCode})`
    };
}
function statusAnswer(status) {
    return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}
const GO_UNIT_MS = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000
};
/**
 * `retry-after: 1.2ms` (ghcr.io writes its Retry-After into the error message, as a Go duration)
 * or `Retry-After: 7` (seconds), in milliseconds; undefined when the text names none.
 */
function retryAfterInText(text) {
    const match = /retry-after:\s*(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?\b/i.exec(text);
    if (!match)
        return undefined;
    const ms = Number(match[1]) * (GO_UNIT_MS[match[2] ?? 's'] ?? 1000);
    return Number.isFinite(ms) ? Math.ceil(ms) : undefined;
}
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A duration such as `72h`, `90m` or `3d` in milliseconds; undefined when not one. */
function parseDuration(value) {
    const match = /^(\d+)([mhd])$/.exec(value.trim());
    if (!match)
        return undefined;
    const ms = Number(match[1]) * UNIT_MS[match[2]];
    return ms > 0 ? ms : undefined;
}

// The scan step's inputs: what fails the gate, what is reported and where, and which Trivy.
const DEFAULT_IGNORE_FILE = ACTION_DEFAULTS['ignore-file'];
/** The Trivy release used when none is on PATH; action.yml's trivy-version default says the same. */
const DEFAULT_TRIVY_VERSION = ACTION_DEFAULTS['trivy-version'];
const SCANNERS = ['vuln', 'secret', 'misconfig', 'license'];
/** Where Trivy's release archives are downloaded from unless trivy-releases names a mirror. */
const DEFAULT_TRIVY_RELEASES = ACTION_DEFAULTS['trivy-releases'];
const DEFAULT_DB_MAX_AGE = ACTION_DEFAULTS['db-max-age'];
/** A DB older than this misses a month of advisories: the scan would say little. */
const MOST_DB_MAX_AGE_DAYS = 30;
/** The token the pull request comment is written with. */
const SCAN_SECRET_INPUTS = { whole: ['github-token'], values: [] };
function readScanInputs(fields, scope) {
    const { read, cwd } = fields;
    const scanning = scope.steps.includes('scan');
    const severities = fields.field('severities', parseSeverities, [...SEVERITIES]);
    const ignoreFile = read('ignore-file');
    const ignoreFileExplicit = ignoreFile !== DEFAULT_IGNORE_FILE;
    if (scanning && ignoreFileExplicit && !isFile(path$1.resolve(cwd, ignoreFile))) {
        fields.problem(`ignore-file: "${ignoreFile}" does not exist`);
    }
    return {
        severityThreshold: fields.field('severity-threshold', parseThreshold, 'HIGH'),
        severities,
        compareTo: fields.field('compare-to', parseCompareTo, { kind: 'none' }),
        gateOn: fields.field('gate-on', parseGateOn, 'all'),
        deployHostSet: read('deploy-host').trim() !== '',
        deployOrchestrator: read('orchestrator').toLowerCase() === 'swarm' ? 'swarm' : 'compose',
        ignoreUnfixed: fields.field('ignore-unfixed', parseBoolean, false),
        ignoreFile,
        ignoreFileExplicit,
        scanners: fields.field('scanners', parseScanners, ['vuln', 'secret']),
        maxFindings: fields.field('max-findings', parseMaxFindings, {}),
        trivyVersion: fields.field('trivy-version', parseTrivyVersion, DEFAULT_TRIVY_VERSION),
        trivyReleases: fields.field('trivy-releases', parseReleasesUrl, DEFAULT_TRIVY_RELEASES),
        dbRepositories: fields.field('db-repository', parseDbRepositories, []),
        skipDbUpdate: fields.field('skip-db-update', parseBoolean, false),
        dbCache: fields.field('db-cache', parseBoolean, true),
        dbMaxAge: fields.field('db-max-age', parseDbMaxAge, {
            ms: parseDuration(DEFAULT_DB_MAX_AGE),
            text: DEFAULT_DB_MAX_AGE
        }),
        sarifFile: fields.field('sarif-file', (raw) => parseSarifFile(raw, cwd, scanning), ''),
        annotations: fields.field('scan-annotations', parseBoolean, true),
        prComment: fields.field('pr-comment', parseBoolean, true),
        githubToken: read('github-token')
    };
}
function parseSeverities(raw) {
    const named = parseList(raw);
    const severities = named.map((name) => {
        const severity = parseSeverity(name);
        if (!severity)
            throw new Error(`"${name}" is not one of ${SEVERITIES.join(', ')}`);
        return severity;
    });
    if (severities.length === 0)
        throw new Error(`name at least one of ${SEVERITIES.join(', ')}`);
    return SEVERITIES.filter((severity) => severities.includes(severity));
}
function parseThreshold(raw) {
    if (raw.toLowerCase() === 'none')
        return 'none';
    const severity = parseSeverity(raw);
    if (!severity)
        throw new Error(`"${raw}" is not one of ${SEVERITIES.join(', ')} or none`);
    return severity;
}
function parseScanners(raw) {
    const scanners = parseList(raw).map((name) => name.toLowerCase());
    for (const scanner of scanners) {
        if (!SCANNERS.includes(scanner))
            throw new Error(`"${scanner}" is not one of ${SCANNERS.join(', ')}`);
    }
    return scanners;
}
function parseMaxFindings(raw) {
    const budgets = {};
    for (const item of parseList(raw)) {
        const match = /^([A-Za-z]+)\s*=\s*(\d+)$/.exec(item);
        const severity = match ? parseSeverity(match[1]) : undefined;
        if (!match || !severity)
            throw new Error(`"${item}" is not SEVERITY=COUNT, e.g. critical=0,high=5`);
        try {
            budgets[severity] = parseWholeNumber(match[2], 'max-findings');
        }
        catch (error) {
            throw new Error(`"${item}": ${error.message}`);
        }
    }
    return budgets;
}
function parseTrivyVersion(raw) {
    const version = semver.valid(raw.replace(/^v/, ''));
    if (!version)
        throw new Error(`"${raw}" is not a release version such as ${DEFAULT_TRIVY_VERSION}`);
    return version;
}
function parseReleasesUrl(raw) {
    const text = raw;
    let url;
    try {
        url = new URL(text);
    }
    catch {
        throw new Error(`"${text}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new Error(`"${text}" is not an http(s) URL`);
    // Plain HTTP lets anyone on the path swap the archive and its checksums file together.
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
        throw new Error(`"${text}" is plain http to a host that is not loopback: use https (http only for 127.0.0.0/8, ::1 or localhost)`);
    return text.replace(/\/+$/, '');
}
/** OCI repositories with an optional tag, as Trivy's --db-repository takes them. */
function parseDbRepositories(raw) {
    const repositories = parseList(raw);
    for (const repository of repositories) {
        const tagged = /:[\w][\w.-]*$/.test(repository.slice(repository.lastIndexOf('/') + 1));
        if (tagged)
            parseImageReference(repository);
        else
            parseImageName(repository);
    }
    return repositories;
}
/** A duration such as 2d, 48h or 90m, at most MOST_DB_MAX_AGE_DAYS. */
function parseDbMaxAge(raw) {
    const ms = parseDuration(raw);
    if (ms === undefined)
        throw new Error(`"${raw}" is not a duration such as 2d, 48h or 90m (a whole number and m, h or d)`);
    if (ms > MOST_DB_MAX_AGE_DAYS * 86_400_000)
        throw new Error(`${raw} is more than ${MOST_DB_MAX_AGE_DAYS}d, the most it takes (a DB that old misses a month of advisories)`);
    return { ms, text: raw.trim() };
}
/** A path the scan may write (lib/safe-write.ts): inside the workspace or RUNNER_TEMP, through no link. */
function parseSarifFile(raw, cwd, scanning) {
    if (!raw || !scanning)
        return raw;
    const refusal = writeRefusal(path$1.resolve(cwd, raw), writeRoots(cwd));
    if (refusal)
        throw new Error(`"${raw}" cannot be written: ${refusal}`);
    return raw;
}

// The reported findings as a SARIF 2.1.0 log for GitHub code scanning
// (github/codeql-action/upload-sarif): one run of the tool `Trivy`, one rule per finding ID, one
// result per finding on the Dockerfile line that introduced its layer (placeFinding), as the
// annotations place it. Levels and security severities follow Trivy's own SARIF writer
// (pkg/report/sarif.go: CRITICAL and HIGH are errors, MEDIUM a warning, LOW and UNKNOWN notes;
// 9.5, 8.0, 5.5, 2.0 and 0.0 where the report has no CVSS score), which code scanning reads as
// critical (over 9.0), high (7.0-8.9), medium (4.0-6.9), low (0.1-3.9) and none (0.0).
//
// Each result carries its own `partialFingerprints.primaryLocationLineHash`, the only fingerprint
// code scanning uses: a hash of what the finding is (rule, package, installed version, the file
// in the image, the Dockerfile), so an alert stays one alert when the Dockerfile is edited
// around it, and two packages with the same CVE on the same line stay two alerts.
// upload-sarif keeps a fingerprint it finds (and logs that it would have hashed the line).
//
// GitHub rejects a run of more than 25,000 results and keeps only the top 5,000, and takes at most
// 10 MB of gzipped SARIF; the log holds the worst SARIF_MAX_RESULTS findings at most, in at most
// SARIF_MAX_BYTES of compact JSON, and says in runs[0].properties what it left out.
/** The schema the log follows: SARIF 2.1.0 as OASIS published it (errata 01). */
const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** Results code scanning keeps of a run (it rejects a run of more than 25,000). */
const SARIF_MAX_RESULTS = 5000;
/** Bytes of compact JSON: under GitHub's 10 MB for the gzipped file, however the log is written. */
const SARIF_MAX_BYTES = 10_000_000;
/** Where relative URIs start: the workspace, as CodeQL names it. */
const SOURCE_ROOT = '%SRCROOT%';
const TRIVY_URI = 'https://github.com/aquasecurity/trivy';
/** GitHub's limits on a rule's name and descriptions. */
const NAME_LIMIT = 255;
const DESCRIPTION_LIMIT = 1024;
/** Room kept for the note of what was left out. */
const NOTE_RESERVE = 1024;
/** Code scanning's security severity for each of Trivy's severities (Trivy's severityToScore). */
const SECURITY_SEVERITY = {
    CRITICAL: '9.5',
    HIGH: '8.0',
    MEDIUM: '5.5',
    LOW: '2.0',
    UNKNOWN: '0.0'
};
/** The result level for each severity, as Trivy's toSarifErrorLevel has it. */
const SARIF_LEVEL = {
    CRITICAL: 'error',
    HIGH: 'error',
    MEDIUM: 'warning',
    LOW: 'note',
    UNKNOWN: 'note'
};
/**
 * The SARIF log of the findings. Pure: the same input gives the same log. Throws when the
 * Dockerfile is not a path inside the workspace, which code scanning could not show.
 */
function sarifLog(input) {
    const uri = artifactUri(input.dockerfile);
    const sorted = [...input.findings].sort(worstFirst);
    const rules = [];
    const ruleIndex = new Map();
    const results = [];
    const occurrences = new Map();
    const run = {
        tool: {
            driver: {
                name: 'Trivy',
                fullName: 'Trivy Vulnerability Scanner',
                ...(input.trivyVersion.trim() ? { version: input.trivyVersion.trim() } : {}),
                informationUri: TRIVY_URI,
                rules
            }
        },
        results,
        columnKind: 'utf16CodeUnits',
        properties: { imageName: input.image }
    };
    const log = { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
    let size = bytes(log) + NOTE_RESERVE;
    let cut;
    for (const finding of sorted) {
        if (results.length >= SARIF_MAX_RESULTS) {
            cut = 'results';
            break;
        }
        const known = ruleIndex.get(finding.id);
        const rule = known === undefined ? ruleFor(finding) : undefined;
        const identity = fingerprintOf(finding, uri);
        const occurrence = (occurrences.get(identity) ?? 0) + 1;
        const result = resultFor(finding, {
            ruleIndex: known ?? rules.length,
            uri,
            layers: input.layers,
            image: input.image,
            fingerprint: `${identity}:${occurrence}`
        });
        // Each array entry costs its JSON and a comma.
        const added = bytes(result) + 1 + (rule ? bytes(rule) + 1 : 0);
        if (size + added > SARIF_MAX_BYTES) {
            cut = 'bytes';
            break;
        }
        size += added;
        occurrences.set(identity, occurrence);
        if (rule) {
            ruleIndex.set(finding.id, rules.length);
            rules.push(rule);
        }
        results.push(result);
    }
    if (cut) {
        run.properties = {
            ...run.properties,
            truncated: true,
            note: truncationNote(cut, results.length, sorted.length)
        };
    }
    return log;
}
/**
 * The fingerprint of what a finding is, without its line: the rule, the kind, the package and
 * its installed version, the file in the image (for OS packages the target names the image,
 * whose tag changes from run to run, so it is left out) and the Dockerfile.
 */
function fingerprintOf(finding, uri) {
    const parts = [
        finding.id,
        finding.kind,
        finding.pkgName,
        finding.pkgVersion,
        finding.pkgPath,
        finding.resultClass === 'os-pkgs' ? '' : finding.target,
        uri
    ];
    return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}
function ruleFor(finding) {
    const label = KIND_LABEL[finding.kind];
    const title = clip(finding.title || `${label} ${finding.id}`, DESCRIPTION_LIMIT);
    const link = webUrl(finding.url);
    const help = [
        `${label} ${finding.id}`,
        `Severity: ${finding.severity}`,
        ...(finding.title ? [title] : []),
        ...(link ? [`Link: ${link}`] : [])
    ].join('\n');
    const markdown = [
        `**${markdownText(`${label} ${finding.id}`)}**`,
        '',
        '| Severity | Link |',
        '| --- | --- |',
        `| ${finding.severity} | ${link ? `[${markdownText(finding.id)}](${link})` : ''} |`,
        ...(finding.title ? ['', markdownText(title)] : [])
    ].join('\n');
    return {
        id: finding.id,
        name: clip(ruleName(finding), NAME_LIMIT),
        shortDescription: { text: title },
        fullDescription: { text: title },
        defaultConfiguration: { level: SARIF_LEVEL[finding.severity] },
        ...(link ? { helpUri: link } : {}),
        help: { text: help, markdown },
        properties: {
            precision: 'very-high',
            'security-severity': SECURITY_SEVERITY[finding.severity],
            tags: [finding.kind, 'security', finding.severity]
        }
    };
}
function resultFor(finding, where) {
    const placement = placeFinding(finding, where.layers);
    const origin = placement.unplaced
        ? `Placed on line 1: ${placement.unplaced}.`
        : `Introduced by ${placement.instruction ?? `line ${placement.line}`}`;
    return {
        ruleId: finding.id,
        ruleIndex: where.ruleIndex,
        level: SARIF_LEVEL[finding.severity],
        message: {
            text: [describeFinding(finding), finding.message, origin, `Image: ${where.image}`]
                .filter(Boolean)
                .join('\n')
        },
        locations: [
            {
                physicalLocation: {
                    artifactLocation: { uri: where.uri, uriBaseId: SOURCE_ROOT },
                    region: {
                        startLine: placement.line,
                        startColumn: 1,
                        endLine: placement.line,
                        endColumn: 1
                    }
                },
                ...(placement.instruction ? { message: { text: placement.instruction } } : {})
            }
        ],
        partialFingerprints: { primaryLocationLineHash: where.fingerprint }
    };
}
const KIND_LABEL = {
    vulnerability: 'Vulnerability',
    secret: 'Secret',
    misconfiguration: 'Misconfiguration',
    license: 'License'
};
/** The rule names of Trivy's SARIF, by the result's class; licenses have their own. */
function ruleName(finding) {
    switch (finding.kind) {
        case 'vulnerability':
            if (finding.resultClass === 'os-pkgs')
                return 'OsPackageVulnerability';
            if (finding.resultClass === 'lang-pkgs')
                return 'LanguageSpecificPackageVulnerability';
            return 'UnknownIssue';
        case 'secret':
            return 'Secret';
        case 'misconfiguration':
            return 'Misconfiguration';
        case 'license':
            return 'License';
    }
}
function truncationNote(cut, shown, total) {
    const why = cut === 'results'
        ? `GitHub code scanning keeps ${SARIF_MAX_RESULTS} results of a run`
        : `GitHub takes at most 10 MB of SARIF`;
    return `${shown} of ${total} findings are in this log, the worst first: ${why}. The step summary and the report file list them all.`;
}
/**
 * The Dockerfile as a URI relative to the workspace: forward slashes, each segment
 * percent-encoded (upload-sarif decodes it to find the file).
 */
function artifactUri(file) {
    const normal = path$1.posix.normalize(file.replace(/\\/g, '/'));
    if (normal === '.' ||
        normal.startsWith('/') ||
        /^[A-Za-z]:\//.test(normal) ||
        normal === '..' ||
        normal.startsWith('../')) {
        throw new Error(`The SARIF log needs the Dockerfile relative to the workspace, not "${file}"`);
    }
    return normal.split('/').map(encodeURIComponent).join('/');
}
/** An http(s) URL, or '' (helpUri must be a URI). */
function webUrl(url) {
    try {
        const parsed = new URL(url);
        return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : '';
    }
    catch {
        return '';
    }
}
/** Text shown as is in Markdown. */
function markdownText(text) {
    return text.replace(/[\\`*_{}[\]()<>#|!]/g, '\\$&').replace(/\r?\n/g, ' ');
}
function clip(text, limit) {
    return text.length > limit ? `${text.slice(0, limit - 3)}...` : text;
}
function bytes(value) {
    return Buffer.byteLength(JSON.stringify(value));
}

const TRIVY_ARCHIVE_SHA256 = {
    'trivy_0.74.0_Linux-64bit.tar.gz': '2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a',
    'trivy_0.74.0_Linux-ARM64.tar.gz': 'b94ce1976bbf3c15b514b605ee88be7c6d94a29be2302847ff01cb794d47aad5',
    'trivy_0.74.0_macOS-64bit.tar.gz': '472816f6888dda689d075c30254d4210b4d1035acf365aa72332f584c2f60485',
    'trivy_0.74.0_macOS-ARM64.tar.gz': '1caada5e0e2091909357c7525d3aa76f4b660b13821bc143b190c7483e31cc11'
};

// Getting Trivy: the `trivy` on PATH as it is; else the release from the tool cache; else the
// release archive, downloaded and checked before anything runs it: against the sha256 this action
// pins for it (pins.ts), or, for a version without a pin, against the release's checksums
// file, which shows only that the archive arrived whole. The scanner is part of the supply chain:
// aquasecurity/trivy-action had tags force-pushed to malicious commits (trivy-action #541), so an
// archive that does not match is refused, and never cached.
/** Trivy's release names for an OS and CPU: `trivy_0.74.0_Linux-64bit.tar.gz`. */
function releaseFiles(version, releases, platform = process.platform, arch = process.arch) {
    const os = { linux: 'Linux', darwin: 'macOS', freebsd: 'FreeBSD' }[platform];
    const cpu = { x64: '64bit', arm64: 'ARM64', arm: 'ARM', ppc64: 'PPC64LE', s390x: 's390x' }[arch];
    if (!os || !cpu)
        throw new Error(`Trivy publishes no release archive for ${platform}/${arch}: put trivy on PATH`);
    const base = `${releases.replace(/\/+$/, '')}/v${version}`;
    const archiveName = `trivy_${version}_${os}-${cpu}.tar.gz`;
    return {
        archiveUrl: `${base}/${archiveName}`,
        archiveName,
        checksumsUrl: `${base}/trivy_${version}_checksums.txt`
    };
}
/** `sha256sum` output: `<64 hex>  <file name>` per line. */
function parseChecksums(text) {
    const sums = new Map();
    for (const line of text.split(/\r?\n/)) {
        const match = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim());
        if (match)
            sums.set(match[2], match[1].toLowerCase());
    }
    return sums;
}
/** `pins` is for the tests, which cannot have a real archive that matches a real pin. */
async function findTrivy(version, releases, pins = TRIVY_ARCHIVE_SHA256) {
    const onPath = await which('trivy', false);
    if (onPath)
        return { path: onPath, source: 'PATH' };
    const cached = find('trivy', version);
    if (cached)
        return { path: path$1.join(cached, 'trivy'), source: 'tool cache' };
    return { path: path$1.join(await downloadTrivy(version, releases, pins), 'trivy'), source: 'download' };
}
/** Downloads, verifies, extracts and caches the release; returns the cached folder. */
async function downloadTrivy(version, releases, pins) {
    const archive = await downloadVerifiedArchive(version, releases, pins);
    let extracted;
    try {
        extracted = await extractTar(archive);
        return await cacheDir(extracted, 'trivy', version);
    }
    finally {
        // The tool cache holds its own copy: the download and the unpacked folder go.
        rmSync(archive, { force: true });
        if (extracted)
            rmSync(extracted, { recursive: true, force: true });
    }
}
/**
 * Downloads this platform's release archive and returns its path once its sha256 is the one
 * vouched for: the pin when there is one (the checksums file is then not even fetched, since it
 * could not overrule the pin), else the release's checksums file, with a warning. An archive
 * that does not match is removed.
 */
async function downloadVerifiedArchive(version, releases, pins) {
    const files = releaseFiles(version, releases);
    info(`Downloading Trivy ${version} from ${files.archiveUrl}`);
    const pinned = pins[files.archiveName];
    if (!pinned) {
        warning(`Trivy ${version} has no sha256 pinned in this action for ${files.archiveName}: it is checked only against the checksums file from the same place (${files.checksumsUrl}), which shows that it arrived whole, not that it is Trivy's. To run a Trivy you have verified, put trivy on PATH before this step, or use trivy-version ${DEFAULT_TRIVY_VERSION}, whose archives are pinned.`);
    }
    const expected = pinned ?? (await sha256FromChecksumsFile(files, version));
    const archive = await download(files.archiveUrl, version);
    try {
        const actual = await sha256OfFile(archive);
        if (actual !== expected) {
            const vouch = pinned ? 'the sha256 this action pins for it' : "the release's checksums file";
            throw new Error(`the Trivy ${version} archive ${files.archiveName} does not match ${vouch} (sha256 ${actual}, expected ${expected}): refusing to run it`);
        }
        return archive;
    }
    catch (error) {
        rmSync(archive, { force: true });
        throw error;
    }
}
/** The archive's line of the release's checksums file; refused when it has none. */
async function sha256FromChecksumsFile(files, version) {
    const checksumsFile = await download(files.checksumsUrl, version);
    let expected;
    try {
        expected = parseChecksums(readFileSync(checksumsFile, 'utf8')).get(files.archiveName);
    }
    finally {
        rmSync(checksumsFile, { force: true });
    }
    // Checked before the archive is fetched: an archive nothing vouches for is not even downloaded.
    if (!expected) {
        throw new Error(`the checksums file of Trivy ${version} (${files.checksumsUrl}) does not list ${files.archiveName}: refusing to run it`);
    }
    return expected;
}
/** tc.downloadTool, its error naming what was asked for (it says only the HTTP status). */
async function download(url, version) {
    try {
        return await downloadTool(url);
    }
    catch (error) {
        throw new Error(`could not download ${url} (Trivy ${version}): ${error.message}`);
    }
}

// The Trivy vulnerability DB kept between runs in the GitHub Actions cache, one entry a day: the
// DB is rebuilt upstream every few hours, so a day-old copy is as good as the scan needs, and
// every later run of the day skips the download (and its rate limits). Without today's entry the
// latest earlier one is restored, as the DB to fall back on when no DB repository answers
// (db-download.ts, up to db-max-age old). Where the cache service
// is not there (a runner without it, a local run) nothing is said and Trivy downloads as usual.
//
// What the cache is trusted with: a restored DB is used without an update, so a DB with entries
// taken out would let vulnerable packages through. The entry is the repository's own (GitHub
// scopes caches to the repository, and a pull request's run reads its base branch's entries but
// writes only its own ref's); its key names the Trivy version and the DB repositories, so a DB
// saved by another Trivy or from another mirror is never used; and a restored DB must say what it
// is (its metadata readable, schema 2) and be at most db-max-age old (two days by default), else
// it is removed and downloaded afresh. The db-cache input turns the cache off.
//
// @actions/cache (with the Azure storage SDK) is most of the bundle's size: it is imported only
// when the runner has a cache service, so every other run starts without loading it.
/** The DB schema Trivy v0.x reads (trivy-db's SchemaVersion). */
const TRIVY_DB_SCHEMA = 2;
/** How old a restored DB may be (its UpdatedAt) and still be used without an update. */
const MAX_RESTORED_DB_AGE_MS = 2 * 24 * 60 * 60 * 1000;
/** The runner names a cache service (v1 or v2 API), as @actions/cache's isFeatureAvailable checks. */
function hasCacheService(env = process.env) {
    return Boolean(env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL);
}
async function loadCache() {
    return import('./chunks/cache-Dtp5DTgJ.js');
}
/** Trivy's cache folder as Trivy finds it: TRIVY_CACHE_DIR, else ~/.cache/trivy. */
function trivyCacheDir(env = process.env) {
    return env.TRIVY_CACHE_DIR || path$1.join(env.XDG_CACHE_HOME || path$1.join(os$1.homedir(), '.cache'), 'trivy');
}
/**
 * `container-ship-trivy-db-v2-linux-trivy0.74.0-<12 hex of the repositories>-2026-11-25`: one
 * entry a day per runner OS, DB schema, Trivy version and DB repositories.
 */
function dbCacheKey(source, now, platform = process.platform) {
    return `${dbCacheKeyPrefix(source, platform)}${now.toISOString().slice(0, 10)}`;
}
/** The key without its day: what an entry of an earlier day is looked up by. */
function dbCacheKeyPrefix(source, platform = process.platform) {
    const repositories = source.dbRepositories.length > 0 ? source.dbRepositories.join(',') : 'default';
    const sourceId = createHash('sha256').update(repositories).digest('hex').slice(0, 12);
    return `container-ship-trivy-db-v${TRIVY_DB_SCHEMA}-${platform}-trivy${source.trivyVersion}-${sourceId}-`;
}
/**
 * Why a restored DB folder may not be used as it is, or undefined when it may: its metadata.json
 * must be readable, of schema 2, and updated at most `maxAgeMs` (MAX_RESTORED_DB_AGE_MS unless
 * the caller follows db-max-age) before `now`.
 */
function restoredDbProblem(dbDir, now, maxAgeMs = MAX_RESTORED_DB_AGE_MS) {
    let metadata;
    try {
        metadata = JSON.parse(readFileSync(path$1.join(dbDir, 'metadata.json'), 'utf8'));
    }
    catch (error) {
        return `its metadata.json cannot be read (${error.message})`;
    }
    if (metadata?.Version !== TRIVY_DB_SCHEMA)
        return `its schema is ${String(metadata?.Version)}, not ${TRIVY_DB_SCHEMA}`;
    const updated = typeof metadata.UpdatedAt === 'string' ? Date.parse(metadata.UpdatedAt) : NaN;
    if (Number.isNaN(updated))
        return 'its metadata.json has no UpdatedAt time';
    if (now.getTime() - updated > maxAgeMs) {
        const limit = maxAgeMs === MAX_RESTORED_DB_AGE_MS ? 'two days' : `${Math.round(maxAgeMs / 3_600_000)}h`;
        return `it was updated at ${metadata.UpdatedAt}, more than ${limit} ago`;
    }
    if (updated - now.getTime() > MAX_RESTORED_DB_AGE_MS) {
        return `it says it was updated at ${metadata.UpdatedAt}, in the future`;
    }
    return undefined;
}
/**
 * Restores today's DB when the cache service exists; undefined when it does not, or when
 * `sourceOf` (asked only then: it runs Trivy) cannot say what the DB depends on.
 */
async function restoreDb(sourceOf, env = process.env, now = new Date(), maxAgeMs = MAX_RESTORED_DB_AGE_MS) {
    if (!hasCacheService(env)) {
        debug('The Actions cache service is not available: the Trivy DB is not cached');
        return undefined;
    }
    const source = await sourceOf();
    if (!source)
        return undefined;
    const dbDir = path$1.join(trivyCacheDir(env), 'db');
    const key = dbCacheKey(source, now);
    try {
        const cache = await loadCache();
        if (!cache.isFeatureAvailable())
            return undefined;
        // Today's entry, else the latest of an earlier day: that one is only a DB to fall back on
        // when no db-repository source gives one (db-download.ts).
        const hit = await cache.restoreCache([dbDir], key, [dbCacheKeyPrefix(source)]);
        if (hit === undefined)
            return { dbDir, key, restored: false };
        const problem = restoredDbProblem(dbDir, now, maxAgeMs);
        if (problem) {
            // Whatever was restored goes: Trivy downloads a DB of its own into an empty folder.
            rmSync(dbDir, { recursive: true, force: true });
            if (hit === key)
                warning(`The Trivy DB restored from the Actions cache (${key}) is not used: ${problem}. Trivy downloads it afresh.`);
            else
                info(`The Trivy DB of an earlier day in the Actions cache (${hit}) is not kept: ${problem}`);
            return { dbDir, key, restored: false };
        }
        if (hit !== key) {
            info(`The Trivy DB of an earlier day came from the Actions cache (${hit}): it is updated as Trivy would, and used as it is only if no DB repository gives one`);
            return { dbDir, key, restored: false };
        }
        info(`The Trivy DB of today came from the Actions cache (${hit})`);
        return { dbDir, key, restored: true };
    }
    catch (error) {
        warning(`Could not restore the Trivy DB from the Actions cache: ${error.message}`);
        return { dbDir, key, restored: false };
    }
}
/** Saves the DB the scan downloaded, once a day; a cache that fails never fails the scan. */
async function saveDb(db) {
    if (!db || db.restored)
        return;
    try {
        const cache = await loadCache();
        await cache.saveCache([db.dbDir], db.key);
    }
    catch (error) {
        // Another job of the same day saved it first, or the service refused: the next run downloads.
        info(`The Trivy DB was not saved to the Actions cache: ${error.message}`);
    }
}

// The Trivy vulnerability DB fetched source by source. Trivy downloads it, one
// `trivy image --download-db-only --db-repository <source>` at a time, so its registry client,
// credentials and proxy settings are the ones the scan would use; the action adds the policy
// around it (db-retry.ts): a rate-limited or failing source is tried again after a wait, then the
// next one, and when none answers, the DB already in Trivy's cache folder (restored from the
// Actions cache, or kept by a self-hosted runner) is used if it is at most db-max-age old.
//
// Each download goes to a folder of its own and replaces the DB only once complete: Trivy may
// empty or overwrite its DB folder on the way, and the DB there is the one to fall back on.
/** Where Trivy v0.74.0 takes its DB from when --db-repository is not given, in its order. */
const TRIVY_DEFAULT_DB_REPOSITORIES = [
    'mirror.gcr.io/aquasec/trivy-db:2',
    'ghcr.io/aquasecurity/trivy-db:2'
];
/**
 * Whether Trivy would download its DB before a scan (pkg/db NeedsUpdate): unless the DB's
 * metadata is readable, of schema 2, and either not due (NextUpdate ahead) or downloaded within
 * the hour.
 */
function dbNeedsUpdate(dbDir, now) {
    let metadata;
    try {
        metadata = JSON.parse(readFileSync(path$1.join(dbDir, 'metadata.json'), 'utf8'));
    }
    catch {
        return true;
    }
    if (metadata?.Version !== 2)
        return true;
    const time = (value) => (typeof value === 'string' ? Date.parse(value) : NaN);
    const nextUpdate = time(metadata.NextUpdate);
    const downloadedAt = time(metadata.DownloadedAt);
    if (now.getTime() < nextUpdate)
        return false;
    return !(now.getTime() < downloadedAt + 3_600_000);
}
/** Trivy's arguments for downloading the DB of one source into `cacheDir`, reading no config of the workspace. */
function dbDownloadArgs(source, cacheDir, config) {
    return [
        'image',
        '--download-db-only',
        '--db-repository',
        source,
        '--cache-dir',
        cacheDir,
        '--config',
        config,
        '--skip-version-check',
        '--disable-telemetry',
        '--no-progress'
    ];
}
/** What to do when no source gives a DB and the cache has none recent enough. */
const DB_UNREACHABLE_FIX = 'Set db-repository to a mirror the runner can reach (several, comma separated, are tried in order; e.g. ghcr.io/aquasecurity/trivy-db:2,mirror.gcr.io/aquasec/trivy-db:2), keep db-cache: true so a DB within db-max-age can be used when none answers, or raise db-max-age.';
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * Downloads the DB from the first source that gives one, or falls back on the cache folder's;
 * throws naming each source and its answer when neither is possible.
 */
async function fetchDb(options) {
    const { sources, cacheDir, log } = options;
    const sleep = options.sleep ?? wait;
    const now = options.now ?? (() => new Date());
    const policy = options.policy ?? DEFAULT_BACKOFF;
    const dbDir = path$1.join(cacheDir, 'db');
    const failures = [];
    mkdirSync(cacheDir, { recursive: true });
    for (const source of sources) {
        for (let attempt = 1;; attempt++) {
            // Beside the DB folder, so that the finished download replaces it by a rename.
            const staging = mkdtempSync(path$1.join(cacheDir, '.container-ship-db-'));
            try {
                const result = await options.download(source, staging);
                if (result.exitCode === 0) {
                    const problem = restoredDbProblem(path$1.join(staging, 'db'), now(), Number.POSITIVE_INFINITY);
                    if (!problem) {
                        rmSync(dbDir, { recursive: true, force: true });
                        renameSync(path$1.join(staging, 'db'), dbDir);
                        log.info(`The Trivy DB was downloaded from ${source}`);
                        return { from: 'download', source, failures };
                    }
                    failures.push({ source, answer: `a DB that cannot be used: ${problem}`, tries: attempt });
                    break;
                }
                const verdict = result.timedOut
                    ? { then: 'next', answer: result.timedOut }
                    : classifyDbFailure(result.exitCode, result.output);
                if (verdict.then === 'next' || attempt >= policy.tries) {
                    failures.push({ source, answer: verdict.answer, tries: attempt });
                    break;
                }
                const delay = retryDelayMs(attempt + 1, verdict.retryAfterMs, policy);
                log.info(`${source} answered ${verdict.answer}: trying it again in ${Math.ceil(delay / 1000)} s (try ${attempt + 1} of ${policy.tries})`);
                await sleep(delay);
            }
            finally {
                rmSync(staging, { recursive: true, force: true });
            }
        }
        const last = failures[failures.length - 1];
        if (last && source !== sources[sources.length - 1])
            log.info(`${source}: ${last.answer}; trying the next DB repository`);
    }
    const failed = describeSourceFailures(failures);
    const problem = existsDb(dbDir) ? restoredDbProblem(dbDir, now(), options.maxAgeMs) : 'there is none';
    if (problem) {
        throw new Error(`${failed}\nNo DB to fall back on in Trivy's cache folder (${dbDir}): ${problem} (db-max-age: ${options.maxAgeText}). Nothing is scanned without a DB. ${DB_UNREACHABLE_FIX}`);
    }
    const updatedAt = updatedAtOf(dbDir);
    log.warning(`${failed}\nThe scan uses the DB in Trivy's cache folder instead, updated at ${updatedAt} (within db-max-age, ${options.maxAgeText}): advisories published since then are not known to it.`);
    return { from: 'cache', updatedAt, failures };
}
function existsDb(dbDir) {
    try {
        readFileSync(path$1.join(dbDir, 'metadata.json'));
        return true;
    }
    catch {
        return false;
    }
}
function updatedAtOf(dbDir) {
    const metadata = JSON.parse(readFileSync(path$1.join(dbDir, 'metadata.json'), 'utf8'));
    return metadata.UpdatedAt ?? 'an unknown time';
}
/**
 * Fetches the DB where Trivy would otherwise download it during the scan (dbNeedsUpdate); undefined
 * when the DB in the cache folder is current, and the scan runs as it always did.
 */
async function downloadDbIfDue(due, now = new Date()) {
    if (!dbNeedsUpdate(path$1.join(due.cacheDir, 'db'), now))
        return undefined;
    return fetchDb({
        sources: due.dbRepositories.length > 0 ? due.dbRepositories : TRIVY_DEFAULT_DB_REPOSITORIES,
        cacheDir: due.cacheDir,
        maxAgeMs: due.maxAge.ms,
        maxAgeText: due.maxAge.text,
        download: async (source, cacheDir) => {
            try {
                const result = await runProgram(due.trivy, dbDownloadArgs(source, cacheDir, due.config), {
                    env: due.env,
                    cwd: due.workDir,
                    allowFailure: true,
                    timeout: due.timeout
                });
                return { exitCode: result.exitCode, output: `${result.stderr}\n${result.stdout}` };
            }
            catch (error) {
                if (!(error instanceof ProgramTimeoutError))
                    throw error;
                return {
                    exitCode: null,
                    output: '',
                    timedOut: `no DB within ${due.timeout.input} (${due.timeout.ms / 1000} s)`
                };
            }
        },
        log: { info: (message) => info(message), warning: (message) => warning(message) }
    });
}

// Scan: Trivy once on the built image, then the gate, independent of what is reported. Every
// finding is placed on the Dockerfile line that introduced its layer, for the annotations and
// the summary. A failing gate stops the run before push and deploy; a scan that cannot run (no
// DB, Trivy failing, a report that does not parse) fails closed.
async function scan({ context: run, inputs }, built, deployed) {
    const trivy = await findTrivy(inputs.trivyVersion, inputs.trivyReleases);
    info(`Trivy: ${trivy.path} (${trivy.source})`);
    // Not removed by the post step: report-file and sarif-file are outputs that later steps read.
    const startedOn = new Date();
    const workDir = mkdtempSync(path$1.join(run.tempRoot, 'container-ship-scan-'));
    // Trivy runs in a folder of its own, away from the workspace's trivy.yaml and the like.
    const files = privateTrivyFiles(mkdtempSync(path$1.join(workDir, 'trivy-')));
    const { env, dropped } = trivyEnv(programEnv());
    if (dropped.length > 0) {
        notice(`Trivy does not get ${dropped.join(', ')} from the environment: the action's scan reads only its own settings (inputs), so nothing set for another step filters it.`);
    }
    const cacheDir = trivyCacheDir(env);
    const dbCache = await restoreTodaysDb(inputs, trivy.path, env);
    // Where Trivy would download the DB, the action does, source by source (trivy/db-download.ts).
    const fetched = inputs.skipDbUpdate || dbCache?.restored === true
        ? undefined
        : await downloadDbIfDue({
            trivy: trivy.path,
            env,
            cacheDir,
            workDir: files.workDir,
            config: files.config,
            dbRepositories: inputs.dbRepositories,
            maxAge: inputs.dbMaxAge,
            timeout: registryTimeout(run.inputs.publish.registryTimeout)
        });
    const targets = scanTargets(built, workDir);
    const dbSettled = inputs.skipDbUpdate || dbCache?.restored === true || fetched !== undefined;
    const scanOne = async (target, index) => {
        const reportFile = path$1.join(workDir, targets.length > 1 ? `trivy-${target.platform.replaceAll('/', '-')}.json` : 'trivy.json');
        // The DB the first run fetched serves the platforms after it.
        const args = trivyArgs(inputs, { image: target.image, reportFile, cacheDir, files }, { vulnerabilityDb: dbSettled || index > 0 });
        if (target.platform)
            info(`Scanning ${target.platform}`);
        // A failure to scan (no DB, a crash) throws with the end of what Trivy printed.
        await runProgram(trivy.path, args, { env, cwd: files.workDir });
        return { ...target, reportFile, report: readReport(reportFile) };
    };
    // Platforms side by side once the DB is in place (Trivy opens it read-only); the first alone
    // when it may still fetch the DB.
    const [first, ...rest] = targets;
    const scanned = dbSettled
        ? await mapLimit(targets, PARALLEL_SCANS, scanOne)
        : [
            await scanOne(first, 0),
            ...(await mapLimit(rest, PARALLEL_SCANS, (t, i) => scanOne(t, i + 1)))
        ];
    // A DB the scan fell back on is not today's: it is not saved under today's key.
    if (fetched?.from !== 'cache')
        await saveDb(dbCache);
    const image = built.layout
        ? `${run.inputs.image.name}@${built.layout.digest}`
        : (built.references[0] ?? built.imageId);
    const findings = mergePlatformFindings(scanned.map(({ platform, report, image: scannedImage }) => ({
        platform,
        findings: findingsOf(report).map((finding) => ({
            ...finding,
            target: targetOf(finding.target, scannedImage, image)
        }))
    })));
    const gateOptions = {
        severityThreshold: inputs.severityThreshold,
        maxFindings: inputs.maxFindings,
        ignoreUnfixed: inputs.ignoreUnfixed,
        ignoreRules: readIgnoreRules(inputs)
    };
    const now = new Date();
    const verdict = decideGate(findings, gateOptions, now);
    for (const expired of verdict.expiredIgnores)
        warning(expired.message);
    const production = await compareWithProduction(inputs, verdict.remaining, (found) => decideGate(found, gateOptions, now).remaining, () => ({
        trivy: trivy.path,
        env,
        dockerConfig: run.docker.configDir,
        cacheDir,
        files,
        workDir,
        inputs,
        trivyVersion: scanned[0].report.TrivyVersion ?? '',
        registries: run.registries,
        cacheRoot: productionCacheRoot(process.env, run.tempRoot),
        actionsCache: inputs.dbCache && hasCacheService(env)
    }), deployed);
    if (production)
        info(`Compared with production ${production.reference}: ${production.headline}`);
    const scope = resolveGateScope(inputs.gateOn, production !== undefined);
    if (scope.warning)
        warning(scope.warning);
    // gate-on: new judges, by the same rules, only what production does not already have.
    const gate = scope.scope === 'new' && production ? decideGate(production.comparison.added, gateOptions, now) : verdict;
    const reported = reportedFindings(verdict.remaining, inputs.severities);
    const layers = mergeLayerMaps(scanned.map(({ platform, report }) => ({ platform, map: layerMap(built, report) })));
    if (!layers.reliable)
        warning(`Findings cannot be placed on Dockerfile lines: ${layers.reason}.`);
    if (inputs.annotations)
        annotate(inputs, built, reported, layers);
    const report = scanned[0].report;
    const reportFile = scanned[0].reportFile;
    const sarifFile = inputs.sarifFile
        ? writeSarif(inputs, built, { report, findings: reported, layers, image })
        : '';
    const result = {
        result: gate.passed ? 'passed' : 'failed',
        findings: verdict.counts,
        reportFile,
        reportFiles: Object.fromEntries(scanned.map(({ platform, reportFile: file }) => [platform, file])),
        platforms: scanned.map(({ platform }) => platform).filter(Boolean),
        sarifFile,
        reasons: gate.failures.map((failure) => gate === verdict ? failure.message : `${failure.message}, new since production (gate-on: new)`),
        rows: rowsOf(reported, layers),
        ignored: verdict.ignored.length,
        dockerfile: built.dockerfile || 'Dockerfile',
        trivyVersion: report.TrivyVersion ?? '',
        severityThreshold: inputs.severityThreshold,
        startedOn,
        finishedOn: new Date(),
        ...(production
            ? {
                comparison: {
                    reference: production.reference,
                    headline: production.headline,
                    counts: production.counts,
                    gateOn: scope.scope,
                    added: rowsOf(reportedFindings(production.comparison.added, inputs.severities), layers)
                }
            }
            : {})
    };
    info(verdictLine(verdict, gate.passed));
    const commented = await comment(run, inputs, result);
    if (commented)
        result.pullRequestComment = commented;
    if (!gate.passed) {
        throw new StepError(gateFailedMessage(result.reasons), result);
    }
    return result;
}
/** The first deploy host, when the deploy step reached it for this run (compare-to: deployed). */
function deployedService(inputs, fleet) {
    const first = fleet?.targets[0];
    if (!first)
        return undefined;
    return {
        docker: first.docker,
        url: first.host.url,
        project: first.plan.project,
        service: first.plan.service,
        orchestrator: inputs.deployOrchestrator
    };
}
/** Trivy runs at once at most, one per platform: each holds its image's analysis in memory. */
const PARALLEL_SCANS = Math.max(1, Math.min(availableParallelism(), 4));
/**
 * What Trivy scans: the image in the engine, or each platform's image of the layout, each in a
 * layout of its own (Trivy reads the first image of a layout's index, whatever --platform says).
 */
function scanTargets(built, workDir) {
    if (!built.layout)
        return [{ platform: '', image: { engine: built.references[0] ?? built.imageId } }];
    const images = platformImages(built.layout.dir);
    if (images.length === 0)
        throw new Error(`the build's OCI layout ${built.layout.dir} holds no platform image`);
    return images.map(({ platform, descriptor }) => {
        const dir = path$1.join(workDir, `layout-${platform.replaceAll('/', '-')}`);
        singlePlatformLayout(built.layout?.dir ?? '', descriptor, dir);
        return { platform, image: { layout: dir } };
    });
}
/** A result's Target names what Trivy read (a layout folder's path): the image's name instead. */
function targetOf(target, scanned, image) {
    if ('layout' in scanned && target.startsWith(scanned.layout))
        return image + target.slice(scanned.layout.length);
    return target;
}
/** Today's DB from the Actions cache, where the run may use one (see trivy/db-cache.ts). */
async function restoreTodaysDb(inputs, trivy, env) {
    if (inputs.skipDbUpdate || !inputs.dbCache)
        return undefined;
    return restoreDb(async () => {
        // The entry is only for the Trivy that reads it: its key names the version.
        const said = await runProgram(trivy, ['--version'], { env, quiet: true, allowFailure: true });
        const trivyVersion = parseTrivyVersion$1(said.stdout);
        if (!trivyVersion) {
            warning(`The Trivy DB is not cached: ${trivy} --version did not say which version it is`);
            return undefined;
        }
        return { trivyVersion, dbRepositories: inputs.dbRepositories };
    }, env, new Date(), inputs.dbMaxAge.ms);
}
/**
 * The sticky pull request comment of this image, on pull request runs; never fails the scan. The
 * GitHub client is loaded only then (it is a chunk of its own, which other runs never load).
 */
async function comment(run, inputs, result) {
    const { github } = run;
    if (github.pullRequestNumber === undefined || !inputs.prComment)
        return undefined;
    const { describeOutcome, upsertComment } = await import('./chunks/upsert-DXDnatBe.js');
    const written = {
        image: run.inputs.image.name,
        passed: result.result === 'passed',
        reasons: result.reasons,
        counts: result.findings,
        rows: result.rows,
        ignored: result.ignored,
        dockerfile: result.dockerfile,
        runUrl: runUrlFrom(),
        ...(result.comparison ? { comparison: comparisonLead(result.comparison) } : {})
    };
    const outcome = await upsertComment({
        enabled: inputs.prComment,
        token: inputs.githubToken,
        context: github,
        comment: written
    });
    const { warning: warning$1, message } = describeOutcome(run.inputs.image.name, outcome);
    if (warning$1)
        warning(message);
    else
        info(message);
    return outcome.status === 'created' || outcome.status === 'updated' ? written : undefined;
}
/** The report Trivy wrote; one that is missing or does not parse fails the scan. */
function readReport(file) {
    if (!existsSync(file))
        throw new Error(`Trivy exited without writing its report to ${file}`);
    try {
        return parseTrivyReport(readFileSync(file, 'utf8'));
    }
    catch (error) {
        throw new Error(`The scan cannot be judged: ${error.message} (${file})`);
    }
}
/** The ignore file's rules; getInputs refused a named file that is missing, the default may be. */
function readIgnoreRules(inputs) {
    const file = path$1.resolve(inputs.ignoreFile);
    if (!existsSync(file))
        return [];
    return parseIgnoreFile(inputs.ignoreFile, readFileSync(file, 'utf8'));
}
/** The image's layers on the Dockerfile's lines; not reliable without a local Dockerfile. */
function layerMap(built, report) {
    const file = built.dockerfile;
    if (!file || !existsSync(file)) {
        return { reliable: false, reason: 'the Dockerfile is not on this machine', byDiffId: new Map() };
    }
    return mapLayers(parseDockerfile(readFileSync(file, 'utf8')), imageLayersOf(report), built.target || undefined);
}
function annotate(inputs, built, findings, layers) {
    const file = built.dockerfile || 'Dockerfile';
    for (const annotation of annotationsFor({
        findings,
        layers,
        file,
        threshold: inputs.severityThreshold
    })) {
        const properties = { file: annotation.file, startLine: annotation.line, title: annotation.title };
        if (annotation.level === 'error')
            error(annotation.message, properties);
        else
            warning(annotation.message, properties);
    }
}
/**
 * The reported findings as SARIF, where the workflow asked (for github/codeql-action/upload-sarif),
 * on the Dockerfile lines. Returns the path written.
 */
function writeSarif(inputs, built, { report, findings, layers, image }) {
    const file = path$1.resolve(inputs.sarifFile);
    // Code scanning places results on paths relative to the checkout (the workspace).
    const dockerfile = path$1
        .relative(process.cwd(), path$1.resolve(built.dockerfile || 'Dockerfile'))
        .split(path$1.sep)
        .join('/');
    let log;
    try {
        log = sarifLog({ findings, layers, dockerfile, trivyVersion: report.TrivyVersion ?? '', image });
    }
    catch (error) {
        warning(`No SARIF was written: ${error.message}`);
        return '';
    }
    // getInputs checked the path; a link made since (by the build, say) is refused here.
    try {
        writeFileNoFollow(file, JSON.stringify(log), writeRoots());
    }
    catch (error) {
        throw new Error(`sarif-file: ${inputs.sarifFile} was not written: ${error.message}`);
    }
    info(`SARIF written to ${inputs.sarifFile}`);
    return file;
}
function rowsOf(findings, layers) {
    return [...findings]
        .sort(worstFirst)
        .map((finding) => ({ finding, line: placeFinding(finding, layers).line }));
}
function verdictLine(verdict, passed) {
    const counted = verdict.remaining.length > 0 ? countText(verdict.remaining) : 'no findings';
    const ignored = verdict.ignored.length > 0 ? `, ${verdict.ignored.length} ignored` : '';
    return `Scan ${passed ? 'passed' : 'failed'}: ${counted}${ignored}`;
}
const scanStep = {
    name: 'scan',
    title: 'Scan',
    requires: [{ step: 'build', because: 'works on the image the build step makes' }],
    secretInputs: SCAN_SECRET_INPUTS,
    readInputs: readScanInputs,
    run: async (call) => {
        if (!call.earlier.build)
            throw new Error('scan needs the image the build step makes');
        return scan(call, call.earlier.build, deployedService(call.inputs, call.preparedBy?.('deploy')));
    },
    report: (result) => ({
        outputs: {
            'scan-result': result?.result ?? 'skipped',
            findings: JSON.stringify(result?.findings ?? {}),
            'report-file': result?.reportFile ?? '',
            'report-files': result && result.platforms.length > 0 ? JSON.stringify(result.reportFiles) : '',
            'sarif-file': result?.sarifFile ?? '',
            'new-findings': result?.comparison ? JSON.stringify(result.comparison.counts.added) : '',
            'fixed-findings': result?.comparison ? JSON.stringify(result.comparison.counts.fixed) : ''
        },
        rows: result
            ? [
                // The difference leads: what this release adds and removes, before the totals.
                ...(result.comparison ? [comparisonRow(result.comparison)] : []),
                ['Scan', result.reasons.length > 0 ? `failed: ${result.reasons.join('; ')}` : 'passed'],
                [
                    'Findings',
                    `${countsText(result.findings) || 'none'}${result.ignored > 0 ? ` (${result.ignored} ignored)` : ''}`
                ],
                ...(result.platforms.length > 0
                    ? [['Platforms scanned', result.platforms.join(', ')]]
                    : []),
                ['Report', code(result.reportFile)]
            ]
            : [['Scan', 'not run']],
        sections: result
            ? [
                ...(result.comparison ? [comparisonSection(result.comparison, result.dockerfile)] : []),
                scanSection(result.rows, result.dockerfile)
            ]
            : []
    })
};

// The action's steps, in the order they run: the one list that makes them a pipeline.
const STEPS = [buildStep, scanStep, pushStep, deployStep];
STEPS.map((step) => step.name);

// Docker config folders: the user's (read, never written) and the action's private one, and the
// registry credentials in them, looked up the way the docker CLI looks them up: a `credHelpers`
// entry for the registry, else the `credsStore`, else `auths` in config.json.
/** The user's own Docker config folder, as the docker CLI finds it. */
function userDockerConfigDir(env = process.env) {
    return env.DOCKER_CONFIG || path$1.join(os$1.homedir(), '.docker');
}
function readDockerConfig(dir) {
    const file = path$1.join(dir, 'config.json');
    if (!existsSync(file))
        return {};
    try {
        const parsed = JSON.parse(readFileSync(file, 'utf8'));
        return parsed && typeof parsed === 'object' ? parsed : {};
    }
    catch {
        return {};
    }
}
/** The address the CLI stores a registry's credentials under (Docker Hub's is a legacy URL). */
function credentialKey(registry) {
    return normalizeRegistry(registry) === DOCKER_HUB$1 ? DOCKER_HUB_AUTH_KEY : registry;
}
/** As the CLI's ConvertToHostname: `https://host/v1/` -> `host`, then normalised. */
function keyRegistry(key) {
    return normalizeRegistry(key.replace(/^https?:\/\//, '').split('/')[0] ?? '');
}
/** The entry of a map keyed by registry address whose key names this registry. */
function entryFor(map, registry) {
    if (!map)
        return undefined;
    const exact = map[credentialKey(registry)];
    if (exact !== undefined)
        return exact;
    const wanted = normalizeRegistry(registry);
    const key = Object.keys(map).find((candidate) => keyRegistry(candidate) === wanted);
    return key === undefined ? undefined : map[key];
}
/**
 * A private DOCKER_CONFIG that sees everything the user set up earlier in the job: their logins
 * (`auths` copied; `credsStore` and `credHelpers` kept, so every login that worked before still
 * resolves), their CLI plugins and their buildx builders and contexts (linked). The registries
 * the action logs in to get an empty `credHelpers` entry, which makes the CLI keep those
 * credentials in this folder's config.json instead of the user's credential store: removing
 * the folder is the logout, and no credential the user stored elsewhere is ever touched.
 */
function createPrivateDockerConfig(tempRoot, loginRegistries, userDir = userDockerConfigDir()) {
    const dir = mkdtempSync(path$1.join(tempRoot, 'container-ship-docker-'));
    const config = readDockerConfig(userDir);
    const pluginDirs = [path$1.join(userDir, 'cli-plugins'), ...(config.cliPluginsExtraDirs ?? [])];
    config.cliPluginsExtraDirs = [...new Set(pluginDirs)];
    if (loginRegistries.length > 0) {
        const helpers = { ...(config.credHelpers ?? {}) };
        for (const registry of loginRegistries) {
            for (const key of Object.keys(helpers))
                if (keyRegistry(key) === normalizeRegistry(registry))
                    delete helpers[key];
            helpers[credentialKey(registry)] = '';
        }
        config.credHelpers = helpers;
    }
    writeFileSync(path$1.join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
    for (const shared of ['buildx', 'contexts']) {
        const target = path$1.join(userDir, shared);
        if (existsSync(target))
            symlinkSync(target, path$1.join(dir, shared));
    }
    return dir;
}
/**
 * Stores a login in the private config's `auths`, as `docker login` does with no credential
 * store, written whole and renamed into place so a concurrent reader never sees half a file.
 */
function storeLogin(configDir, registry, username, password) {
    const config = readDockerConfig(configDir);
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    config.auths = { ...(config.auths ?? {}), [credentialKey(registry)]: { auth } };
    const file = path$1.join(configDir, 'config.json');
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(config, null, 2), { mode: 0o600 });
    renameSync(partial, file);
}
/** Removes the private config; the links to the user's folders are removed, not followed. */
function removePrivateDockerConfig(dir) {
    rmSync(dir, { recursive: true, force: true });
}
/**
 * The credentials the docker CLI would use for `registry` with this config folder, or undefined
 * when it has none. Credential helpers are run with `get` and the address on standard input.
 */
async function lookUpCredentials(configDir, registry, env) {
    const config = readDockerConfig(configDir);
    const helper = entryFor(config.credHelpers, registry) ?? config.credsStore;
    if (helper)
        return askCredentialHelper(helper, credentialKey(registry), env);
    const entry = entryFor(config.auths, registry);
    return entry ? credentialsOfEntry(entry) : undefined;
}
function credentialsOfEntry(entry) {
    if (entry.identitytoken)
        return { identityToken: entry.identitytoken };
    if (entry.username && entry.password)
        return { username: entry.username, password: entry.password };
    if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0)
            return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    return undefined;
}
/** The docker-credential-* protocol: `get`, the server address on stdin, JSON on stdout. */
async function askCredentialHelper(helper, serverAddress, env) {
    if (!/^[\w.-]+$/.test(helper))
        return undefined;
    const result = await runProgram(`docker-credential-${helper}`, ['get'], {
        input: serverAddress,
        env,
        quiet: true,
        allowFailure: true
    }).catch(() => undefined);
    // Not found, or the helper is not installed: the CLI would have no credentials either.
    if (!result || result.exitCode !== 0)
        return undefined;
    try {
        const answer = JSON.parse(result.stdout);
        if (!answer.Secret)
            return undefined;
        // A helper returns an identity token as the user "<token>", as the CLI reads it.
        if (answer.Username === '<token>')
            return { identityToken: answer.Secret };
        return answer.Username ? { username: answer.Username, password: answer.Secret } : undefined;
    }
    catch {
        return undefined;
    }
}

const TRIVY = 'aquasecurity/trivy-action';
const BUILD_PUSH = 'docker/build-push-action';
const METADATA = 'docker/metadata-action';
const LOGIN = 'docker/login-action';
const NO_FLAG = 'not supported here';
const FOREIGN_INPUTS = {
    'exit-code': {
        from: TRIVY,
        instead: 'the gate is severity-threshold (default HIGH) and max-findings; for a report without a gate, severity-threshold: none'
    },
    severity: {
        from: TRIVY,
        instead: 'severities chooses what is reported, severity-threshold what fails the run'
    },
    format: {
        from: TRIVY,
        instead: 'the JSON report is always written (report-file output); sarif-file for SARIF'
    },
    output: { from: TRIVY, instead: 'the report-file output is the JSON report; sarif-file writes SARIF' },
    'image-ref': { from: TRIVY, instead: 'the image this action builds is the one scanned' },
    'scan-type': { from: TRIVY, instead: 'only the image built is scanned' },
    'scan-ref': { from: TRIVY, instead: 'only the image built is scanned' },
    trivyignores: { from: TRIVY, instead: 'ignore-file' },
    cache: { from: TRIVY, instead: 'db-cache' },
    'vuln-type': { from: TRIVY, instead: `${NO_FLAG}: Trivy runs with --pkg-types os,library` },
    'skip-dirs': { from: TRIVY, instead: 'an ignore-file (YAML) entry with paths' },
    'skip-files': { from: TRIVY, instead: 'an ignore-file (YAML) entry with paths' },
    'trivy-config': { from: TRIVY, instead: `${NO_FLAG}: a trivy.yaml is never read` },
    'limit-severities-for-sarif': { from: TRIVY, instead: 'the SARIF file holds only the severities input' },
    'list-all-pkgs': { from: TRIVY, instead: 'sbom: true (sbom-files output)' },
    'github-pat': { from: TRIVY, instead: `${NO_FLAG}: no upload to the dependency graph` },
    'hide-progress': { from: TRIVY, instead: 'not needed: Trivy runs quietly' },
    images: { from: METADATA, instead: 'image (one repository, no tag)' },
    flavor: { from: METADATA, instead: 'tag-latest; prefixes and suffixes as full references in tags' },
    load: { from: BUILD_PUSH, instead: 'not needed: the builder decides (the docker driver loads the image)' },
    outputs: { from: BUILD_PUSH, instead: `${NO_FLAG}: the builder decides where the image goes` },
    'secret-envs': { from: BUILD_PUSH, instead: 'secrets, as ID=VALUE lines' },
    'secret-files': { from: BUILD_PUSH, instead: "secrets, with the file's content as the value" },
    logout: {
        from: LOGIN,
        instead: 'not needed: the login lives in a private Docker config removed at the end'
    }
};
/**
 * A warning for each input of another action given to this one, from the runner's INPUT_
 * variables. (No name in the table is one this action declares: a unit test holds it to action.yml.)
 */
function foreignInputWarnings(env) {
    const given = new Set(Object.keys(env)
        .filter((key) => key.startsWith('INPUT_') && env[key] !== undefined)
        .map((key) => key.slice('INPUT_'.length).toLowerCase()));
    return Object.entries(FOREIGN_INPUTS)
        .filter(([name]) => given.has(name))
        .map(([name, { from, instead }]) => `${name} is an input of ${from}, not of this action, and is not read: ${instead} (docs/migration.md)`);
}

// Masking the inputs that hold secrets, before anything can print them. Each step declares its
// own (Step.secretInputs); the run masks them all before it reads any input.
/**
 * Shorter values are not masked: the runner would hide every occurrence of those characters
 * (a build secret DEBUG=1 would turn every `1` in the log into ***).
 */
const MIN_MASKED_LENGTH = 4;
function planMasks(read, secrets) {
    const masked = [];
    const warnings = [];
    for (const name of secrets.whole) {
        const value = read(name);
        if (!value)
            continue;
        masked.push(value);
        // The runner masks the log line by line: a key printed whole would match no mask of it all.
        for (const line of value.split(/\r?\n/).map((text) => text.trim())) {
            if (line !== value && line.length >= MIN_MASKED_LENGTH && !masked.includes(line))
                masked.push(line);
        }
    }
    for (const name of secrets.values) {
        for (const { pair, lineNumber } of keyValueLines(read(name))) {
            if (!pair?.value)
                continue;
            if (pair.value.length >= MIN_MASKED_LENGTH)
                masked.push(pair.value);
            else
                warnings.push(`${name}: the value of ${keyName(pair.key, lineNumber)} is shorter than ${MIN_MASKED_LENGTH} characters, too short to mask in the log without hiding every occurrence of those characters; it is not masked, so do not use it for anything secret`);
        }
    }
    return { masked, warnings };
}
function maskSecretInputs(secrets, read = (name) => getInput(name)) {
    const plan = planMasks(read, secrets);
    for (const value of plan.masked)
        setSecret(value);
    for (const warning$1 of plan.warnings)
        warning(warning$1);
}
function keyName(key, lineNumber) {
    return /^[\w.-]+$/.test(key) ? key : `line ${lineNumber}`;
}
/** The secret inputs of several declarations, together. */
function allSecretInputs(declared) {
    return {
        whole: declared.flatMap((secrets) => secrets?.whole ?? []),
        values: declared.flatMap((secrets) => secrets?.values ?? [])
    };
}

function scopeText(scope) {
    return `repository:${scope.repository}:${scope.access}`;
}
/** Parses `Bearer realm="https://x/token",service="x",scope="repository:a:pull"`. */
function parseAuthChallenge(header) {
    const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
    if (!match)
        return undefined;
    const params = {};
    for (const param of match[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
        params[param[1].toLowerCase()] = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1');
    }
    return { scheme: match[1].toLowerCase(), params };
}
/**
 * Whether credentials may go to this URL: over HTTPS, or plain HTTP to a loopback address (the
 * engine talks plain HTTP only to loopback registries by default too).
 */
function mayCarryCredentials(url) {
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
function basicHeader(credentials) {
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
/** One registry's credentials, and what answering its challenges has taught. */
class RegistryAuth {
    registry;
    credentials;
    fetchImpl;
    /** Set once the registry asked for Basic credentials: they are good for every repository. */
    basic;
    constructor(registry, credentials, fetchImpl) {
        this.registry = registry;
        this.credentials = credentials;
        this.fetchImpl = fetchImpl;
    }
    /**
     * The Authorization for a request the registry answered with this challenge: a token covering
     * every scope given (one `scope` parameter each, as the engine asks; space-separated in the
     * OAuth2 form, as the engine sends it there).
     */
    async authorize(challenge, scopes) {
        const credentials = this.credentials;
        if (challenge?.scheme === 'basic') {
            if (!credentials || !('password' in credentials))
                throw new RegistryError(`${this.registry} asks for credentials: set username and password`, 401);
            this.basic = basicHeader(credentials);
            return { header: this.basic, tokenForCredentials: false };
        }
        const realm = this.realmOf(challenge);
        const scope = scopes.map(scopeText);
        const response = credentials && 'identityToken' in credentials
            ? await this.fetchImpl(realm, {
                // An identity token is an OAuth2 refresh token: exchanged by POST, as the engine does.
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: new URLSearchParams({
                    grant_type: 'refresh_token',
                    refresh_token: credentials.identityToken,
                    service: challenge?.params.service ?? '',
                    scope: scope.join(' '),
                    client_id: 'container-ship'
                }).toString()
            })
            : await this.fetchImpl(withQuery(realm, { service: challenge?.params.service, scope }), {
                headers: credentials ? { authorization: basicHeader(credentials) } : {}
            });
        if (response.status === 401 || response.status === 403) {
            await response.body?.cancel();
            throw new RegistryError(`${this.registry} refused the credentials (${response.status}) when asked for a token`, response.status);
        }
        await expectOk(response, this.registry, 'get a registry token');
        const body = (await response.json());
        const token = body.token ?? body.access_token;
        if (!token)
            throw new RegistryError(`${this.registry}'s token service answered without a token`);
        return { header: `Bearer ${token}`, tokenForCredentials: credentials !== undefined };
    }
    /**
     * Checks a username and password as `docker login` does, against the challenge of the API
     * root: Basic on the root itself, Bearer at the realm with the account and no scope. Throws a
     * RegistryError with status 401 or 403 when they are refused.
     */
    async check(root, challenge) {
        const credentials = this.credentials;
        if (!credentials || !('password' in credentials))
            throw new RegistryError('no username and password to check');
        let answer;
        if (challenge?.scheme === 'basic') {
            this.basic = basicHeader(credentials);
            answer = await this.fetchImpl(root, {
                headers: { authorization: this.basic }
            });
        }
        else {
            const realm = withQuery(this.realmOf(challenge), {
                service: challenge?.params.service,
                account: credentials.username
            });
            answer = await this.fetchImpl(realm, {
                headers: { authorization: basicHeader(credentials) }
            });
        }
        await answer.body?.cancel();
        if (answer.status === 401 || answer.status === 403) {
            throw new RegistryError(`${this.registry} refused the credentials of ${credentials.username} (${answer.status} unauthorized)`, answer.status);
        }
        await expectOk(answer, this.registry, 'check the credentials');
    }
    /** The token realm of a Bearer challenge, refused when credentials may not go there. */
    realmOf(challenge) {
        if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
            throw new RegistryError(`${this.registry} answered 401 without an auth challenge the action understands`, 401);
        }
        let realm;
        try {
            realm = new URL(challenge.params.realm);
        }
        catch {
            throw new RegistryError(`${this.registry} named a token realm that is not a URL`, 401);
        }
        if (this.credentials && !mayCarryCredentials(realm)) {
            throw new RegistryError(`${this.registry} named the token realm ${realm.origin}, which is neither HTTPS nor loopback: the credentials were not sent`, 401);
        }
        return realm;
    }
}
function withQuery(realm, params) {
    const url = new URL(realm);
    for (const [name, value] of Object.entries(params)) {
        for (const one of [value ?? []].flat())
            if (one)
                url.searchParams.append(name, one);
    }
    return url;
}

// A fetch for request bodies that are streams, over node:http(s). Node's fetch (undici) keeps
// every byte of a streamed request body in memory until the request ends (nodejs/undici#4058,
// open; measured here on Node 24: a 256 MiB upload held 254 MiB of buffers, node:http piping
// the same file 8 MiB), and layers can be hundreds of MB. Only what the registry client sends
// is supported: a method, headers, a Buffer or Readable body, an abort signal.
/** Statuses whose Response must have no body. */
const NO_BODY = [101, 204, 205, 304];
const streamingFetch = (input, init = {}) => new Promise((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const signal = init.signal ?? undefined;
    if (signal?.aborted)
        return reject(signal.reason);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const send = url.protocol === 'https:' ? https.request : http.request;
    const request = send(url, { method: init.method ?? 'GET', headers }, (answer) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
            for (const one of [value ?? []].flat())
                responseHeaders.append(name, one);
        }
        const status = answer.statusCode ?? 502;
        const empty = NO_BODY.includes(status) || init.method === 'HEAD';
        if (empty)
            answer.resume();
        resolve(new Response(empty ? null : Readable.toWeb(answer), {
            status,
            statusText: answer.statusMessage ?? '',
            headers: responseHeaders
        }));
    });
    // The signal's reason (a TimeoutError from AbortSignal.timeout) is what the caller reads.
    const abort = () => {
        request.destroy(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    request.on('close', () => signal?.removeEventListener('abort', abort));
    request.on('error', (error) => reject(signal?.aborted ? signal.reason : error));
    const body = init.body;
    if (body === undefined || body === null)
        request.end();
    else if (Buffer.isBuffer(body) || typeof body === 'string')
        request.end(body);
    else if (body instanceof Readable)
        // Backpressure as node:http gives it: the file is read as fast as the socket drains.
        pipeline(body, request).catch((error) => {
            request.destroy(error);
            reject(signal?.aborted ? signal.reason : error);
        });
    else
        reject(new TypeError('streamingFetch sends a Buffer, a string or a Readable only'));
});

// A small client of the Distribution (Registry) HTTP API v2: the tags a repository holds,
// manifests read and written by tag or digest (how one pushed image gets its other tags without
// another `docker push`), and blobs checked, mounted from another repository or uploaded in one
// PUT (how an OCI layout is pushed byte for byte). Authentication is auth.ts's.
/** Media types a manifest request accepts, so the registry answers with the manifest it stores. */
const MANIFEST_MEDIA_TYPES = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json'
];
const PAGE_SIZE = 1000;
/** Past this many pages the list is not read whole, and a partial list is never taken as whole. */
const MAX_TAG_PAGES = 100;
/** The `next` target of a `Link: <url>; rel="next"` header, resolved against the request URL. */
function nextPageUrl(link, current) {
    if (!link)
        return undefined;
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
    return match ? new URL(match[1], current).toString() : undefined;
}
const DIGEST = /^sha256:[0-9a-f]{64}$/;
function manifestDigestOf(body) {
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
class RegistryClient {
    registry;
    requestTimeoutMs;
    streamFetch;
    base;
    auth;
    fetchImpl;
    /** Without the time limit: an upload's limit grows with its size (uploadTimeoutMs). */
    untimedFetch;
    get hasCredentials() {
        return this.auth.credentials !== undefined;
    }
    /** Authorization header value per `repository:access`, once earned. */
    authorization = new Map();
    constructor(registry, credentials, fetchImpl = fetch, 
    /** The limit on each request: REQUEST_TIMEOUT_MS, or less (the registry-timeout input). */
    requestTimeoutMs = REQUEST_TIMEOUT_MS, 
    /** Sends stream bodies (blob uploads): fetch would hold them in memory (stream-fetch.ts). */
    streamFetch = streamingFetch) {
        this.registry = registry;
        this.requestTimeoutMs = requestTimeoutMs;
        this.streamFetch = streamFetch;
        this.base = new URL(registryApiBase(registry));
        this.untimedFetch = fetchImpl;
        this.fetchImpl = fetchWithTimeout(fetchImpl, requestTimeoutMs);
        this.auth = new RegistryAuth(registry, credentials, this.fetchImpl);
    }
    /**
     * Every tag of the repository; an empty list when the repository does not exist yet. Throws
     * when the list cannot be read whole (more than MAX_TAG_PAGES pages).
     */
    async listTags(repository) {
        const tags = [];
        let url = `${this.base.origin}/v2/${repository}/tags/list?n=${PAGE_SIZE}`;
        for (let page = 0; url; page++) {
            if (page === MAX_TAG_PAGES) {
                throw new RegistryError(`the tag list of ${repository} on ${this.registry} is longer than ${MAX_TAG_PAGES} pages: it was not read whole`);
            }
            const { response, tokenForCredentials } = await this.request(url, [{ repository, access: 'pull' }], 'GET');
            if (response.status === 404)
                return [];
            // Docker Hub answers 401, not 404, for a repository that does not exist yet, even to a
            // valid token: the token service took the credentials, so the repository is new.
            if (response.status === 401 && tokenForCredentials && page === 0) {
                await response.body?.cancel();
                return [];
            }
            await expectOk(response, this.registry, `list the tags of ${repository}`);
            const body = (await response.json());
            tags.push(...(body.tags ?? []));
            url = nextPageUrl(response.headers.get('link'), url);
        }
        return tags;
    }
    /**
     * Checks the credentials as `docker login` does: the API root, then the credentials against
     * whatever auth it asks for (Basic, or the token realm with no scope). Throws a RegistryError
     * with status 401 when they are refused.
     */
    async checkCredentials() {
        const root = new URL('/v2/', this.base);
        const first = await this.fetchImpl(root);
        await first.body?.cancel();
        if (first.ok)
            return;
        if (first.status !== 401)
            await expectOk(first, this.registry, 'reach the Registry API');
        await this.auth.check(root, parseAuthChallenge(first.headers.get('www-authenticate') ?? ''));
    }
    /** The manifest as stored, its digest computed from the bytes (and checked against the header). */
    async getManifest(repository, reference) {
        const { response } = await this.request(this.manifestUrl(repository, reference), [{ repository, access: 'pull,push' }], 'GET', { accept: MANIFEST_MEDIA_TYPES.join(', ') });
        await expectOk(response, this.registry, `read the manifest of ${repository}:${reference}`);
        const body = Buffer.from(await response.arrayBuffer());
        const digest = manifestDigestOf(body);
        const stated = response.headers.get('docker-content-digest');
        if (stated && stated !== digest) {
            throw new RegistryError(`${this.registry} sent a manifest for ${repository}:${reference} whose bytes hash to ${digest}, not the ${stated} it named`);
        }
        const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
        return { body, mediaType, digest };
    }
    /**
     * The digest the registry holds under `reference` (a tag or a digest), asked with a HEAD so no
     * manifest is read; undefined when it holds none (404). A registry that names no digest in the
     * answer is asked for the manifest itself.
     */
    async manifestDigest(repository, reference) {
        const { response } = await this.request(this.manifestUrl(repository, reference), [{ repository, access: 'pull' }], 'HEAD', { accept: MANIFEST_MEDIA_TYPES.join(', ') });
        if (response.status === 404)
            return void (await response.body?.cancel());
        await expectOk(response, this.registry, `find the manifest of ${repository}:${reference}`);
        await response.body?.cancel();
        const stated = response.headers.get('docker-content-digest') ?? '';
        if (DIGEST.test(stated)) {
            if (DIGEST.test(reference) && stated !== reference)
                throw new RegistryError(`${this.registry} answered ${stated} to a request for ${repository}@${reference}`);
            return stated;
        }
        return (await this.getManifest(repository, reference)).digest;
    }
    /**
     * Puts the manifest under a tag (pointing `repository:tag` at it) or under its own digest (a
     * child of an index, pushed before the index names it). Every blob or manifest it names must
     * already be in that repository. Returns the digest the registry stored.
     */
    async putManifest(repository, reference, manifest) {
        const byDigest = DIGEST.test(reference);
        if (byDigest && reference !== manifest.digest)
            throw new RegistryError(`the manifest ${manifest.digest} cannot be put under the digest ${reference}`);
        const what = byDigest ? `put the manifest ${repository}@${reference}` : `tag ${repository}:${reference}`;
        const { response } = await this.request(this.manifestUrl(repository, reference), [{ repository, access: 'pull,push' }], 'PUT', { 'content-type': manifest.mediaType }, manifest.body);
        await expectOk(response, this.registry, what);
        await response.body?.cancel();
        const digest = response.headers.get('docker-content-digest') ?? manifest.digest;
        if (digest !== manifest.digest) {
            throw new RegistryError(`${this.registry} stored ${repository}${byDigest ? '@' : ':'}${reference} as ${digest}, not the ${manifest.digest} that was sent`);
        }
        return digest;
    }
    /** Whether the repository holds the blob: HEAD /v2/<name>/blobs/<digest>, 200 or 404. */
    async hasBlob(repository, digest) {
        const { response } = await this.request(this.blobUrl(repository, digest), [{ repository, access: 'pull,push' }], 'HEAD');
        await this.expectStatus(response, [200, 404], `check for the blob ${digest} in ${repository}`);
        return response.status === 200;
    }
    /**
     * Asks the registry to link a blob `fromRepository` holds into `repository` without uploading
     * it (POST .../blobs/uploads/?mount=&from=): 201 when it did. A registry that cannot mount it
     * (the blob is not there, or the credentials may not read `fromRepository`) answers 202 with an
     * upload session instead: its location comes back for uploadBlob, or for cancelUpload.
     */
    async mountBlob(repository, digest, fromRepository) {
        checkDigest(digest);
        const query = new URLSearchParams({ mount: digest, from: fromRepository });
        const url = `${this.base.origin}/v2/${repository}/blobs/uploads/?${query.toString()}`;
        const { response } = await this.request(url, [
            { repository, access: 'pull,push' },
            { repository: fromRepository, access: 'pull' }
        ], 'POST', { 'content-length': '0' });
        const what = `mount ${digest} from ${fromRepository} into ${repository}`;
        await this.expectStatus(response, [201, 202], what);
        if (response.status === 202)
            return { mounted: false, location: this.uploadLocation(response, url) };
        this.checkStatedDigest(response, digest, what);
        return { mounted: true };
    }
    /** Ends an upload session that will not be used (a mount the registry turned into one). */
    async cancelUpload(repository, location) {
        const { response } = await this.request(location, [{ repository, access: 'pull,push' }], 'DELETE');
        // 404: the session is gone already, which is what was wanted.
        await this.expectStatus(response, [202, 204, 404], `cancel an upload to ${repository}`);
    }
    /**
     * Uploads a blob in one PUT (the "monolithic" upload of the Distribution API): POST
     * .../blobs/uploads/ for a session (unless `session` names one already opened, as a refused
     * mount does), then PUT <location>&digest=<digest> with the bytes `open` gives. The registry
     * checks them against the digest. The time limit grows with the size (uploadTimeoutMs).
     */
    async uploadBlob(repository, digest, size, open, session) {
        checkDigest(digest);
        const scopes = [{ repository, access: 'pull,push' }];
        let location = session;
        if (!location) {
            const url = `${this.base.origin}/v2/${repository}/blobs/uploads/`;
            const { response } = await this.request(url, scopes, 'POST', { 'content-length': '0' });
            await this.expectStatus(response, [202], `start an upload to ${repository}`);
            location = this.uploadLocation(response, url);
        }
        // The location may carry the session's state in its query: append, never re-encode it.
        const target = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
        const { response } = await this.request(target, scopes, 'PUT', { 'content-type': 'application/octet-stream', 'content-length': String(size) }, open, uploadTimeoutMs(this.requestTimeoutMs, size));
        await this.expectStatus(response, [201], `upload ${digest} to ${repository}`);
        this.checkStatedDigest(response, digest, `upload ${digest} to ${repository}`);
    }
    blobUrl(repository, digest) {
        checkDigest(digest);
        return `${this.base.origin}/v2/${repository}/blobs/${digest}`;
    }
    /** An upload session's Location, which may be relative to the request that opened it. */
    uploadLocation(response, requestUrl) {
        const location = response.headers.get('location');
        if (!location)
            throw new RegistryError(`${this.registry} opened an upload session without a Location`);
        return new URL(location, requestUrl).toString();
    }
    /**
     * Throws a RegistryError (with the start of the answer) unless the status is one of `wanted`;
     * the body, which these answers do not use, is let go either way.
     */
    async expectStatus(response, wanted, what) {
        if (wanted.includes(response.status))
            return void (await response.body?.cancel());
        await expectOk(response, this.registry, what);
        await response.body?.cancel();
        throw new RegistryError(`could not ${what} on ${this.registry}: it answered ${response.status}, not ${wanted.join(' or ')}`, response.status);
    }
    checkStatedDigest(response, digest, what) {
        const stated = response.headers.get('docker-content-digest');
        if (stated && stated !== digest)
            throw new RegistryError(`${this.registry} answered ${stated} to the request to ${what}`);
    }
    manifestUrl(repository, reference) {
        const path = DIGEST.test(reference) ? reference : encodeURIComponent(reference);
        return `${this.base.origin}/v2/${repository}/manifests/${path}`;
    }
    /**
     * One request with the Authorization its scopes earned (the first scope is the repository the
     * request is about, and names it in messages). `timeoutMs` replaces the client's limit.
     */
    async request(url, scopes, method, headers = {}, body, timeoutMs) {
        const target = new URL(url);
        const repository = scopes[0]?.repository ?? '';
        // Credentials go to the registry's own origin only (a Link header could name another).
        const sameOrigin = target.origin === this.base.origin;
        const key = scopes.map(scopeText).join(' ');
        const send = (authorization) => {
            const bytes = typeof body === 'function' ? body() : body;
            const streamed = bytes !== undefined && !Buffer.isBuffer(bytes);
            const limit = timeoutMs ?? this.requestTimeoutMs;
            const fetchImpl = streamed
                ? fetchWithTimeout(this.streamFetch, limit)
                : timeoutMs === undefined
                    ? this.fetchImpl
                    : fetchWithTimeout(this.untimedFetch, limit);
            return fetchImpl(target, {
                method,
                headers: { ...headers, ...(authorization && sameOrigin ? { authorization } : {}) },
                ...(bytes === undefined ? {} : { body: bytes })
            });
        };
        // Basic credentials are not scoped, so they go with the first request once the registry asked.
        let response = await send(this.authorization.get(key) ?? this.auth.basic);
        if (response.status !== 401 || !sameOrigin)
            return { response, tokenForCredentials: false };
        const challenge = parseAuthChallenge(response.headers.get('www-authenticate') ?? '');
        await response.body?.cancel();
        const authorization = await this.auth.authorize(challenge, scopes);
        this.authorization.set(key, authorization.header);
        response = await send(authorization.header);
        // Basic credentials refused. (A 401 to a token granted for the credentials is the caller's
        // to read: Docker Hub answers so for a repository that does not exist yet.)
        if (response.status === 401 && !authorization.tokenForCredentials && this.auth.credentials) {
            await response.body?.cancel();
            throw new RegistryError(`${this.registry} refused the credentials (401 Unauthorized) for ${repository}`, 401);
        }
        return { response, tokenForCredentials: authorization.tokenForCredentials };
    }
}
function checkDigest(digest) {
    if (!DIGEST.test(digest))
        throw new RegistryError(`${JSON.stringify(digest)} is not sha256:<64 hex digits>`);
}

// One Registry API client per registry for the whole run, with the credentials the docker CLI
// itself would use there: the inputs for the registry they are for, else whatever the Docker
// config holds (an earlier docker/login-action, a credential helper). Shared, so what one client
// learned (the auth scheme, a token) serves every later request to that registry.
function registryClients(inputs, configDir) {
    const clients = new Map();
    return (wanted) => {
        const registry = normalizeRegistry(wanted);
        let client = clients.get(registry);
        if (!client) {
            client = credentialsFor(inputs, configDir, registry).then((found) => new RegistryClient(registry, found, fetch, Math.min(REQUEST_TIMEOUT_MS, inputs.publish.registryTimeout * 1000)));
            clients.set(registry, client);
        }
        return client;
    };
}
async function credentialsFor(inputs, configDir, registry) {
    const { username, password } = inputs.publish;
    if (username && registry === normalizeRegistry(inputs.publish.registry))
        return { username, password };
    const found = await lookUpCredentials(configDir, registry, { ...programEnv(), DOCKER_CONFIG: configDir });
    // What a credential helper returned was never an input: mask it before anything can print it.
    if (found)
        setSecret('password' in found ? found.password : found.identityToken);
    return found;
}

// The login to the registry of the username and password inputs, into the private Docker config.
// The credentials are checked through the Registry API the way `docker login` checks them and
// then written to the config as `docker login` writes them, which spares a docker process on
// every run. Where the API cannot be reached from here although the engine may reach it (a
// proxy, a certificate only the engine trusts), `docker login` itself does it.
async function logIn(docker, registries, { registry, username, password, registryTimeout }) {
    try {
        await (await registries(registry)).checkCredentials();
    }
    catch (error) {
        if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
            throw new Error(`Login to ${registry} failed: ${error.message}. ${refusalFix(registry)}`);
        }
        info(`Could not check the credentials through the Registry API (${error.message}): running docker login`);
        await docker.login(registry, username, password, registryTimeout);
        return;
    }
    storeLogin(docker.configDir, registry, username, password);
    info(`Logged in to ${registry} as ${username}`);
}

// The signing inputs, shared by the push step (which signs) and the deploy step (which verifies):
// how to sign (a cosign key pair, or keyless with the workflow's OIDC identity), what to verify
// before a deploy, and where Sigstore's services are. Everything is checked up front, each
// problem naming its input; a key is never quoted.
const SIGN_CHOICES = ['false', 'key', 'keyless', 'true'];
const VERIFY_CHOICES = ['none', 'signature', 'scan-attestation'];
/** The issuer of GitHub Actions' OIDC tokens, what keyless signatures made in Actions carry. */
const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
/** Whole values: the private key, its password, and the public key (masked as asked). */
const SIGN_SECRET_INPUTS = {
    whole: ['cosign-key', 'cosign-password', 'cosign-public-key']};
/** The PEM blocks cosign reads as a private key (`cosign generate-key-pair`, `import-key-pair`). */
const COSIGN_PRIVATE_KEY = /-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----[\s\S]+-----END ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----/;
/**
 * Reads and checks the signing inputs. `env` gives the workflow's identity (GITHUB_WORKFLOW_REF)
 * for the default certificate-identity, and whether the job may ask for an OIDC token.
 */
function readSignInputs(fields, scope, env = process.env) {
    const { read } = fields;
    const cosignKey = read('cosign-key');
    const cosignPassword = read('cosign-password');
    const cosignPublicKey = read('cosign-public-key');
    if (cosignKey && !COSIGN_PRIVATE_KEY.test(cosignKey)) {
        fields.problem('cosign-key: is not a cosign private key: PEM text with an -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY----- (or ENCRYPTED COSIGN PRIVATE KEY) block, as cosign generate-key-pair writes it (cosign import-key-pair converts other keys)');
    }
    checkPem(fields, 'cosign-public-key', cosignPublicKey, 'PUBLIC KEY');
    const chosen = fields.field('sign', (raw) => parseChoice(raw, SIGN_CHOICES), 'false');
    const sign = chosen === 'false' ? 'off' : chosen === 'true' ? (cosignKey ? 'key' : 'keyless') : chosen;
    if (sign === 'key' && !cosignKey) {
        fields.problem('cosign-key: is required for sign: key (the private key cosign generate-key-pair wrote, from a secret); or use sign: keyless to sign with the workflow identity');
    }
    const verify = fields.field('verify', (raw) => (raw ? parseChoice(raw, VERIFY_CHOICES) : sign === 'off' ? 'none' : 'signature'), 'none');
    const tlog = fields.field('cosign-tlog', parseBoolean, true);
    const fulcioUrl = fields.field('fulcio-url', parseServiceUrl, '');
    const rekorUrl = fields.field('rekor-url', parseServiceUrl, '');
    const givenIdentity = fields.field('certificate-identity', parseIdentityPattern, '');
    const certificateOidcIssuer = fields.field('certificate-oidc-issuer', parseServiceUrl, '') || GITHUB_ACTIONS_ISSUER;
    // What this run signs with is what it verifies; else a key when there is one, else keyless.
    const verifyWith = sign === 'keyless' ? 'keyless' : sign === 'key' || cosignPublicKey || cosignKey ? 'key' : 'keyless';
    const certificateIdentity = givenIdentity || workflowIdentityPattern(env);
    if (verify !== 'none' && verifyWith === 'keyless') {
        if (sign !== 'keyless' && !givenIdentity) {
            fields.problem(`verify: ${verify} needs something to verify with: cosign-public-key (or cosign-key) for images signed with a key, or certificate-identity (with certificate-oidc-issuer) for keyless signatures`);
        }
        else if (!certificateIdentity) {
            fields.problem('certificate-identity: is required to verify keyless signatures here (GITHUB_WORKFLOW_REF, which gives the default, is not set)');
        }
    }
    // A Fulcio certificate is valid for minutes; only the log's timestamp shows a keyless signature
    // was made within them, so without the log it could never be verified later.
    if (!tlog && (sign === 'keyless' || (verify !== 'none' && verifyWith === 'keyless'))) {
        fields.problem('cosign-tlog: keyless signatures need the transparency log (cosign-tlog: true): their certificate is valid for minutes, and only the log proves when they were made; sign with cosign-key for a registry without Rekor');
    }
    if (sign === 'keyless' && scope.steps.includes('push') && !env.ACTIONS_ID_TOKEN_REQUEST_URL) {
        fields.problem('sign: keyless signing needs the job to be allowed an OIDC token: add `permissions: id-token: write` to the job (or use sign: key with cosign-key)');
    }
    if (verify === 'scan-attestation' &&
        sign !== 'off' &&
        scope.steps.includes('push') &&
        !scope.steps.includes('scan')) {
        fields.problem('verify: scan-attestation needs the scan step in steps when this run signs: the attestation is the scan verdict (or verify: signature)');
    }
    return {
        sign,
        verify,
        verifyWith,
        cosignKey,
        cosignPassword,
        cosignPublicKey,
        tlog,
        fulcioUrl,
        rekorUrl,
        certificateIdentity,
        certificateOidcIssuer
    };
}
/** An https URL (plain http only to loopback, for a test or a local stand-in); '' stays ''. */
function parseServiceUrl(raw) {
    if (!raw)
        return '';
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        throw new Error(`"${raw}" is not a URL`);
    }
    const loopback = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/.test(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
        throw new Error(`"${raw}" is not an https URL (plain http only to loopback)`);
    }
    return raw.replace(/\/+$/, '');
}
/** A regular expression cosign can take (RE2; checked here as JavaScript reads it). */
function parseIdentityPattern(raw) {
    if (!raw)
        return '';
    try {
        new RegExp(raw);
    }
    catch {
        throw new Error(`"${raw}" is not a regular expression`);
    }
    return raw;
}
/**
 * The identity every workflow of this repository signs with, as Fulcio writes it into the
 * certificate (`https://github.com/OWNER/REPO/.github/workflows/x.yml@refs/heads/main`):
 * `^https://github\.com/OWNER/REPO/`, from GITHUB_WORKFLOW_REF (`OWNER/REPO/.github/...@ref`).
 */
function workflowIdentityPattern(env) {
    const match = /^([^/@\s]+)\/([^/@\s]+)\//.exec(env.GITHUB_WORKFLOW_REF ?? '');
    if (!match)
        return '';
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    return `^${escapeRegExp(`${server}/${match[1]}/${match[2]}/`)}`;
}
function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The inputs every step shares through the release: the image, how it is tagged, and where and
// whether it is pushed with which credentials.
/** Inputs whose whole value is a secret. */
const RELEASE_SECRET_INPUTS = {
    whole: ['password', ...SIGN_SECRET_INPUTS.whole],
    values: []
};
function readReleaseInputs(fields, scope) {
    const { read } = fields;
    const image = fields.field('image', (raw) => parseImageName(raw), {
        registry: '',
        repository: '',
        name: ''
    });
    const tags = fields.field('tags', parseTags, { extra: [], references: [] });
    const registry = fields.field('registry', (raw) => (raw ? parseRegistry(raw) : image.registry), image.registry);
    const username = read('username');
    const password = read('password');
    if (password && !username)
        fields.problem('username: is required when password is set');
    if (username && !password)
        fields.problem('password: is required when username is set');
    return {
        image,
        tags: {
            extra: tags.extra,
            references: tags.references,
            latest: fields.field('tag-latest', (raw) => parseChoice(raw, ['auto', 'true', 'false']), 'auto'),
            sha: fields.field('tag-sha', parseBoolean, true)
        },
        publish: {
            registry,
            username,
            password,
            push: fields.field('push', (raw) => parseChoice(raw, ['auto', 'true', 'false']), 'auto'),
            registryTimeout: fields.field('registry-timeout', (raw) => parseWholeNumber(raw, 'registry-timeout'), 600)
        },
        signing: readSignInputs(fields, scope)
    };
}
/**
 * Plain tags of `image`, and full references (`ghcr.io/acme/web:1.2`, as docker/metadata-action
 * outputs them) that may name other repositories.
 */
function parseTags(raw) {
    const extra = [];
    const references = [];
    for (const item of parseList(raw)) {
        if (item.includes('/') || item.includes(':')) {
            references.push(parseImageReference(item));
        }
        else if (isValidTag(item)) {
            extra.push(item);
        }
        else {
            throw new Error(`"${item}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -) nor a name:tag reference`);
        }
    }
    return { extra, references };
}

// Which tags an image gets, from the git ref, the event and (for the moving aliases) the tags the
// registry already holds; and which full references of the tags input keep their moving alias.
// Pure: every input is passed in.
/** The longest tag Docker takes (distribution/reference: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
const MAX_TAG_LENGTH = 128;
/** Whether the plan for this request depends on the registry's tags (a stable release). */
function needsExistingTags(request) {
    const release = releaseOf(request.github.ref);
    return release !== undefined && release.prerelease.length === 0;
}
function planTags(request, existing = []) {
    const tags = [];
    const withheld = [];
    const { github } = request;
    const shaTag = request.tagSha && /^[0-9a-f]{7,}$/i.test(github.tagSha)
        ? `sha-${github.tagSha.slice(0, 7).toLowerCase()}`
        : undefined;
    const release = releaseOf(github.ref);
    let version;
    if (release) {
        // As docker/metadata-action's {{version}}: build metadata (+build.7) is not part of the tag,
        // so the tag still reads back as the release it is, never as a prerelease.
        version = release.version;
        // Semver allows a long prerelease; cutting it short would name another version, so refuse.
        if (version.length > MAX_TAG_LENGTH) {
            throw new Error(`the version "${version}" of ${github.ref} is ${version.length} characters long; Docker tags hold at most ${MAX_TAG_LENGTH}: release it under a shorter tag`);
        }
        tags.push(version);
        if (release.prerelease.length === 0) {
            const candidates = forwardOnlyAliases(release, request.tagLatest);
            for (const alias of candidates) {
                const blocker = newerInLine(alias, release, existing);
                if (blocker)
                    withheld.push({ tag: alias.tag, reason: blocker });
                else
                    tags.push(alias.tag);
            }
        }
        else if (request.tagLatest === 'true') {
            tags.push('latest');
        }
    }
    else {
        const refTag = refToTag(request);
        if (refTag)
            tags.push(refTag);
        if (request.tagLatest === 'true')
            tags.push('latest');
        version = shaTag ?? refTag;
    }
    if (shaTag)
        tags.push(shaTag);
    tags.push(...request.extraTags);
    const unique = [...new Set(tags)];
    version ??= unique[0];
    if (!version) {
        throw new Error(`no tag could be computed for ref "${github.ref}" (event ${github.eventName}): set the tags input`);
    }
    return { version, tags: [version, ...unique.filter((tag) => tag !== version)], release, withheld };
}
/** The semver release a ref names: refs/tags/v1.2.3 or refs/tags/1.2.3. */
function releaseOf(ref) {
    const match = /^refs\/tags\/(.+)$/.exec(ref);
    if (!match)
        return undefined;
    return semver.parse(match[1].replace(/^v/i, '')) ?? undefined;
}
function forwardOnlyAliases(release, tagLatest) {
    const aliases = [
        {
            tag: `${release.major}.${release.minor}`,
            sameLine: (o) => o.major === release.major && o.minor === release.minor
        }
    ];
    // A `0` alias would promise a compatibility that 0.x releases do not give.
    if (release.major > 0)
        aliases.push({ tag: `${release.major}`, sameLine: (o) => o.major === release.major });
    if (tagLatest === 'auto')
        aliases.push({ tag: 'latest', sameLine: () => true });
    if (tagLatest === 'true')
        aliases.push({ tag: 'latest' });
    return aliases;
}
function newerInLine(alias, release, existing) {
    const sameLine = alias.sameLine;
    if (!sameLine)
        return undefined;
    if (existing === 'unknown')
        return "the registry's tags could not be read";
    const newer = existing
        .map((tag) => semver.parse(tag.replace(/^v/i, '')))
        .filter((v) => v !== null && v.prerelease.length === 0 && sameLine(v))
        .filter((v) => semver.gt(v, release))
        .sort(semver.rcompare)[0];
    return newer ? `the registry already has ${newer.version}, newer than ${release.version}` : undefined;
}
/**
 * The repositories whose tags must be read before the full references of the tags input are
 * pushed: those with a `latest`, `1` or `1.2` reference and a stable release to compare it with,
 * the run's own, else the highest `x.y.z` tag given in that repository. Without a release the
 * aliases are pushed as given (the same as `tag-latest: true`).
 */
function referenceAliasChecks(references, runRelease) {
    const checks = [];
    for (const reference of references) {
        if (!referenceAliasLine(reference.tag))
            continue;
        let check = checks.find((c) => sameRepository(c.image, reference.image));
        if (!check) {
            const release = stableReleaseFor(reference.image, references, runRelease);
            if (!release)
                continue;
            check = { image: reference.image, release, aliases: [] };
            checks.push(check);
        }
        check.aliases.push(reference);
    }
    return checks;
}
/**
 * The full references of the tags input under the forward-only rule: an alias reference is
 * withheld when its repository already holds a newer stable release in the alias's line, or when
 * that repository's tags could not be read.
 */
function planReferences(references, runRelease, existingOf) {
    const blockers = new Map();
    for (const check of referenceAliasChecks(references, runRelease)) {
        const existing = existingOf(check.image);
        for (const reference of check.aliases) {
            const alias = { tag: reference.tag, sameLine: referenceAliasLine(reference.tag) };
            const blocker = newerInLine(alias, check.release, existing);
            if (blocker)
                blockers.set(reference, blocker);
        }
    }
    return {
        references: references.filter((reference) => !blockers.has(reference)),
        withheld: [...blockers].map(([reference, reason]) => ({ reference, reason }))
    };
}
/** The versions a moving alias tag stands for (`latest`: all; `1`: 1.x.y; `1.2`: 1.2.z). */
function referenceAliasLine(tag) {
    if (tag === 'latest')
        return () => true;
    const major = /^(\d+)$/.exec(tag);
    if (major)
        return (o) => o.major === Number(major[1]);
    const minor = /^(\d+)\.(\d+)$/.exec(tag);
    if (minor)
        return (o) => o.major === Number(minor[1]) && o.minor === Number(minor[2]);
    return undefined;
}
function stableReleaseFor(image, references, runRelease) {
    if (runRelease && runRelease.prerelease.length === 0)
        return runRelease;
    // Several versions in one repository tag the same image: it is the highest of them.
    return references
        .filter((reference) => sameRepository(reference.image, image))
        .map((reference) => semver.parse(reference.tag.replace(/^v/i, '')))
        .filter((v) => v !== null && v.prerelease.length === 0)
        .sort(semver.rcompare)[0];
}
function refToTag({ github }) {
    if (github.pullRequestNumber !== undefined)
        return `pr-${github.pullRequestNumber}`;
    if (github.mergeGroup) {
        const { baseBranch, pullRequestNumber } = github.mergeGroup;
        const queued = pullRequestNumber === undefined ? '' : `-pr-${pullRequestNumber}`;
        return sanitizeTag(`mq-${baseBranch}${queued}`) || undefined;
    }
    const match = /^refs\/(heads|tags)\/(.+)$/.exec(github.ref);
    if (!match)
        return undefined;
    return sanitizeTag(match[2]) || undefined;
}

// What this run publishes: the tags (planned from the event and, for the forward-only aliases,
// the tags the registry already holds), every full reference (whose `latest`, `1` and `1.2` move
// forward only too, by the tags of their own repository), and whether to push at all.
function decidePush(inputs, github) {
    const mode = inputs.publish.push;
    if (!inputs.steps.includes('push'))
        return { push: false, reason: 'push is not in steps' };
    if (mode === 'false')
        return { push: false, reason: 'the push input is false' };
    if (mode === 'auto' && github.pullRequestNumber !== undefined) {
        return { push: false, reason: `push is auto and this is a pull request run (${github.eventName})` };
    }
    if (mode === 'auto' && github.mergeGroup) {
        return { push: false, reason: 'push is auto and this is a merge_group run (a check before merging)' };
    }
    return { push: true, reason: mode === 'true' ? 'the push input is true' : 'push is auto' };
}
function tagRequest(inputs, github) {
    return { github, tagSha: inputs.tags.sha, tagLatest: inputs.tags.latest, extraTags: inputs.tags.extra };
}
/** The plan's tags of `image`, then the given full references (of the tags input), without duplicates. */
function releaseReferences(image, plan, given) {
    const references = [
        ...plan.tags.map((tag) => `${image.name}:${tag}`),
        ...given.map((reference) => `${reference.image.name}:${reference.tag}`)
    ];
    return [...new Set(references)];
}
async function planRelease(inputs, github, registries) {
    const pushing = decidePush(inputs, github);
    const request = tagRequest(inputs, github);
    const tagsOf = repositoryListings(registries);
    const existing = pushing.push && needsExistingTags(request) ? await tagsOf(inputs.image) : [];
    const plan = planTags(request, existing);
    for (const { tag, reason } of plan.withheld)
        info(`Tag ${tag} stays where it is: ${reason}.`);
    const given = await checkGivenReferences(inputs, plan, pushing.push ? tagsOf : undefined);
    for (const { reference, reason } of given.withheld)
        info(`${reference} stays where it is: ${reason}.`);
    const references = releaseReferences(inputs.image, plan, given.references);
    if (pushing.push)
        await warnOfRegistriesWithoutLogin(references, registries);
    return { plan, references, withheldReferences: given.withheld, pushing };
}
/**
 * The full references of the tags input that are pushed, and the alias references withheld,
 * read against their repositories' tags (`tagsOf`; none are read when nothing is pushed).
 */
async function checkGivenReferences(inputs, plan, tagsOf) {
    // References the plan pushes for `image` anyway (`tag-latest: true`) are the plan's to decide.
    const checked = inputs.tags.references.filter((reference) => !(sameRepository(reference.image, inputs.image) && plan.tags.includes(reference.tag)));
    const listed = tagsOf
        ? await Promise.all(referenceAliasChecks(checked, plan.release).map(async ({ image }) => ({
            image,
            tags: await tagsOf(image)
        })))
        : [];
    const { withheld } = planReferences(checked, plan.release, (image) => listed.find((listing) => sameRepository(listing.image, image))?.tags ?? []);
    return {
        references: inputs.tags.references.filter((reference) => !withheld.some((w) => w.reference === reference)),
        withheld: withheld
            // The same alias of `image` withheld by the plan is told once, as the plan's.
            .filter(({ reference }) => !(sameRepository(reference.image, inputs.image) &&
            plan.withheld.some((w) => w.tag === reference.tag)))
            .map(({ reference, reason }) => ({ reference: `${reference.image.name}:${reference.tag}`, reason }))
    };
}
/**
 * The username and password are for one registry, and a reference in `tags` may name another:
 * says before the build which registries the push will reach without any credentials.
 */
async function warnOfRegistriesWithoutLogin(references, registries) {
    const named = new Set(references.map((reference) => parseImageReference(reference).image.registry));
    for (const registry of named) {
        if (isLoopbackRegistry(registry) || (await registries(registry)).hasCredentials)
            continue;
        warning(`No credentials for ${registry} were found (the username and password inputs are not for it, and the Docker config has no login for it): the push goes there without any. Log in first (docker/login-action) if it needs them.`);
    }
}
/** Each repository's tags, read at most once in a run, whichever alias or shorthand names it. */
function repositoryListings(registries) {
    const listings = new Map();
    return (image) => {
        const key = `${image.registry}/${image.repository}`;
        let listing = listings.get(key);
        if (!listing) {
            listing = readExistingTags(image, registries);
            listings.set(key, listing);
        }
        return listing;
    };
}
/** The registry's tags, so `latest` and the version aliases only move forward. */
async function readExistingTags(image, registries) {
    try {
        const client = await registries(image.registry);
        return await withRetry(`list the tags of ${image.name}`, REGISTRY_RETRY, () => client.listTags(image.repository));
    }
    catch (error) {
        warning(`Could not read the tags of ${image.name}, so latest and the version aliases are left where they are: ${error.message}`);
        return 'unknown';
    }
}
/** The release's outputs and summary rows: the image, its version and every reference. */
function reportRelease(inputs, release) {
    const rows = [];
    if (release) {
        rows.push(['Version', code(release.plan.version)], ['Tags', release.references.map(code).join(' ')]);
    }
    return {
        outputs: {
            image: inputs?.image.name ?? '',
            tags: release?.references.join('\n') ?? '',
            version: release?.plan.version ?? ''
        },
        rows,
        notes: [
            ...(release?.plan.withheld ?? []).map(({ tag, reason }) => ({ name: tag, reason })),
            ...(release?.withheldReferences ?? []).map(({ reference, reason }) => ({ name: reference, reason }))
        ].map(({ name, reason }) => `${code(name)} was not moved: ${text(reason)}.`)
    };
}

// Every input read once and checked before any program runs: the run's own (steps, and the
// release's image, tags and registry), then each step's through its readInputs. All problems of
// all inputs are reported together, each naming its input.
function readInputs(steps, read, cwd) {
    const fields = new InputFields(read, cwd);
    const names = steps.map((step) => step.name);
    const chosen = fields.field('steps', (raw) => parseSteps(raw, steps), names);
    const run = { steps: chosen, ...readReleaseInputs(fields, { steps: chosen }) };
    const own = {};
    for (const step of steps) {
        if (step.readInputs)
            own[step.name] = step.readInputs(fields, { steps: chosen });
    }
    fields.check();
    return { run, own, warnings: fields.warnings };
}
/** The steps input: names of the given steps, in the order they run, with what each requires. */
function parseSteps(raw, steps) {
    const names = steps.map((step) => step.name);
    const named = parseList(raw || names.join(','));
    if (named.length === 0)
        throw new Error(`name at least one of ${names.join(', ')}`);
    for (const step of named) {
        if (!names.includes(step.toLowerCase()))
            throw new Error(`"${step}" is not one of ${names.join(', ')}`);
    }
    const lower = named.map((step) => step.toLowerCase());
    const chosen = steps.filter((step) => lower.includes(step.name));
    for (const step of chosen) {
        for (const { step: required, because } of step.requires ?? []) {
            if (!lower.includes(required))
                throw new Error(`${step.name} ${because}: add ${required}`);
        }
    }
    return chosen.map((step) => step.name);
}

// The step summary: what was built, tagged, pushed, scanned and deployed, or how far it got.
// Each step's rows and notes come from its own report (run/report.ts).
function summaryMarkdown(record, reports) {
    const lines = [`## Container Ship: ${record.inputs?.image.name ?? 'no image'}`, ''];
    // The error can end with what a program printed (a build's last lines): each line is plain text.
    if (record.error)
        lines.push(`> [!CAUTION]`, ...record.error.split('\n').map((line) => `> ${text(line)}`), '');
    const rows = reports.flatMap((report) => report.rows);
    if (rows.length > 0) {
        lines.push('| | |', '| --- | --- |', ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`), '');
    }
    for (const note of reports.flatMap((report) => report.notes ?? []))
        lines.push(`- ${note}`);
    for (const section of reports.flatMap((report) => report.sections ?? []))
        lines.push('', section);
    return lines.join('\n') + '\n';
}
async function writeSummary(record, reports) {
    if (!process.env.GITHUB_STEP_SUMMARY)
        return;
    await summary.addRaw(summaryMarkdown(record, reports)).write();
}

// The orchestrator: masks every secret input, reads and checks every input, sets up the private
// Docker config and the login, plans the release and lets each step prepare, then runs the steps
// in their order, handing each the results of the steps before it. Outputs and the step summary
// are derived from what the steps returned, also when one fails. It knows the Step contract
// only: the steps are given (pipeline/steps.ts).
async function run(steps) {
    const record = { own: {}, results: {} };
    const prepared = new Map();
    try {
        maskSecretInputs(secretInputsOf(steps));
        for (const warning$1 of foreignInputWarnings(process.env))
            warning(warning$1);
        const { run: inputs, own, warnings } = readInputs(steps, (name) => getInput(name), process.cwd());
        for (const warning$1 of warnings)
            warning(warning$1);
        record.inputs = inputs;
        record.own = own;
        const github = readGitHubContext();
        for (const step of chosen(steps, inputs))
            step.admit?.(own[step.name], { steps: inputs.steps, eventName: github.eventName });
        claimEveryState([...Object.values(State), ...steps.flatMap((step) => statesOf(step, own[step.name]))]);
        const context = await setUp(steps, { inputs, github, record, prepared });
        await runSteps(steps, context, record, prepared);
    }
    catch (error) {
        record.error = error.message;
        setFailed(record.error);
    }
    finally {
        // Also when a step's preparation failed half-way: each step knows what it opened.
        for (const step of steps)
            step.finish?.(prepared.get(step.name));
        removeDockerConfig(steps);
        const reports = reportRun(steps, record);
        setOutputs(reports);
        await writeSummary(record, reports).catch((error) => warning(`could not write the step summary: ${error.message}`));
    }
}
/** The names of the state a step saves, for its inputs. */
function statesOf(step, inputs) {
    return typeof step.states === 'function' ? step.states(inputs) : (step.states ?? []);
}
/** Every secret input of the run: the release's and each step's. */
function secretInputsOf(steps) {
    return allSecretInputs([RELEASE_SECRET_INPUTS, ...steps.map((step) => step.secretInputs)]);
}
function chosen(steps, inputs) {
    return steps.filter((step) => inputs.steps.includes(step.name));
}
/**
 * The private Docker config (saved for the post step before anything can fail), then at the
 * same time, as neither needs the other: the login, and the release plan (whose tag listing
 * takes the inputs' credentials directly, not the login's result) followed by every step's
 * preparation (the deploy host reached), so a bad host fails before the build.
 */
async function setUp(steps, run) {
    const { inputs, github, record, prepared } = run;
    const tempRoot = process.env.RUNNER_TEMP || os$1.tmpdir();
    const { registry, username } = inputs.publish;
    const configDir = createPrivateDockerConfig(tempRoot, username ? [registry] : []);
    saveForPost(State.DockerConfig, configDir);
    dockerConfig = configDir;
    const docker = new DockerCli(configDir);
    const registries = registryClients(inputs, configDir);
    const context = { inputs, github, docker, registries, tempRoot };
    await allSettledFirstError([
        username ? logIn(docker, registries, inputs.publish) : Promise.resolve(),
        planRelease(inputs, github, registries).then((release) => {
            record.release = release;
            return allSettledFirstError(chosen(steps, inputs)
                .filter((step) => step.prepare && !step.skip?.(record.own[step.name], { steps: inputs.steps, release }))
                .map(async (step) => {
                prepared.set(step.name, await step.prepare?.({ context, release, inputs: record.own[step.name] }));
            }));
        })
    ]);
    return context;
}
/**
 * Waits for every promise, then throws the first failure: a program a preparation started (a
 * `docker buildx inspect` writing into the private Docker config, an SSH tunnel) has ended
 * before the main step cleans up after a failure.
 */
async function allSettledFirstError(promises) {
    const failed = (await Promise.allSettled(promises)).find((result) => result.status === 'rejected');
    if (failed)
        throw failed.reason;
}
async function runSteps(steps, context, record, prepared) {
    const release = record.release;
    for (const step of chosen(steps, context.inputs)) {
        const inputs = record.own[step.name];
        const skip = step.skip?.(inputs, { steps: context.inputs.steps, release });
        if (skip) {
            notice(skip);
            continue;
        }
        try {
            const result = await group(step.title, () => step.run({
                context,
                release,
                inputs,
                earlier: record.results,
                prepared: prepared.get(step.name),
                preparedBy: (name) => prepared.get(name)
            }));
            record.results = { ...record.results, [step.name]: result };
        }
        catch (error) {
            if (error instanceof StepError)
                record.results = { ...record.results, [step.name]: error.partial };
            throw error;
        }
    }
}
/** The private Docker config this run wrote. */
let dockerConfig;
/**
 * Removes the private Docker config as soon as nothing needs it: at the end of the main step,
 * unless a step left work for the post step (a deploy lock, an interrupted rollout), which then
 * needs the credentials and removes them itself.
 */
function removeDockerConfig(steps) {
    if (!dockerConfig || steps.some((step) => step.leftForPost?.()))
        return;
    removePrivateDockerConfig(dockerConfig);
    saveForPost(State.DockerConfig, '');
    info(`Removed the private Docker config ${dockerConfig}`);
}
/** Every output and summary row, from the release and each step's result (or its absence). */
function reportRun(steps, record) {
    return [
        reportRelease(record.inputs, record.release),
        ...steps.map((step) => step.report(record.results[step.name], {
            inputs: record.own?.[step.name],
            run: record.inputs,
            release: record.release
        }))
    ];
}
function setOutputs(reports) {
    for (const report of reports) {
        for (const [name, value] of Object.entries(report.outputs))
            setOutput(name, value);
    }
}

// The main entry the runner starts (action.yml `runs.main`): the pipeline's steps, run in order.
await run(STEPS);
