import { isApiError } from '../../api/api-error';

/**
 * A failed save as errors on the form: the issues under `config.` on the config fields (the
 * whole config's at ""), the others by their own path (name, syncSchedule, ...).
 */
export function formErrorsOf(error: unknown): {
  config: Record<string, string>;
  other: Record<string, string>;
} {
  if (!isApiError(error)) return { config: {}, other: {} };
  const config = error.fieldErrors('config.');
  const other: Record<string, string> = {};
  for (const [path, message] of Object.entries(error.fieldErrors())) {
    if (path === 'config') config[''] = message;
    else if (!path.startsWith('config.')) other[path] = message;
  }
  const field = error.details.field;
  if (error.code === 'server_path_not_allowed' && typeof field === 'string') config[field] = error.message;
  return { config, other };
}
