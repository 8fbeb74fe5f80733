import { useState } from 'react';

import { useProviderTypes } from '../../api/hooks';
import type { Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { formErrorsOf } from '../../components/config-form/config-errors';
import { ConfigFields } from '../../components/config-form/config-fields';
import {
  asSchema,
  buildConfig,
  initialValues,
  storedSecrets,
  type FormValues,
} from '../../components/config-form/json-schema';
import { Field } from '../../components/field';
import { ErrorNotice, Loading } from '../../components/notices';

/** Name and credentials. Secrets show as placeholders and stay as stored unless retyped. */
export function ConnectionSettingsCard({ provider }: { provider: Provider }) {
  const types = useProviderTypes();
  const typeInfo = types.data?.find((t) => t.type === provider.providerType);
  // Held here, not in the form: a save changes the provider, which remounts the form with what was stored.
  const update = useUpdateProvider(provider.id);
  return (
    <section className="card" aria-labelledby="connection-title">
      <h2 id="connection-title">Connection settings</h2>
      {types.isPending ? (
        <Loading />
      ) : typeInfo === undefined ? (
        <ErrorNotice error={types.error ?? new Error(`Unknown provider type ${provider.providerType}.`)} />
      ) : (
        <ConnectionSettingsForm
          key={`${provider.name}\n${JSON.stringify(provider.config)}`}
          provider={provider}
          schema={typeInfo.configSchema}
          update={update}
        />
      )}
    </section>
  );
}

function ConnectionSettingsForm({
  provider,
  schema: rawSchema,
  update,
}: {
  provider: Provider;
  schema: unknown;
  update: ReturnType<typeof useUpdateProvider>;
}) {
  const schema = asSchema(rawSchema);
  const [name, setName] = useState(provider.name);
  const [values, setValues] = useState<FormValues>(() => initialValues(schema, provider.config));
  const [removed, setRemoved] = useState<ReadonlySet<string>>(new Set());
  const [changed, setChanged] = useState(false);
  const stored = storedSecrets(schema, provider.config);
  const errors = formErrorsOf(update.error);

  const touch = () => {
    setChanged(true);
    update.reset();
  };

  return (
    <form
      noValidate
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ name: name.trim(), config: buildConfig(schema, values, removed) });
      }}
    >
      <Field label="Name" error={errors.other.name} required>
        {(control) => (
          <input
            {...control}
            className="input"
            value={name}
            maxLength={200}
            autoComplete="off"
            onChange={(event) => {
              setName(event.target.value);
              touch();
            }}
          />
        )}
      </Field>
      <ConfigFields
        schema={schema}
        values={values}
        onChange={(path, value) => {
          setValues((current) => ({ ...current, [path]: value }));
          touch();
        }}
        errors={errors.config}
        storedSecrets={stored}
        removedSecrets={removed}
        onRemoveSecret={(path, remove) => {
          setRemoved((current) => {
            const next = new Set(current);
            if (remove) next.add(path);
            else next.delete(path);
            return next;
          });
          touch();
        }}
      />
      {update.error === null ? null : (
        <ErrorNotice error={update.error} title="The settings could not be saved" />
      )}
      {update.isSuccess ? (
        <p role="status">Connection settings saved. Test the connection to check them.</p>
      ) : null}
      <div>
        <button type="submit" className="button button--primary" disabled={!changed || update.isPending}>
          Save connection settings
        </button>
      </div>
    </form>
  );
}
