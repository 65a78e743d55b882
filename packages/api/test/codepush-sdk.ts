import { exports } from 'cloudflare:workers';
// The real acquisition SDKs that react-native-code-push ships with (codepush.md §5): 4.2.3
// speaks the v0.1 routes, 2.0.6 (installed as code-push-legacy) the legacy ones.
import * as current from 'code-push/script/acquisition-sdk';
import * as legacy from 'code-push-legacy/script/acquisition-sdk';

export const SERVER_URL = 'https://skypatch.test';
const VERBS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'];

type Callback = (error: Error | null, response?: { statusCode: number; body?: string }) => void;

/** RNCP's request-fetch-adapter, sending through the Worker's own entry point. */
export const requester = {
  request(verb: number, url: string, body: string | Callback | null, callback?: Callback) {
    const done = (typeof body === 'function' ? body : callback) as Callback;
    const payload = typeof body === 'string' ? body : undefined;
    exports.default
      .fetch(
        new Request(url, {
          method: VERBS[verb],
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
            'x-codepush-plugin-name': 'react-native-code-push',
            'x-codepush-plugin-version': '9.0.1',
            'x-codepush-sdk-version': '4.2.3',
          },
          body: payload,
        }),
      )
      .then(async (res) => done(null, { statusCode: res.status, body: await res.text() }), done);
  },
};

export interface RemotePackage {
  deploymentKey: string;
  description: string;
  label: string;
  appVersion: string;
  isMandatory: boolean;
  packageHash: string;
  packageSize: number;
  downloadUrl: string;
}
export type CheckResult = RemotePackage | { updateAppVersion: true; appVersion: string } | null;

export interface CurrentPackage {
  appVersion: string;
  label?: string;
  packageHash?: string;
}

type Manager = {
  queryUpdateWithCurrentPackage(pkg: CurrentPackage, cb: (e: Error, r: CheckResult) => void): void;
  reportStatusDeploy(
    pkg: (CurrentPackage & { deploymentKey: string }) | null,
    status: string | null,
    previous: string | null,
    previousKey: string | null,
    cb: (e: Error) => void,
  ): void;
  reportStatusDownload(
    pkg: CurrentPackage & { deploymentKey: string },
    cb: (e: Error) => void,
  ): void;
};

export type Generation = 'v0.1' | 'legacy';

/** One SDK client of one device, with promise-returning calls. */
export function codePushClient(
  generation: Generation,
  deploymentKey: string,
  appVersion = '1.0.0',
  clientUniqueId = 'cid-1',
) {
  const { AcquisitionManager } = (generation === 'v0.1' ? current : legacy) as unknown as {
    AcquisitionManager: new (r: typeof requester, c: object) => Manager;
  };
  const sdk = new AcquisitionManager(requester, {
    serverUrl: SERVER_URL,
    deploymentKey,
    appVersion,
    clientUniqueId,
  });
  const settle =
    <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
    (error: Error | null, value?: T) =>
      error ? reject(error) : resolve(value as T);
  return {
    check: (pkg: Partial<CurrentPackage> = {}) =>
      new Promise<CheckResult>((resolve, reject) =>
        sdk.queryUpdateWithCurrentPackage({ appVersion, ...pkg }, settle(resolve, reject)),
      ),
    reportDeploy: (pkg: CurrentPackage | null, status: string | null, previous?: string) =>
      new Promise<void>((resolve, reject) =>
        sdk.reportStatusDeploy(
          pkg && { ...pkg, deploymentKey },
          status,
          previous ?? null,
          null,
          settle(resolve, reject),
        ),
      ),
    reportDownload: (pkg: CurrentPackage) =>
      new Promise<void>((resolve, reject) =>
        sdk.reportStatusDownload({ ...pkg, deploymentKey }, settle(resolve, reject)),
      ),
  };
}
