import Type, { type Static } from 'typebox';

import { ROLES, TENANT_ID_PATTERN } from '../../domain/roles.js';
import { nullable } from './nullable.js';

export const RoleSchema = Type.Enum(ROLES, { description: 'A sis-sync role carried by the bearer token.' });

export const MeSchema = Type.Object(
  {
    subject: Type.String({ description: 'Token subject: who the audit log records as the actor.' }),
    roles: Type.Array(RoleSchema),
    tenantId: nullable(
      Type.String({
        description: "The tenant a district admin belongs to; null for a platform admin's token.",
      }),
    ),
  },
  { description: 'Who the bearer token speaks for.' },
);
export type Me = Static<typeof MeSchema>;

export const DevTokenBodySchema = Type.Object(
  {
    role: RoleSchema,
    tenantId: Type.Optional(
      Type.String({
        pattern: TENANT_ID_PATTERN,
        description: 'Tenant the token belongs to; required for DISTRICT_ADMIN.',
      }),
    ),
    subject: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '\\S',
        description: 'Who the token speaks for, recorded in the audit log; default dev-admin.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DevTokenBody = Static<typeof DevTokenBodySchema>;

export const DevTokenSchema = Type.Object({
  token: Type.String({ description: 'HS256 bearer token.' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
export type DevToken = Static<typeof DevTokenSchema>;

export const SignInOptionsSchema = Type.Object(
  {
    devTokens: Type.Boolean({
      description:
        'Whether POST /api/v1/dev/token answers this caller (a development server, asked from its own machine).',
    }),
  },
  { description: 'How a sign-in page may obtain a token here.' },
);
export type SignInOptions = Static<typeof SignInOptionsSchema>;
