import { z } from '@hono/zod-openapi';
import { CodeSigningJson, UploadCodeSigningBody } from '@skypatch/protocol';
import { certificateInfo } from '../lib/code-signing-certificate';
import type { CodeSigning } from '../services/code-signing';
import {
  createRouter,
  defineRoute,
  errorResponses,
  jsonBody,
  jsonResponse,
  noContent,
} from './openapi';
import { AppParams } from './params';

const path = '/v1/orgs/{orgId}/apps/{appId}/code-signing';
const tags = ['code signing'];

async function toCodeSigningJson(signing: CodeSigning) {
  return {
    keyId: signing.keyId,
    publicKeyPem: signing.publicKeyPem,
    source: signing.source,
    holdsPrivateKey: signing.secretId !== null,
    certificate: signing.certificatePem ? await certificateInfo(signing.certificatePem) : null,
    createdAt: signing.createdAt,
  };
}

const PEM = 'application/x-pem-file';

const getKey = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path,
    tags,
    operationId: 'getCodeSigningKey',
    summary: "The app's public code-signing key (to build into the app)",
    request: { params: AppParams },
    responses: { 200: jsonResponse(CodeSigningJson, 'The public key'), ...errorResponses },
  },
);

// Who may read the public key may read its certificate: both end up inside the app.
const getCertificate = defineRoute(
  { kind: 'org', permission: 'org.read' },
  {
    method: 'get',
    path: `${path}/certificate`,
    tags,
    operationId: 'getCodeSigningCertificate',
    summary: "The app's X.509 code-signing certificate, for Expo builds",
    description:
      'PEM, saved as `certificate.pem`: the file `updates.codeSigningCertificate` points to, ' +
      'with `updates.codeSigningMetadata` `{ keyid: <keyId>, alg: "rsa-v1_5-sha256" }`. ' +
      'Self-signed for ten years when the server holds the private key; 404 when a public ' +
      'key was uploaded without a certificate.',
    request: { params: AppParams },
    responses: {
      200: { description: 'The certificate', content: { [PEM]: { schema: z.string() } } },
      ...errorResponses,
    },
  },
);

const generateKey = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'post',
    path: `${path}/generate`,
    tags,
    operationId: 'generateCodeSigningKey',
    summary: 'Generate an RSA-2048 key pair; the server keeps the private key, encrypted',
    description:
      'Replaces any previous key. From now on uploads must carry a `.codepushrelease` JWT ' +
      'signed with the private key; use this when the server signs for you.',
    request: { params: AppParams },
    responses: { 201: jsonResponse(CodeSigningJson, 'The new public key'), ...errorResponses },
  },
);

const uploadKey = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'put',
    path,
    tags,
    operationId: 'setCodeSigningKey',
    summary: "Use the team's own key: uploads must then be signed with its private key",
    request: { params: AppParams, body: jsonBody(UploadCodeSigningBody) },
    responses: { 200: jsonResponse(CodeSigningJson, 'The public key on file'), ...errorResponses },
  },
);

const deleteKey = defineRoute(
  { kind: 'org', permission: 'app.manage' },
  {
    method: 'delete',
    path,
    tags,
    operationId: 'deleteCodeSigningKey',
    summary: 'Stop requiring signed uploads; the stored private key is deleted',
    request: { params: AppParams },
    responses: { 204: noContent('Deleted'), ...errorResponses },
  },
);

export const codeSigningRoutes = createRouter()
  .openapi(getKey, async (c) =>
    c.json(
      await toCodeSigningJson(
        await c.var.services.codeSigning.get(c.var.actor, c.req.valid('param')),
      ),
      200,
    ),
  )
  .openapi(getCertificate, async (c) => {
    const pem = await c.var.services.codeSigning.certificate(c.var.actor, c.req.valid('param'));
    return c.body(pem, 200, {
      'content-type': PEM,
      'content-disposition': 'attachment; filename="certificate.pem"',
    });
  })
  .openapi(generateKey, async (c) =>
    c.json(
      await toCodeSigningJson(
        await c.var.services.codeSigning.generate(c.var.actor, c.req.valid('param')),
      ),
      201,
    ),
  )
  .openapi(uploadKey, async (c) => {
    const input = { ...c.req.valid('param'), ...c.req.valid('json') };
    return c.json(
      await toCodeSigningJson(await c.var.services.codeSigning.upload(c.var.actor, input)),
      200,
    );
  })
  .openapi(deleteKey, async (c) => {
    await c.var.services.codeSigning.remove(c.var.actor, c.req.valid('param'));
    return c.body(null, 204);
  });
