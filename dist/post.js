import { rmSync } from 'node:fs';
import 'node:os';
import 'node:path';
import 'string_decoder';
import 'os';
import 'events';
import 'child_process';
import 'path';
import 'assert';
import * as fs from 'fs';
import 'timers';

// Names shared between the main and post entries and the outputs, typed once.
var Output;
(function (Output) {
    Output["Image"] = "image";
    Output["Tags"] = "tags";
    Output["Version"] = "version";
    Output["Digest"] = "digest";
    Output["PushedTags"] = "pushed-tags";
    Output["ImageId"] = "image-id";
    Output["ScanResult"] = "scan-result";
    Output["Findings"] = "findings";
    Output["ReportFile"] = "report-file";
    Output["SarifFile"] = "sarif-file";
    Output["Deployed"] = "deployed";
    Output["PreviousImage"] = "previous-image";
    Output["Containers"] = "containers";
})(Output || (Output = {}));
var State;
(function (State) {
    /** The private DOCKER_CONFIG folder the post step logs out of and removes. */
    State["DockerConfig"] = "docker-config";
})(State || (State = {}));

(undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
const { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, symlink, unlink } = fs.promises;
// export const {open} = 'fs'
process.platform === 'win32';
fs.constants.O_RDONLY;

(undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};

(undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
/* eslint-disable @typescript-eslint/unbound-method */
process.platform === 'win32';

(undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};

// Docker config folders: the user's (read, never written) and the action's private one, and the
// registry credentials in them, looked up the way the docker CLI looks them up: a `credHelpers`
// entry for the registry, else the `credsStore`, else `auths` in config.json.
/** Removes the private config; the links to the user's folders are removed, not followed. */
function removePrivateDockerConfig(dir) {
    rmSync(dir, { recursive: true, force: true });
}

// The post step (action.yml `runs.post`, entered through post-entry.ts): removes the private
// Docker config, and with it every credential the action stored. Logins live only in that folder
// (see docker-config.ts), so no `docker logout` is needed and none can reach a credential the
// user stored elsewhere. It runs even when the main step failed, and never fails itself.
//
// It speaks the runner's two commands it needs itself instead of loading @actions/core, whose
// HTTP client stack takes longer to load (about 60 ms here) than the step takes to run.
/** core.getState: the runner hands saved state to the post step as STATE_<name>. */
function savedState(name, env) {
    return env[`STATE_${name}`] ?? '';
}
/** A warning annotation, escaped as @actions/core escapes command data. */
function warning(message) {
    const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    process.stdout.write(`::warning::${data}\n`);
}
async function post(env = process.env) {
    const configDir = savedState(State.DockerConfig, env);
    if (!configDir)
        return;
    try {
        removePrivateDockerConfig(configDir);
        process.stdout.write(`Removed the private Docker config ${configDir}\n`);
    }
    catch (error) {
        warning(`could not remove ${configDir}: ${error.message}`);
    }
}

// The post entry the runner starts (action.yml `runs.post`).
await post();
