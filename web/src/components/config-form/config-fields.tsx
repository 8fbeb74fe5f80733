import type { ReactNode } from 'react';

import { CheckboxField, Field } from '../field';
import { isAdvanced, kindOf, labelOf, textOf, type FormValues, type JsonSchema } from './json-schema';

export interface ConfigFieldsProps {
  schema: JsonSchema;
  values: FormValues;
  onChange: (path: string, value: string | boolean) => void;
  /** Field errors by dotted path within the config (from the server's 400 issues). */
  errors: Record<string, string>;
  /** Secrets the provider already holds: blank keeps them. */
  storedSecrets?: ReadonlySet<string>;
  removedSecrets?: ReadonlySet<string>;
  onRemoveSecret?: (path: string, removed: boolean) => void;
}

/** The credentials and settings form of a provider type, generated from its config JSON Schema. */
export function ConfigFields(props: ConfigFieldsProps) {
  const entries = Object.entries(props.schema.properties ?? {});
  const main = entries.filter(([key, child]) => !isAdvanced(key, child, props.schema));
  const advanced = entries.filter(([key, child]) => isAdvanced(key, child, props.schema));
  return (
    <div className="stack">
      {renderFields(main, props.schema, '', true, props)}
      {props.errors[''] === undefined ? null : (
        <p className="field__error" role="alert">
          {props.errors['']}
        </p>
      )}
      {advanced.length === 0 ? null : (
        <details className="disclosure" open={advanced.some(([key]) => hasErrorUnder(props.errors, key))}>
          <summary>Advanced settings</summary>
          <div className="stack disclosure__body">
            {renderFields(advanced, props.schema, '', true, props)}
          </div>
        </details>
      )}
    </div>
  );
}

function hasErrorUnder(errors: Record<string, string>, path: string): boolean {
  return Object.keys(errors).some((p) => p === path || p.startsWith(`${path}.`));
}

function renderFields(
  entries: [string, JsonSchema][],
  parent: JsonSchema,
  prefix: string,
  parentRequired: boolean,
  props: ConfigFieldsProps,
): ReactNode {
  return entries.map(([key, child]) => {
    const path = `${prefix}${key}`;
    const required = parentRequired && parent.required?.includes(key) === true;
    if (kindOf(key, child) === 'object') {
      return (
        <fieldset key={path} className="fieldset">
          <legend className="fieldset__legend">{labelOf(key, child)}</legend>
          {child.description === undefined ? null : <p className="field__hint">{child.description}</p>}
          {props.errors[path] === undefined ? null : <p className="field__error">{props.errors[path]}</p>}
          <div className="stack">
            {renderFields(Object.entries(child.properties ?? {}), child, `${path}.`, required, props)}
          </div>
        </fieldset>
      );
    }
    return <ConfigField key={path} name={key} path={path} schema={child} required={required} props={props} />;
  });
}

function ConfigField({
  name,
  path,
  schema,
  required,
  props,
}: {
  name: string;
  path: string;
  schema: JsonSchema;
  required: boolean;
  props: ConfigFieldsProps;
}) {
  const kind = kindOf(name, schema);
  const label = labelOf(name, schema);
  const value = props.values[path];
  const error = props.errors[path];
  const set = (next: string | boolean) => props.onChange(path, next);

  if (kind === 'boolean') {
    return (
      <CheckboxField
        label={label}
        checked={value === true}
        onChange={set}
        {...(schema.description === undefined ? {} : { hint: schema.description })}
        error={error}
      />
    );
  }

  const stored = props.storedSecrets?.has(path) === true;
  const removed = props.removedSecrets?.has(path) === true;
  const secret = kind === 'secret' || kind === 'multiline-secret';
  const hint = [
    schema.description,
    secret && stored ? 'A value is stored: leave blank to keep it.' : undefined,
  ]
    .filter((x) => x !== undefined)
    .join(' ');
  const text = typeof value === 'string' ? value : '';
  const placeholder = secret && stored ? '******** (unchanged)' : defaultPlaceholder(schema);

  return (
    <div>
      <Field
        label={label}
        required={required && !(secret && stored)}
        {...(hint === '' ? {} : { hint })}
        error={error}
      >
        {(control) => {
          if (kind === 'enum') {
            return (
              <select
                {...control}
                className="input"
                value={text}
                onChange={(event) => set(event.target.value)}
              >
                {required && schema.default === undefined ? null : <option value="">Not set</option>}
                {(schema.enum ?? []).map((option) => (
                  <option key={textOf(option)} value={textOf(option)}>
                    {textOf(option)}
                  </option>
                ))}
              </select>
            );
          }
          if (kind === 'multiline-secret') {
            return (
              <textarea
                {...control}
                className="input input--mono"
                rows={4}
                spellCheck={false}
                autoComplete="off"
                value={text}
                placeholder={placeholder}
                disabled={removed}
                onChange={(event) => set(event.target.value)}
              />
            );
          }
          return (
            <input
              {...control}
              className="input"
              type={kind === 'secret' ? 'password' : 'text'}
              inputMode={kind === 'number' ? 'numeric' : undefined}
              autoComplete={kind === 'secret' ? 'new-password' : 'off'}
              spellCheck={false}
              value={text}
              placeholder={placeholder}
              disabled={removed}
              onChange={(event) => set(event.target.value)}
            />
          );
        }}
      </Field>
      {secret && stored && !required && props.onRemoveSecret !== undefined ? (
        <CheckboxField
          label={`Remove the stored ${label.toLowerCase()}`}
          checked={removed}
          onChange={(next) => props.onRemoveSecret?.(path, next)}
        />
      ) : null}
    </div>
  );
}

function defaultPlaceholder(schema: JsonSchema): string | undefined {
  if (schema.default === undefined || schema.enum !== undefined) return undefined;
  return `Default: ${textOf(schema.default)}`;
}
