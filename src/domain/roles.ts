export const ROLES = ['DISTRICT_ADMIN', 'PLATFORM_ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Who is acting: from a verified bearer token, or the local operator at the command line. */
export interface Principal {
  /** Token subject, recorded as the actor in the audit log. */
  subject: string;
  roles: Role[];
  /** The tenant a district admin belongs to; platform admins may have none. */
  tenantId: string | undefined;
}

export function isPlatformAdmin(principal: Principal): boolean {
  return principal.roles.includes('PLATFORM_ADMIN');
}

/** Platform admins reach every tenant; district admins only their own. */
export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  if (isPlatformAdmin(principal)) return true;
  return principal.roles.includes('DISTRICT_ADMIN') && principal.tenantId === tenantId;
}

/** A tenant id is chosen by the host application: short, URL-safe, case-sensitive. */
export const TENANT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
