import type { User } from './model.js';

/** A user's `userIds`: its LDAP login, and its state id when it has one; guardians have none. */
export function userIds(user: User): string[] {
  if (user.role === 'guardian' || user.role === 'parent') return [];
  const ldap = `{LDAP:${user.username}}`;
  return user.stateId === null ? [ldap] : [`{SSID:${user.stateId}}`, ldap];
}
