import { randomUUID } from 'node:crypto';
import { sandboxClientId, sandboxClientSecret } from './fleet.ts';

/**
 * The emulator's Microsoft Entra ID: the two endpoints `ClientSecretCredential` (MSAL) calls with
 * `disableInstanceDiscovery`: the tenant's OpenID configuration and the v2.0 token endpoint
 * (client-credentials grant). Errors have Entra's shape and AADSTS codes so @azure/identity
 * reports them as it would for Azure.
 */

export interface IssuedToken {
  tenantId: string;
  clientId: string;
  expiresAt: number;
}

export interface EntraReply {
  status: number;
  body: unknown;
  errorCode?: string;
}

const entraError = (status: number, error: string, aadsts: number, text: string): EntraReply => {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    errorCode: `AADSTS${aadsts}`,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    },
  };
};

export const openIdConfiguration = (base: string, tenant: string) => ({
  token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
  token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
  jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
  response_modes_supported: ['query', 'fragment', 'form_post'],
  subject_types_supported: ['pairwise'],
  id_token_signing_alg_values_supported: ['RS256'],
  response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
  scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  issuer: `${base}/${tenant}/v2.0`,
  request_uri_parameter_supported: false,
  userinfo_endpoint: `${base}/oidc/userinfo`,
  authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
  device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
  http_logout_supported: true,
  frontchannel_logout_supported: true,
  end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
  claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
  kerberos_endpoint: `${base}/${tenant}/kerberos`,
  tenant_region_scope: 'NA',
  cloud_instance_name: 'microsoftonline.com',
  cloud_graph_host_name: 'graph.windows.net',
  msgraph_host: 'graph.microsoft.com',
  rbac_url: 'https://pas.windows.net',
});

/** The client-credentials grant: issues an opaque bearer token the ARM side recognises. */
export const tokenGrant = (
  tenant: string,
  form: URLSearchParams,
  tenants: readonly string[],
  tokens: Map<string, IssuedToken>,
  nowMs: number,
): EntraReply => {
  if (!tenants.includes(tenant))
    return entraError(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  if (form.get('grant_type') !== 'client_credentials')
    return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  const clientId = form.get('client_id') ?? '';
  if (clientId !== sandboxClientId)
    return entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
    );
  if (form.get('client_secret') !== sandboxClientSecret)
    // Entra answers a wrong secret with 401 invalid_client (RFC 6749 §5.2).
    return entraError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  const scope = form.get('scope') ?? '';
  if (!scope.includes('management.azure.com'))
    return entraError(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid.`);
  const token = `sbx.${randomUUID()}`;
  tokens.set(token, { tenantId: tenant, clientId, expiresAt: nowMs + 3_599_000 });
  return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
};
