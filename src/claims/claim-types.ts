/** Exact claim-type URIs (http:// scheme: AD FS matches only these, see reference §3.6 / §4.1). */
export const DEVICE_CLAIM_TYPES = {
  identifier: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/identifier',
  registrationId: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/registrationid',
  displayName: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/displayname',
  osType: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/ostype',
  osVersion: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/osversion',
  isManaged: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/ismanaged',
  isRegisteredUser: 'http://schemas.microsoft.com/2012/01/devicecontext/claims/isregistereduser',
  isKnown: 'http://schemas.microsoft.com/2014/02/devicecontext/claims/isknown',
  usageTime: 'http://schemas.microsoft.com/2014/02/deviceusagetime',
  isCompliant: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/iscompliant',
  trustType: 'http://schemas.microsoft.com/2014/09/devicecontext/claims/trusttype',
} as const;

export const REQUEST_CLAIM_TYPES = {
  insideCorporateNetwork: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork',
  authnMethodsReferences: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  authenticationMethod: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod',
  groupSid: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid',
  primarySid: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid',
  primaryGroupSid: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid',
  windowsAccountName: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  group: 'http://schemas.xmlsoap.org/claims/Group',
  clientIp: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-client-ip',
  forwardedClientIp: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-forwarded-client-ip',
  clientApplication: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-client-application',
  clientUserAgent: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-client-user-agent',
  endpointAbsolutePath: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-endpoint-absolute-path',
  proxy: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/x-ms-proxy',
  userIp: 'http://schemas.microsoft.com/2014/09/requestcontext/claims/userip',
  relyingPartyTrustId: 'http://schemas.microsoft.com/2012/01/requestcontext/claims/relyingpartytrustid',
} as const;

export const AUTHORIZATION_CLAIM_TYPES = {
  permit: 'http://schemas.microsoft.com/authorization/claims/permit',
  deny: 'http://schemas.microsoft.com/authorization/claims/deny',
} as const;

/** The authnmethodsreferences / authenticationmethod value that means "multi-factor". */
export const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';

/** The issuer AD FS stamps on claims it makes itself. */
export const LOCAL_AUTHORITY = 'LOCAL AUTHORITY';
