export const PROVIDER_TYPES = ['CLEVER', 'CLASSLINK', 'ONEROSTER_API', 'ONEROSTER_CSV'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
